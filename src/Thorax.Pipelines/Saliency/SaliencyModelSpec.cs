using System.Text.Json.Nodes;
using Thorax.Models.Encoders;
using Thorax.Models.Saliency;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Saliency;

/// <summary>
/// Which network a run trains and at which widths: <c>dual</c> (<see cref="GazeMtlUNet"/>, the reference's
/// <c>MTL_UNet_preset</c>: DenseNet + Res-SE dual encoder), <c>mtunet</c> (<see cref="MtUNet"/>, the multi-task baseline),
/// and the paper's single-task baselines <c>classifier</c> (<see cref="DenseNetClassifierNet"/>: the DenseNet alone,
/// "DNet201-CL" / "DNet201" of Table 1) and <c>saliency</c> (<see cref="SaliencyUNet"/>: the Res_SE-UNet of Table 2, the
/// dual encoder without its DenseNet).
/// </summary>
/// <param name="Model"><c>dual</c>, <c>mtunet</c>, <c>classifier</c> or <c>saliency</c>.</param>
/// <param name="Filters">Encoder-B (or U-Net) widths, five levels (empty for classifier).</param>
/// <param name="DenseGrowth">DenseNet growth rate (dual and classifier only).</param>
/// <param name="DenseBlocks">DenseNet layers per block (dual and classifier only).</param>
/// <param name="DenseInit">DenseNet stem channels (dual and classifier only).</param>
/// <param name="DenseBnSize">DenseNet bottleneck multiplier (dual and classifier only).</param>
public sealed record SaliencyModelSpec(string Model, int[] Filters, int DenseGrowth, int[] DenseBlocks, int DenseInit, int DenseBnSize)
{
    /// <summary>The model names, in the comparison's order.</summary>
    public static IReadOnlyList<string> Models { get; } = ["dual", "mtunet", "classifier", "saliency"];

    /// <summary>The architecture tag written into <c>model.safetensors</c>.</summary>
    public string Architecture => Model switch
    {
        "dual" => "cxrgazelearn-mtl-unet",
        "mtunet" => "mt-unet",
        "classifier" => "densenet-classifier",
        _ => "res-se-unet",
    };

    /// <summary>The network predicts the diagnosis (dual, mtunet, classifier).</summary>
    public bool HasClassification => Model != "saliency";

    /// <summary>The network predicts gaze saliency (dual, mtunet, saliency).</summary>
    public bool HasSaliency => Model != "classifier";

    /// <summary>The network has the DenseNet encoder (dual, classifier).</summary>
    public bool HasDenseNet => Model is "dual" or "classifier";

    /// <summary>The reference's widths (DenseNet-201; filters 64..1024).</summary>
    public static SaliencyModelSpec Reference(string model) => Check(model) switch
    {
        "dual" => new("dual", [64, 128, 256, 512, 1024], 32, [6, 12, 48, 32], 64, 4),
        "classifier" => new("classifier", [], 32, [6, 12, 48, 32], 64, 4),
        var m => new(m, [64, 128, 256, 512, 1024], 0, [], 0, 0),
    };

    /// <summary>Reduced widths for CPU demos: filters 16..256 and a DenseNet of growth 8, blocks [2,2,2,2], 16 stem
    /// channels, bottleneck 2 (same architecture and key structure, about 1/50 of the parameters).</summary>
    public static SaliencyModelSpec Small(string model) => Check(model) switch
    {
        "dual" => new("dual", [16, 32, 64, 128, 256], 8, [2, 2, 2, 2], 16, 2),
        "classifier" => new("classifier", [], 8, [2, 2, 2, 2], 16, 2),
        var m => new(m, [16, 32, 64, 128, 256], 0, [], 0, 0),
    };

    /// <summary>By width name: <c>reference</c> or <c>small</c>.</summary>
    public static SaliencyModelSpec Named(string model, string width) => width switch
    {
        "reference" => Reference(model),
        "small" => Small(model),
        _ => throw new ArgumentException($"--width must be reference or small, got '{width}'"),
    };

    private static string Check(string model) => Models.Contains(model)
        ? model
        : throw new ArgumentException($"--model must be dual (the dual-encoder MTL_UNet_preset), mtunet (the MT-UNet baseline), classifier (the single-task DenseNet classifier) or saliency (the single-task Res_SE-UNet), got '{model}'");

