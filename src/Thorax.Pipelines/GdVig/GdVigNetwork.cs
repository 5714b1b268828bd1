using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Models.GdVig;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>
/// A trained or published GD-ViG-family network behind one call: GD-ViG (<see cref="GdVigModel"/>), GD-ViG on the
/// ground-truth gaze, or the plain ViG baseline (<see cref="PlainVigClassifier"/>), with the configuration a run folder
/// records (<c>config.json</c>).
/// </summary>
public sealed class GdVigNetwork : IDisposable
{
    private GdVigNetwork(nn.Module module, GdVigModelKind kind, GdVigVariant variant, GdVigOptions options)
    {
        Module = module;
        Kind = kind;
        Variant = variant;
        Options = options;
    }

    /// <summary>The TorchSharp module (its state dict is the run's <c>model.safetensors</c>).</summary>
    public nn.Module Module { get; }

    /// <summary>GD-ViG, plain ViG or GD-ViG on the true gaze.</summary>
    public GdVigModelKind Kind { get; }

    /// <summary>The variant (labels and head).</summary>
    public GdVigVariant Variant { get; }

    /// <summary>Widths, blocks, size, classes, lambda.</summary>
    public GdVigOptions Options { get; }

    /// <summary>Input side in pixels.</summary>
    public int Size => Options.ImageSize;

    /// <summary>Where the network runs (its parameters' device); inputs given on another device are copied there.</summary>
    public Device Device => Devices.DeviceOf(Module);

    /// <summary>Moves the network to <paramref name="device"/> (nothing happens for null or the CPU) and returns it.</summary>
    public GdVigNetwork MoveTo(Device? device)
    {
        Module.MoveTo(device);
        return this;
    }

    /// <summary>Whether the network predicts a gaze map.</summary>
    public bool PredictsGaze => Kind != GdVigModelKind.Vig;

    /// <summary>A freshly initialised network (the reference's init, seeded by the caller).</summary>
    public static GdVigNetwork Create(GdVigModelKind kind, GdVigVariant variant, GdVigOptions options)
    {
        options.Validate();
        nn.Module m = kind == GdVigModelKind.Vig ? new PlainVigClassifier(options) : new GdVigModel(options);
        return new GdVigNetwork(m, kind, variant, options);
    }

    /// <summary>
    /// Logits [B, classes] and, for the GD-ViG kinds, the predicted gaze map [B, 1, S, S].
    /// <paramref name="trueGaze"/> ([B, 1, S, S] in [0, 1]) directs the classifier of <see cref="GdVigModelKind.GdVigTrueGaze"/>
    /// and is ignored otherwise.
    /// </summary>
    public (Tensor Logits, Tensor? Gaze) Forward(Tensor image, Tensor? trueGaze = null)
    {
        var device = Device;
        image = image.On(device);
        trueGaze = trueGaze?.On(device);
        switch (Module)
        {
            case PlainVigClassifier plain:
                return (plain.call(image), null);
            case GdVigModel gd when Kind == GdVigModelKind.GdVigTrueGaze:
            {
                if (trueGaze is null) throw new ArgumentException("GD-ViG on the true gaze needs the ground-truth gaze map of every image", nameof(trueGaze));
                var gaze = gd.Generator.call(image);
                return (gd.ClassifyWithGaze(image, trueGaze), gaze);
            }
            case GdVigModel gd:
            {
                var (logits, gaze) = gd.Predict(image);
                return (logits, gaze);
            }
            default:
                throw new InvalidOperationException($"unexpected module {Module.GetType().Name}");
        }
    }

    /// <summary>The gaze-directed classifier (GD-ViG's GDC, or the plain ViG's classifier at lambda 0).</summary>
    public GazeDirectedVig Classifier => Module switch
    {
        PlainVigClassifier plain => plain.Classifier,
        GdVigModel gd => gd.Classifier,
        _ => throw new InvalidOperationException($"unexpected module {Module.GetType().Name}"),
    };

    /// <summary>
    /// The gaze map that directs the classifier's graph for this kind: none for the plain ViG, the generator's
    /// prediction for GD-ViG (computed without gradient), <paramref name="trueGaze"/> for GD-ViG on the true gaze.
    /// </summary>
    public Tensor? DirectingGaze(Tensor image, Tensor? trueGaze = null)
    {
        var device = Device;
        image = image.On(device);
        trueGaze = trueGaze?.On(device);
        switch (Module)
        {
            case PlainVigClassifier:
                return null;
            case GdVigModel when Kind == GdVigModelKind.GdVigTrueGaze:
                return trueGaze ?? throw new ArgumentException("GD-ViG on the true gaze needs the ground-truth gaze map of every image", nameof(trueGaze));
            case GdVigModel gd:
            {
                using var noGrad = no_grad();
                return gd.Generator.call(image);
            }
            default:
                throw new InvalidOperationException($"unexpected module {Module.GetType().Name}");
        }
    }

