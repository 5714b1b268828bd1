using Thorax.Training;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Models.GdVig;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>
/// Runs the authors' GD-ViG checkpoints on image files: the authors' test preprocessing, the model, the gaze maps
/// (as float32 <c>.npy</c>, a min-max scaled PNG and an overlay).
/// </summary>
public sealed class GdVigPredictor : IDisposable
{
    /// <summary>The network input side.</summary>
    public const int Size = 224;

    private readonly GdVigModel _model;

    private GdVigPredictor(GdVigModel model, GdVigVariant variant, Device device, ScalarType precision)
    {
        _model = model;
        Variant = variant;
        Device = device;
        Precision = precision;
    }

    /// <summary>The variant the weights were loaded as.</summary>
    public GdVigVariant Variant { get; }

    /// <summary>Device the model runs on.</summary>
    public Device Device { get; }

    /// <summary>float32 (default) or float64 (for bit-level comparisons with a float64 reference run).</summary>
    public ScalarType Precision { get; }

    /// <summary>The loaded model.</summary>
    public GdVigModel Model => _model;

    /// <summary>Loads a checkpoint strictly (a state dict, or <c>{"model": state_dict, ...}</c> from torch.save, or safetensors).</summary>
    /// <exception cref="StateDictException">The weights do not fit the variant; the message names the file and the keys
    /// (and says when they look like the other variant's).</exception>
    public static GdVigPredictor Load(string weights, GdVigVariant variant, Device? device = null, ScalarType precision = ScalarType.Float32)
    {
        if (precision is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException("GD-ViG runs in float32 or float64", nameof(precision));
        Thorax.Models.Runtime.TorchRuntime.EnsureLoaded();
        var model = GdVigModel.Create(variant);
        try
        {
            var sd = StateDicts.ReadFile(weights);
            try
            {
                try
                {
                    StateDicts.Load(model, sd, strict: true, source: weights);
                }
                catch (StateDictException e)
                {
                    var other = variant == GdVigVariant.EgdCxr ? GdVigVariant.SiimAcr : GdVigVariant.EgdCxr;
                    var looksOther = sd.ContainsKey("vig.pred2.3.weight") == (other == GdVigVariant.SiimAcr) &&
                                     sd.TryGetValue("vig.stem.convs.0.weight", out var w) && w.shape[0] == GdVigOptions.For(other).Channels[0] / 2;
                    if (!looksOther) throw;
                    throw new StateDictException($"{model.GetName()} from {weights} (these look like weights of the {Name(other)} variant; pass --variant {Name(other)})", e.Result);
                }
            }
            finally
            {
                sd.DisposeAll();
            }
            model.eval();
            var dev = device ?? CPU;
            model.to(dev);
            if (precision == ScalarType.Float64) model.to(ScalarType.Float64);
            return new GdVigPredictor(model, variant, dev, precision);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The CLI name of a variant (<c>egdcxr</c>, <c>siim</c>).</summary>
    public static string Name(GdVigVariant v) => v == GdVigVariant.EgdCxr ? "egdcxr" : "siim";

    /// <summary>Parses <c>egdcxr</c> / <c>siim</c>.</summary>
    public static GdVigVariant ParseVariant(string s) => s.ToLowerInvariant() switch
    {
        "egdcxr" or "egd-cxr" => GdVigVariant.EgdCxr,
        "siim" or "siim-acr" => GdVigVariant.SiimAcr,
        _ => throw new ArgumentException($"unknown GD-ViG variant '{s}' (egdcxr or siim)"),
    };

    /// <summary>
    /// Reads an 8-bit single-channel PNG/JPEG, or a DICOM rendered by its presentation pipeline and quantised to 8 bits.
    /// </summary>
    /// <exception cref="ImageFormatException">A colour or 16-bit PNG/JPEG (the authors' pipeline takes 8-bit grey).</exception>
    public static Image<byte> ReadGrey8(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        if (XrayImage.IsDicom(path))
        {
            var unit = XrayImage.ReadUnit(path);
            var b = new Image<byte>(unit.Width, unit.Height);
            var s = unit.Pixels;
            var d = b.Pixels;
            for (var i = 0; i < d.Length; i++) d[i] = (byte)Math.Clamp(MathF.Round(s[i] * 255f), 0f, 255f);
            return b;
        }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        Image<byte> img;
        if (ext is ".jpg" or ".jpeg") img = Jpeg.Read(path);
        else
        {
            var png = Png.Read(path);
            if (png.Image16 is not null)
                throw new ImageFormatException("a 16-bit PNG; GD-ViG's preprocessing takes 8-bit grey images", path, field: "IHDR bit depth");
            img = png.AsByte();
        }
        if (img.Channels != 1)
            throw new ImageFormatException($"an image with {img.Channels} channels; GD-ViG takes single-channel (grey) images", path, field: "channels");
        return img;
    }

    /// <summary>
    /// The authors' test transform on an 8-bit grey image: Resize(224, 224) (cv2 INTER_LINEAR on uint8), albumentations
    /// Normalize(mean 0.456, std 0.224, max_pixel_value 255) = <c>(p − 0.456·255) · (1 / (0.224·255))</c> in float32,
    /// then the reference's extra division by 255.
    /// </summary>
    /// <returns>[1, 1, 224, 224] float32 and the resized 8-bit image.</returns>
    public static (Tensor Input, Image<byte> Resized) Preprocess(Image<byte> grey)
    {
        if (grey.Channels != 1) throw new ArgumentException("a single-channel image is expected", nameof(grey));
        var resized = grey.Width == Size && grey.Height == Size ? grey.Clone() : Resampling.Resize(grey, Size, Size, Interpolation.Linear);
        var mean = 0.456f * 255f;
        var denominator = 1f / (0.224f * 255f);
        var v = new float[Size * Size];
        var p = resized.Pixels;
        for (var i = 0; i < v.Length; i++) v[i] = (p[i] - mean) * denominator / 255f;
        return (tensor(v, new long[] { 1, 1, Size, Size }), resized);
    }

    /// <summary>Predicts one file.</summary>
    /// <exception cref="ArithmeticException">The model produced NaN or infinity (never returned silently).</exception>
    public GdVigPrediction Predict(string path)
    {
        var (input, resized) = Preprocess(ReadGrey8(path));
        using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = input.to(Device).to_type(Precision);
        var (logits, gaze) = _model.Predict(x);
        var l = logits[0].to_type(ScalarType.Float64).cpu();
        var probs = nn.functional.softmax(l, 0);
        var logitsF = l.data<double>().Select(d => (float)d).ToArray();
        var probsF = probs.data<double>().Select(d => (float)d).ToArray();
        var map = gaze[0, 0].to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        if (logitsF.Any(f => !float.IsFinite(f)) || map.Any(f => !float.IsFinite(f)))
            throw new ArithmeticException($"{path}: the model produced non-finite values (logits or gaze map); check the weights");
        var best = Array.IndexOf(logitsF, logitsF.Max());
        return new GdVigPrediction(path, logitsF, probsF, best, map, resized);
    }

    /// <summary>
    /// Writes <c>&lt;stem&gt;.npy</c> (float32 224x224, the raw gaze map), <c>&lt;stem&gt;_gaze.png</c> (min-max scaled to
    /// 0..255 per image, as the authors save them; all zero for a constant map) and <c>&lt;stem&gt;_overlay.png</c> (JET
    /// heatmap over the resized input, alpha 0.4) into <paramref name="dir"/>.
    /// </summary>
    public static void WriteMaps(GdVigPrediction p, string dir)
    {
        Directory.CreateDirectory(dir);
        var stem = Path.GetFileNameWithoutExtension(p.File);
        Npy.WriteFloat32(Path.Combine(dir, stem + ".npy"), p.GazeMap, Size, Size);
        float min = p.GazeMap.Min(), max = p.GazeMap.Max();
        var scaled = new Image<byte>(Size, Size);
        var d = scaled.Pixels;
        for (var i = 0; i < d.Length; i++)
            d[i] = max > min ? (byte)Math.Clamp(MathF.Round((p.GazeMap[i] - min) / (max - min) * 255f), 0f, 255f) : (byte)0;
        Png.Write(Path.Combine(dir, stem + "_gaze.png"), scaled);
        Png.Write(Path.Combine(dir, stem + "_overlay.png"), ColorMaps.Overlay(p.Input, ColorMaps.Apply(scaled, ColorMap.Jet), 0.4));
    }

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();
}