    /// <summary>Builds the network (fresh initialisation).</summary>
    public Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)> Build()
    {
        if (Model == "mtunet") return new MtUNet(Filters);
        if (Model == "saliency") return new SaliencyUNet(Filters, residualSE: true);
        var dn = new DenseNet("densenet", DenseGrowth, DenseBlocks, DenseInit, DenseBnSize, 0, 3, 3);
        return Model == "classifier" ? new DenseNetClassifierNet(dn) : new GazeMtlUNet(Filters, 3, dn);
    }

    /// <summary>The DenseNet of a dual or classifier network (null for the others).</summary>
    public static DenseNet? DenseNetOf(nn.Module net) => net switch
    {
        GazeMtlUNet g => g.DenseNet,
        DenseNetClassifierNet c => c.DenseNet,
        _ => null,
    };

    /// <summary>The module whose output Grad-CAM explains: the DenseNet's <c>denseblock4</c> (the reference's
    /// <c>cam_densenet.py</c>; dual and classifier) or, for MT-UNet, its deepest encoder block <c>Conv5</c>; null for the
    /// saliency-only network (no class output to explain).</summary>
    public static Module<Tensor, Tensor>? GradCamLayer(nn.Module net)
    {
        if (net is SaliencyUNet) return null; // no classifier to explain
        var name = net is GazeMtlUNet or DenseNetClassifierNet ? "model.features.denseblock4" : "Conv5";
        foreach (var (n, m) in net.named_modules())
            if (n == name && m is Module<Tensor, Tensor> t) return t;
        throw new InvalidOperationException($"the network has no module {name}");
    }

    /// <summary>As config JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["model"] = Model, ["architecture"] = Architecture, ["filters"] = new JsonArray(Filters.Select(f => (JsonNode)f).ToArray()),
        ["dense_growth"] = DenseGrowth, ["dense_blocks"] = new JsonArray(DenseBlocks.Select(f => (JsonNode)f).ToArray()),
        ["dense_init"] = DenseInit, ["dense_bn_size"] = DenseBnSize,
    };

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    public static SaliencyModelSpec FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{source}: 'network' is missing");
        try
        {
            return new SaliencyModelSpec(Check(o["model"]!.GetValue<string>()), o["filters"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
                o["dense_growth"]!.GetValue<int>(), o["dense_blocks"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
                o["dense_init"]!.GetValue<int>(), o["dense_bn_size"]!.GetValue<int>());
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: the 'network' entry is malformed ({e.Message})", e);
        }
    }

    /// <summary>Same architecture and widths.</summary>
    public bool SameAs(SaliencyModelSpec o) => Model == o.Model && Filters.SequenceEqual(o.Filters) && DenseGrowth == o.DenseGrowth &&
        DenseBlocks.SequenceEqual(o.DenseBlocks) && DenseInit == o.DenseInit && DenseBnSize == o.DenseBnSize;

    /// <summary>Short text form.</summary>
    public override string ToString() => Model switch
    {
        "dual" => $"dual(filters {string.Join("/", Filters)}; densenet growth {DenseGrowth}, blocks {string.Join("/", DenseBlocks)}, init {DenseInit}, bn {DenseBnSize})",
        "classifier" => $"classifier(densenet growth {DenseGrowth}, blocks {string.Join("/", DenseBlocks)}, init {DenseInit}, bn {DenseBnSize})",
        _ => $"{Model}(filters {string.Join("/", Filters)})",
    };

    /// <summary>
    /// Loads a run's weights strictly. A file tagged with another architecture (e.g. an MT-UNet checkpoint given to a
    /// dual-encoder run) is refused naming both; other mismatches name every missing, unexpected or mis-shaped key.
    /// </summary>
    public void LoadWeights(nn.Module net, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such weight file", path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var (tensors, meta) = SafeTensors.LoadWithMetadata(path);
            tensors.DisposeAll();
            if (meta.TryGetValue("architecture", out var arch) && arch != Architecture)
                throw new InvalidDataException($"{path}: a checkpoint of '{arch}', not of this run's network '{Architecture}' ({this})");
        }
        try
        {
            SaliencyWeights.LoadFile(net, path);
        }
        catch (StateDictException e)
        {
            throw new InvalidDataException($"{path} does not fit {this}: {e.Message}", e);
        }
    }
}