    /// <summary>
    /// The classifier's forward on <paramref name="image"/> directed by <paramref name="gaze"/> (from
    /// <see cref="DirectingGaze"/>): logits, the last stage's output (for Grad-CAM), and every block's KNN graph
    /// appended to <paramref name="graphs"/> when given.
    /// </summary>
    public (Tensor Logits, Tensor LastStage) Trace(Tensor image, Tensor? gaze, IList<Thorax.Models.Vig.VigGraph>? graphs = null)
    {
        var device = Device;
        return Classifier.ClassifyWithFeatures(image.On(device), gaze?.On(device), graphs);
    }

    /// <summary>The run's configuration as written to <c>config.json</c>.</summary>
    public JsonObject ConfigJson() => new()
    {
        ["method"] = "gdvig",
        ["variant"] = GdVigPredictor.Name(Variant),
        ["model"] = GdVigTrainingOptions.KindName(Kind),
        ["channels"] = new JsonArray(Options.Channels.Select(c => (JsonNode?)c).ToArray()),
        ["blocks"] = new JsonArray(Options.Blocks.Select(c => (JsonNode?)c).ToArray()),
        ["size"] = Options.ImageSize,
        ["num_classes"] = Options.NumClasses,
        ["gaze_lambda"] = Options.GazeLambda,
    };

    /// <summary>
    /// Loads a run folder: <c>config.json</c> (variant, model, widths, blocks, size, lambda) and <c>model.safetensors</c>
    /// (strict). A head whose class count differs from the variant's is named with its key and both counts.
    /// </summary>
    /// <exception cref="FileNotFoundException">config.json or model.safetensors is missing.</exception>
    /// <exception cref="InvalidDataException">config.json lacks a field or is not a GD-ViG run (file and field named).</exception>
    /// <exception cref="StateDictException">The weights do not fit (file and keys named).</exception>
    /// <remarks>The weights are read on the CPU and the network is then moved to <paramref name="device"/> (default CPU).</remarks>
    public static GdVigNetwork LoadRun(string runDir, Device? device = null)
    {
        var configPath = Path.Combine(runDir, "config.json");
        var modelPath = Path.Combine(runDir, "model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath} not found; is {runDir} a run folder of thorax gdvig train?", configPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath} not found (the run did not finish an epoch?)", modelPath);
        JsonObject c;
        try
        {
            c = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new InvalidDataException($"{configPath}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
        string Str(string k) => c[k]?.GetValue<string>() ?? throw new InvalidDataException($"{configPath}: field '{k}' is missing");
        int[] Ints(string k) => c[k] is JsonArray a ? a.Select(v => v!.GetValue<int>()).ToArray() : throw new InvalidDataException($"{configPath}: field '{k}' is missing or not a list");
        if (Str("method") != "gdvig") throw new InvalidDataException($"{configPath}: method is '{Str("method")}', not gdvig");
        var variant = GdVigPredictor.ParseVariant(Str("variant"));
        var kind = GdVigTrainingOptions.ParseKind(Str("model"));
        var size = c["size"]?.GetValue<int>() ?? throw new InvalidDataException($"{configPath}: field 'size' is missing");
        var lambda = c["gaze_lambda"]?.GetValue<double>() ?? throw new InvalidDataException($"{configPath}: field 'gaze_lambda' is missing");
        var options = GdVigOptions.Reduced(variant, Ints("channels"), Ints("blocks"), size, lambda);
        var net = Create(kind, variant, options);
        try
        {
            LoadWeights(net, modelPath);
            net.Module.eval();
            return net.MoveTo(device);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>The authors' published configuration of <paramref name="variant"/> with their checkpoint (see <see cref="GdVigPredictor.Load"/>).</summary>
    public static GdVigNetwork LoadPublished(string weights, GdVigVariant variant, Device? device = null)
    {
        var p = GdVigPredictor.Load(weights, variant, device);
        return new GdVigNetwork(p.Model, GdVigModelKind.GdVig, variant, p.Model.Options);
    }

    /// <summary>Loads weights strictly, first checking the head's class count against the variant.</summary>
    public static void LoadWeights(GdVigNetwork net, string path)
    {
        var sd = StateDicts.ReadFile(path);
        try
        {
            var headKey = net.Options.StackedHead ? "vig.pred2.3.weight" : "vig.prediction.4.weight";
            if (sd.TryGetValue(headKey, out var w) && w.shape[0] != net.Options.NumClasses)
                throw new InvalidDataException($"{path}: {headKey} has {w.shape[0]} outputs, but the {GdVigPredictor.Name(net.Variant)} variant has {net.Options.NumClasses} classes (weights of another variant or class count)");
            StateDicts.Load(net.Module, sd, strict: true, source: path);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Module.Dispose();
}
