using Thorax.Training;
using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// A trained lung segmenter loaded from a run folder (<c>config.json</c> + <c>model.safetensors</c>), with CXLSeg's
/// inference: CLAHE, resize to the model size, threshold, resize back, morphological clean-up (keep the two largest
/// components, fill holes, close with a 5x5 ellipse), and the lung-masked image (image AND mask). The network is
/// fused for inference (<see cref="ModuleFusion.FuseForInference"/>): it cannot be trained further. It runs on
/// <see cref="Device"/> in <see cref="Precision"/> (float32, or bfloat16 where the CPU or GPU supports it).
/// </summary>
public sealed class LungModel : IDisposable
{
    private LungModel(nn.Module<Tensor, Tensor> network, string architecture, int size, Device device, ScalarType precision)
    {
        Network = network;
        Architecture = architecture;
        Size = size;
        Device = device;
        Precision = precision;
    }

    /// <summary>The fused network (eval mode) on <see cref="Device"/> in <see cref="Precision"/>.</summary>
    public nn.Module<Tensor, Tensor> Network { get; }

    /// <summary>Where the network runs.</summary>
    public Device Device { get; }

    /// <summary>The network's floating-point type: <see cref="ScalarType.Float32"/> or <see cref="ScalarType.BFloat16"/>.</summary>
    public ScalarType Precision { get; }

    /// <summary>The network's name as the run's <c>config.json</c> gives it (unet, unetpp, attention-unet, sa-unet).</summary>
    public string Architecture { get; }

    /// <summary>Model input size in pixels.</summary>
    public int Size { get; }

    /// <summary>Loads <paramref name="runDir"/>; a weight file of another architecture is an error listing the mismatches.</summary>
    /// <param name="runDir">A run folder written by <see cref="LungTrainer"/>.</param>
    /// <param name="device">Where to run (default CPU); see <see cref="TorchRuntime.ParseDevice"/>.</param>
    /// <param name="precision">Float32 (default) or BFloat16 (bf16 inference; CXLSeg's Dice changes by less than 0.002 on
    /// the real validation split, see README).</param>
    public static LungModel Load(string runDir, Device? device = null, ScalarType precision = ScalarType.Float32)
    {
        if (precision is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"precision must be float32 or bfloat16, got {precision}", nameof(precision));
        TorchRuntime.EnsureLoaded();
        device ??= torch.CPU;
        var config = ReadConfig(runDir);
        var net = SegmentationModels.Create(config.Architecture, 1, 1, config.BaseChannels);
        try
        {
            LoadWeights(net, runDir, config);
        }
        catch
        {
            net.Dispose();
            throw;
        }
        // Inference only: BatchNorm folded into the convolutions, eval-time identities skipped, ReLU in place.
        net.FuseForInference();
        net.to(device);
        if (precision != ScalarType.Float32) net.to(precision);
        return new LungModel(net, config.Architecture, config.Size, device, precision);
    }

