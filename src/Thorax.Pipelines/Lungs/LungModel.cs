using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Models.Segmentation;
using Thorax.Nn;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// A trained lung segmenter loaded from a run folder (<c>config.json</c> + <c>model.safetensors</c>), with CXLSeg's
/// inference: CLAHE, resize to the model size, threshold, resize back, morphological clean-up (keep the two largest
/// components, fill holes, close with a 5x5 ellipse), and the lung-masked image (image AND mask). The network is
/// fused for inference (<see cref="Module.FuseForInference"/>): it cannot be trained further.
/// </summary>
public sealed class LungModel : IDisposable
{
    private LungModel(Module<Tensor, Tensor> network, string architecture, int size)
    {
        Network = network;
        Architecture = architecture;
        Size = size;
    }

    public Module<Tensor, Tensor> Network { get; }

    public string Architecture { get; }

    /// <summary>Model input size in pixels.</summary>
    public int Size { get; }

    /// <summary>Loads <paramref name="runDir"/>; a weight file of another architecture is an error listing the mismatches.</summary>
    public static LungModel Load(string runDir)
    {
        var config = Path.Combine(runDir, "config.json");
        var weights = Path.Combine(runDir, "model.safetensors");
        if (!File.Exists(config)) throw new FileNotFoundException($"{config}: not a Thorax lung run folder (config.json missing)", config);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: model weights missing", weights);
        using var doc = JsonDocument.Parse(File.ReadAllText(config));
        var root = doc.RootElement;
        string arch;
        int baseChannels, size;
        try
        {
            arch = root.GetProperty("model").GetString()!;
            baseChannels = root.GetProperty("base_channels").GetInt32();
            size = root.GetProperty("size").GetInt32();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{config}: needs fields model, base_channels and size ({e.Message})", e);
        }
        var net = SegmentationModels.Create(arch, 1, 1, baseChannels);
        using var sd = SafeTensors.Load(weights);
        var result = net.LoadStateDict(sd, strict: false);
        if (!result.IsComplete)
        {
            net.Dispose();
            throw new InvalidDataException($"{weights} does not fit a {arch} with base {baseChannels}: " +
                $"{result.MissingKeys.Count} missing keys ({string.Join(", ", result.MissingKeys.Take(3))}), " +
                $"{result.UnexpectedKeys.Count} unexpected ({string.Join(", ", result.UnexpectedKeys.Take(3))}), " +
                $"{result.Mismatches.Count} shape mismatches");
        }
        // Inference only: BatchNorm folded into the convolutions, eval-time identities skipped, ReLU in place.
        net.FuseForInference();
        return new LungModel(net, arch, size);
    }

    /// <summary>Lung mask (0/255) at the input's resolution for an 8-bit grey X-ray.</summary>
    public Image<byte> Segment(Image<byte> xray)
    {
        var sample = LungDataset.Preprocess("input", xray, new Image<byte>(xray.Width, xray.Height), Size, "input");
        var pred = LungTrainer.Predict(Network, new[] { sample })[0];
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

    /// <summary>Segments <paramref name="inputPath"/> (DICOM/PNG/JPEG) and writes <c>NAME-mask.png</c>, <c>NAME-masked.png</c>
    /// and <c>NAME-overlay.png</c> to <paramref name="outDir"/>; returns the lung pixel count.</summary>
    public long PredictFile(string inputPath, string outDir)
    {
        var unit = XrayImage.ReadUnit(inputPath);
        var grey = new Image<byte>(unit.Width, unit.Height);
        var src = unit.Pixels;
        var dst = grey.Pixels;
        for (var i = 0; i < dst.Length; i++) dst[i] = (byte)Math.Clamp(MathF.Round(src[i] * 255f), 0f, 255f);
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

    public void Dispose() => Network.Dispose();
}
