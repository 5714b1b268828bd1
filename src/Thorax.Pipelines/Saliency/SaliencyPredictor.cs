using Thorax.Models.Inference;
using Thorax.Training;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Models.Runtime;
using Thorax.Models.Saliency;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Saliency;

/// <summary>One image's prediction by the dual-encoder multi-task network.</summary>
/// <param name="File">The input file.</param>
/// <param name="ClassLogits">Class logits (normal, heart failure, pneumonia).</param>
/// <param name="ClassProbabilities">Softmax of the logits.</param>
/// <param name="PredictedClass">Arg-max class index.</param>
/// <param name="LogProbabilities">Saliency log-probabilities (log-softmax over all pixels), row-major Height x Width.</param>
/// <param name="Height">Map height.</param>
/// <param name="Width">Map width.</param>
/// <param name="Input">The network input (the prepared image in [0, 1]).</param>
public sealed record SaliencyPrediction(string File, float[] ClassLogits, float[] ClassProbabilities, int PredictedClass,
    float[] LogProbabilities, int Height, int Width, Image<float> Input);

/// <summary>
/// Runs the authors' final model (<see cref="GazeMtlUNet"/>, CXRGazeLearn <c>MTL_UNet_preset</c>) from a checkpoint on
/// image files, with the reference's input preparation (<see cref="SaliencyInput"/>).
/// </summary>
public sealed class SaliencyPredictor : IDisposable
{
    /// <summary>The reference's class order (Data/hzhu_data_raw.py: Normal 0, CHF 1, pneumonia 2).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["normal", "heart_failure", "pneumonia"];

    private readonly Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)> _net;
    private readonly SaliencyRunModel? _run;

    /// <summary>
    /// Loads either a <c>torch.save(net.state_dict())</c> (or safetensors) of the reference's final model, strictly (a
    /// <c>module.</c> prefix is accepted; a file of another model fails naming the file and every key), or a run folder
    /// of <c>thorax saliency train</c> (any width, dual or MT-UNet: its <c>config.json</c> gives the network and the
    /// geometry its images are prepared at). The weights are read on the CPU; the network then runs on
    /// <paramref name="device"/> (default CPU).
    /// </summary>
    public SaliencyPredictor(string weightsPath, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(weightsPath);
        if (Directory.Exists(weightsPath))
        {
            _run = SaliencyRunModel.Load(weightsPath);
            if (!_run.Spec.HasClassification || !_run.Spec.HasSaliency)
            {
                var model = _run.Spec.Model;
                _run.Dispose();
                throw new InvalidDataException($"{Path.Combine(weightsPath, "config.json")}: network '{model}' is single-task; predict gives class probabilities and a saliency map and needs a dual or mtunet run (evaluate tabulates single-task runs)");
            }
            _net = _run.Net.FuseForInference(); // batch norms folded: this predictor owns the run's network
            _net.MoveTo(device);
            return;
        }
        if (!System.IO.File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: no such file or run folder", weightsPath);
        TorchRuntime.EnsureLoaded();
        var net = new GazeMtlUNet();
        try
        {
            SaliencyWeights.LoadFile(net, weightsPath);
        }
        catch
        {
            net.Dispose();
            throw;
        }
        _net = net.FuseForInference(); // eval mode, batch norms folded into the convolutions
        _net.MoveTo(device);
    }

    /// <summary>Wraps an already loaded network (tests, reduced widths).</summary>
    public SaliencyPredictor(GazeMtlUNet net)
    {
        _net = net ?? throw new ArgumentNullException(nameof(net));
        TorchRuntime.EnsureLoaded();
        _net.eval();
    }

    /// <summary>
    /// How DICOM files are read: the reference takes pydicom's raw <c>pixel_array</c> (stored values: no VOI window, no
    /// MONOCHROME1 inversion) and divides by the maximum after the geometry. The full-range mapping without inversion is
    /// stored / (2^BitsStored − 1), so after the division by the maximum it is the same as long as the modality
    /// transform is the identity (slope 1, intercept 0, as MIMIC-CXR's images have).
    /// </summary>
    public static Thorax.Dicom.PresentationOptions DicomReading { get; } =
        new() { Voi = Thorax.Dicom.VoiMode.FullRange, InvertMonochrome1 = false };

    /// <summary>Predicts one image file (DICOM, PNG or JPEG).</summary>
    public SaliencyPrediction Predict(string path)
    {
        var image = XrayImage.ReadUnit(path, DicomReading);
        if (_run is null) return Predict(SaliencyInput.Prepare(image, path), path);
        // a trained run: its images' size and geometry (padding to the run's canvas, its stride), as in training
        var (w, h) = _run.ImageSize;
        if (image.Channels != 1) throw new InvalidDataException($"{path}: {image.Channels} channels, a grey image expected");
        if (image.Width != w || image.Height != h)
            throw new InvalidDataException($"{path}: image is {image.Width}x{image.Height} but the run {_run.RunDirectory} was trained on {w}x{h} images (resize it first)");
        var g = _run.Geometry;
        var x = g.PrepareImage(image.Pixels, image.Width, image.Height, path);
        return Predict(new Image<float>(g.OutputWidth, g.OutputHeight, 1, x), path);
    }

    /// <summary>Predicts a prepared input (see <see cref="SaliencyInput.Prepare"/>).</summary>
    public SaliencyPrediction Predict(Image<float> input, string name)
    {
        using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = torch.tensor(input.Pixels.ToArray(), new long[] { 1, 1, input.Height, input.Width }).MoveTo(Devices.DeviceOf(_net));
        var (logits, saliency) = _net.call(x);
        var logp = SaliencyLayers.LogSoftmaxOverPixels(saliency);
        var l = logits[0].OnCpu().data<float>().ToArray();
        var p = logits[0].softmax(0).OnCpu().data<float>().ToArray();
        var cls = (int)logits[0].argmax().item<long>();
        var lp = logp[0, 0].OnCpu().contiguous().data<float>().ToArray();
        return new SaliencyPrediction(name, l, p, cls, lp, input.Height, input.Width, input);
    }

    /// <summary>
    /// Writes <c>STEM.npy</c> (float32 log-probabilities, Height x Width) and <c>STEM-overlay.png</c> (the probability map
    /// scaled by its maximum, JET colours, over the input at 0.4 opacity) into <paramref name="dir"/>.
    /// </summary>
    public static (string Npy, string Png) WriteMaps(SaliencyPrediction p, string dir)
    {
        Directory.CreateDirectory(dir);
        var stem = Path.GetFileNameWithoutExtension(p.File);
        var npy = Path.Combine(dir, stem + ".npy");
        NpyWriter.WriteFloat32(npy, p.LogProbabilities, p.Height, p.Width);
        var prob = p.LogProbabilities.Select(MathF.Exp).ToArray();
        var max = prob.Max();
        var heat = new Image<float>(p.Width, p.Height, 1, prob.Select(v => max > 0 ? v / max : 0f).ToArray());
        var grey = new Image<byte>(p.Width, p.Height, 1, p.Input.Pixels.ToArray().Select(v => (byte)Math.Clamp(MathF.Round(v * 255f), 0, 255)).ToArray());
        var png = Path.Combine(dir, stem + "-overlay.png");
        Png.Write(png, ColorMaps.Overlay(grey, ColorMaps.Apply(heat, ColorMap.Jet), 0.4));
        return (npy, png);
    }

    /// <summary>Disposes the network.</summary>
    public void Dispose()
    {
        if (_run is not null) _run.Dispose();
        else _net.Dispose();
    }
}