    /// <summary>
    /// Reads and validates a run folder's <c>config.json</c> (the first half of <see cref="Load"/>): malformed JSON, a
    /// missing or mistyped field and values outside what the trainer writes are errors naming the file and the field.
    /// </summary>
    /// <exception cref="FileNotFoundException">No config.json or model.safetensors in the folder.</exception>
    /// <exception cref="InvalidDataException">A malformed config.json.</exception>
    public static LungRunConfig ReadConfig(string runDir)
    {
        var config = Path.Combine(runDir, "config.json");
        var weights = Path.Combine(runDir, "model.safetensors");
        if (!File.Exists(config)) throw new FileNotFoundException($"{config}: not a Thorax lung run folder (config.json missing)", config);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: model weights missing", weights);
        // config.json is input like any other file: malformed JSON, a missing or mistyped field and values outside what
        // the trainer writes are InvalidDataExceptions naming the file and the field (found by thorax fuzz --format run).
        string arch;
        int baseChannels, size;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{config}: expected a JSON object, got {root.ValueKind}");
            arch = root.GetProperty("model").GetString() ?? throw new InvalidDataException($"{config}: field model is null");
            baseChannels = root.GetProperty("base_channels").GetInt32();
            size = root.GetProperty("size").GetInt32();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{config}: not valid JSON ({e.Message})", e);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{config}: needs fields model (string), base_channels and size (integers) ({e.Message})", e);
        }
        if (!SegmentationModels.Names.Contains(arch.Trim().ToLowerInvariant()))
            throw new InvalidDataException($"{config}: field model is '{arch}', not one of {string.Join(", ", SegmentationModels.Names)}");
        // The ranges LungTrainingOptions.Validate accepts: a corrupt value must not build a giant network.
        if (baseChannels is < 1 or > 128) throw new InvalidDataException($"{config}: field base_channels is {baseChannels}, not in [1, 128]");
        if (size is < 32 or > 1024 || size % 16 != 0) throw new InvalidDataException($"{config}: field size is {size}, not a multiple of 16 in [32, 1024]");
        return new LungRunConfig(arch, baseChannels, size);
    }

    /// <summary>
    /// Copies a run folder's <c>model.safetensors</c> into <paramref name="network"/>, a network built for
    /// <paramref name="config"/> (the second half of <see cref="Load"/>, before fusion); every key must be present with its
    /// shape. <see cref="Load"/> builds a fresh network per call; the fuzzer reuses one.
    /// </summary>
    /// <exception cref="WeightFileException">The weight file is unreadable.</exception>
    /// <exception cref="InvalidDataException">The weights do not fit the network (missing, unexpected or mis-shaped keys).</exception>
    public static void LoadWeights(nn.Module network, string runDir, LungRunConfig config)
    {
        var weights = Path.Combine(runDir, "model.safetensors");
        var sd = SafeTensors.Load(weights);
        LoadStateDictResult result;
        try
        {
            result = StateDicts.Load(network, sd, strict: false, weights);
        }
        finally
        {
            sd.DisposeAll();
        }
        if (!result.IsComplete)
        {
            throw new InvalidDataException($"{weights} does not fit a {config.Architecture} with base {config.BaseChannels}: " +
                $"{result.MissingKeys.Count} missing keys ({string.Join(", ", result.MissingKeys.Take(3))}), " +
                $"{result.UnexpectedKeys.Count} unexpected ({string.Join(", ", result.UnexpectedKeys.Take(3))}), " +
                $"{result.Mismatches.Count} shape mismatches");
        }
    }

    /// <summary>Lung mask (0/255) at the input's resolution for an 8-bit grey X-ray.</summary>
    public Image<byte> Segment(Image<byte> xray)
    {
        var sample = LungDataset.Preprocess("input", xray, new Image<byte>(xray.Width, xray.Height), Size, "input");
        byte[] pred;
        using (TorchGc.Quiet()) pred = LungTrainer.Predict(Network, new[] { sample }, device: Device, precision: Precision)[0]; // README "Engine": GC during native calls
        var small = new Image<byte>(Size, Size, 1, pred.Select(v => v != 0 ? (byte)255 : (byte)0).ToArray());
        var full = xray.Width == Size && xray.Height == Size ? small : Resampling.Resize(small, xray.Width, xray.Height, Interpolation.Nearest);
        return CleanUp(full);
    }

    /// <summary>Keep the two largest components, fill holes, close with a 5x5 ellipse (scaled with the image).</summary>
    public static Image<byte> CleanUp(Image<byte> mask)
    {
        var kept = MaskOps.KeepLargestComponents(mask, 2);
        var filled = MaskOps.FillHoles(kept);
        var k = Math.Max(3, (int)Math.Round(5.0 * Math.Max(mask.Width, mask.Height) / 256.0) | 1);
        return Morphology.Close(filled, StructuringElement.Create(MorphShape.Ellipse, k, k));
    }

    /// <summary>
    /// Lung mask (0/255) at the image's resolution for an X-ray held in memory, e.g. the DICOM bytes of a request:
    /// DICOM (first frame through the presentation pipeline: modality LUT, VOI window, MONOCHROME1 inverted, to 8 bits),
    /// PNG or JPEG, recognised by content (<see cref="XrayImage.ReadUnit(ReadOnlyMemory{byte}, string, Thorax.Dicom.PresentationOptions?)"/>).
    /// The same mask as <see cref="PredictFile"/> writes for the same file. Malformed input raises the format's own
    /// exception naming <paramref name="name"/> and the field, and leaves the model usable.
    /// </summary>
    /// <param name="imageBytes">The whole encoded file.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <exception cref="Thorax.Dicom.DicomException">Not a usable DICOM.</exception>
    /// <exception cref="ImageFormatException">A malformed PNG or JPEG.</exception>
    public Image<byte> Predict(ReadOnlyMemory<byte> imageBytes, string name = "image") =>
        Segment(ToGrey8(XrayImage.ReadUnit(imageBytes, name)));

    /// <summary>A unit-range grey image to 8 bits (round to nearest, clamp).</summary>
    private static Image<byte> ToGrey8(Image<float> unit)
    {
        var grey = new Image<byte>(unit.Width, unit.Height);
        var src = unit.Pixels;
        var dst = grey.Pixels;
        for (var i = 0; i < dst.Length; i++) dst[i] = (byte)Math.Clamp(MathF.Round(src[i] * 255f), 0f, 255f);
        return grey;
    }

    /// <summary>Segments <paramref name="inputPath"/> (DICOM/PNG/JPEG) and writes <c>NAME-mask.png</c>, <c>NAME-masked.png</c>
    /// and <c>NAME-overlay.png</c> to <paramref name="outDir"/>; returns the lung pixel count.</summary>
    public long PredictFile(string inputPath, string outDir)
    {
        var grey = ToGrey8(XrayImage.ReadUnit(inputPath));
        var dst = grey.Pixels;
        var mask = Segment(grey);
        var masked = new Image<byte>(grey.Width, grey.Height);
        var m = mask.Pixels;
        var o = masked.Pixels;
        long lung = 0;
        for (var i = 0; i < o.Length; i++)
        {
            if (m[i] != 0) { o[i] = dst[i]; lung++; }
        }
        Directory.CreateDirectory(outDir);
        var name = Path.GetFileNameWithoutExtension(inputPath);
        Png.Write(Path.Combine(outDir, name + "-mask.png"), mask);
        Png.Write(Path.Combine(outDir, name + "-masked.png"), masked);
        Png.Write(Path.Combine(outDir, name + "-overlay.png"), ColorMaps.OverlayMask(grey, mask, 0, 200, 0, 0.35));
        return lung;
    }

    /// <summary>Frees the network's native tensors.</summary>
    public void Dispose() => Network.Dispose();
}

/// <summary>The fields of a lung run folder's <c>config.json</c> that <see cref="LungModel.Load"/> uses (validated).</summary>
/// <param name="Architecture">The <c>model</c> field as written (one of <see cref="SegmentationModels.Names"/>, any case).</param>
/// <param name="BaseChannels">The <c>base_channels</c> field, in [1, 128].</param>
/// <param name="Size">The <c>size</c> field: the model input in pixels, a multiple of 16 in [32, 1024].</param>
public readonly record struct LungRunConfig(string Architecture, int BaseChannels, int Size);
