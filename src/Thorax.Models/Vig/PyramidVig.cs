using Thorax.Models.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>
/// Pyramid Vision GNN (Han et al. 2022; huawei <c>vig_pytorch/pyramid_vig.py</c> <c>DeepGCN</c>) with its state-dict
/// keys: <c>stem.convs.*</c>, <c>pos_embed</c> [1, C0, S/4, S/4], <c>backbone.N</c> (blocks <c>backbone.N.0</c> =
/// <see cref="Grapher"/>, <c>backbone.N.1</c> = <see cref="VigFfn"/>; <see cref="VigDownsample"/> between stages) and
/// <c>prediction.{0,1,4}</c> (Conv1x1 C3 → 1024, BN, GELU, Dropout, Conv1x1 1024 → classes). Block i (over all stages)
/// has dilation <c>i // 4 + 1</c> (capped at <c>49 // k</c> when <see cref="PyramidVigOptions.CapDilation"/>), reduce
/// ratios [4, 2, 1, 1]. Also the encoder of GD-ViG's gaze map generator (no relative position, no head).
/// </summary>
public sealed class PyramidVig : Module<Tensor, Tensor>
{
    private readonly VigStem _stem;
    private readonly Parameter _posEmbed;
    private readonly ModuleList<Module<Tensor, Tensor>> _backbone;
    private readonly Sequential? _prediction;
    private readonly int[] _stageEnds;

    /// <param name="options">The configuration (e.g. <see cref="PyramidVigOptions.Tiny"/>).</param>
    public PyramidVig(PyramidVigOptions options) : base("PyramidVig")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _stem = new VigStem(options.InChannels, options.Channels[0]);
        _posEmbed = new Parameter(zeros(1, options.Channels[0], options.ImageSize / 4, options.ImageSize / 4));
        (_backbone, _stageEnds) = BuildBackbone(options);
        register_module("stem", _stem);
        register_parameter("pos_embed", _posEmbed);
        register_module("backbone", _backbone);
        if (options.NumClasses > 0)
        {
            _prediction = Head(options.Channels[^1], options.NumClasses, options.Dropout);
            register_module("prediction", _prediction);
        }
        InitLikeReference(this);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>The configuration.</summary>
    public PyramidVigOptions Options { get; }

    /// <summary>Indices into the backbone of each stage's last block (GD-ViG's [1, 4, 11, 14] for [2, 2, 6, 2]).</summary>
    public IReadOnlyList<int> StageEnds => _stageEnds;

    /// <summary>The backbone entries in order (blocks and downsamplings).</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Backbone => _backbone.ToList();

    /// <summary>Logits [B, classes] for images [B, 3, S, S] (S = <see cref="PyramidVigOptions.ImageSize"/>).</summary>
    public override Tensor forward(Tensor input)
    {
        if (_prediction is null) throw new InvalidOperationException("this ViG has no classifier (NumClasses = 0); use ForwardFeatures");
        using var scope = NewDisposeScope();
        var feats = ForwardFeatures(input);
        var pooled = functional.adaptive_avg_pool2d(feats[^1], 1);
        return _prediction.call(pooled).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>The four stage outputs (strides 4, 8, 16, 32).</summary>
    public Tensor[] ForwardFeatures(Tensor input)
    {
        CheckInput(input, Options.InChannels, Options.ImageSize);
        using var scope = NewDisposeScope();
        var x = _stem.call(input).add(get_parameter("pos_embed")!);
        var outs = new List<Tensor>();
        for (var i = 0; i < _backbone.Count; i++)
        {
            x = _backbone[i].call(x);
            if (_stageEnds.Contains(i)) outs.Add(x);
        }
        var result = outs.ToArray();
        foreach (var t in result) scope.MoveToOuter(t);
        return result;
    }

    internal static void CheckInput(Tensor input, int channels, int size)
    {
        if (input.dim() != 4 || input.shape[1] != channels || input.shape[2] != size || input.shape[3] != size)
            throw new ArgumentException($"expected images [B, {channels}, {size}, {size}], got [{string.Join(", ", input.shape)}] " +
                                        "(the position embedding is fixed to the reference input size)", nameof(input));
    }

    internal static (ModuleList<Module<Tensor, Tensor>> Backbone, int[] StageEnds) BuildBackbone(PyramidVigOptions o)
    {
        var total = o.Blocks.Sum();
        var maxDilation = o.CapDilation ? Math.Max(1, 49 / o.K) : int.MaxValue;
        var dpr = Linspace(0, o.DropPath, total);
        var list = new ModuleList<Module<Tensor, Tensor>>();
        var ends = new int[4];
        var idx = 0;
        var hw = o.ImageSize / 4 * (o.ImageSize / 4);
        for (var s = 0; s < 4; s++)
        {
            if (s > 0)
            {
                list.Add(new VigDownsample(o.Channels[s - 1], o.Channels[s]));
                hw /= 4;
            }
            var c = o.Channels[s];
            for (var j = 0; j < o.Blocks[s]; j++)
            {
                var grapher = new Grapher(c, o.K, Math.Min(idx / 4 + 1, maxDilation), PyramidVigOptions.ReduceRatios[s],
                    o.RelativePos ? hw : 0, dpr[idx]);
                list.Add(new VigBlock(grapher, new VigFfn(c, c * 4, dpr[idx])));
                idx++;
            }
            ends[s] = list.Count - 1;
        }
        return (list, ends);
    }

    internal static Sequential Head(int inChannels, int classes, double dropout) =>
        Sequential(Conv2d(inChannels, 1024, 1, bias: true), BatchNorm2d(1024), GELU(), Dropout(dropout), Conv2d(1024, classes, 1, bias: true));

    /// <summary>torch.linspace(start, end, n) in float32, as Python floats (the reference's dpr / num_knn lists).</summary>
    internal static double[] Linspace(double start, double end, int n)
    {
        using var t = linspace(start, end, n, dtype: ScalarType.Float32);
        return t.data<float>().ToArray().Select(v => (double)v).ToArray();
    }

    /// <summary>The reference's <c>model_init</c>: kaiming-normal (fan-in, gain √2) weights and zero biases for every
    /// Conv2d below <paramref name="root"/>; BatchNorm keeps weight 1, bias 0.</summary>
    internal static void InitLikeReference(nn.Module root)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in root.named_modules())
        {
            if (m is not Conv2d c) continue;
            init.kaiming_normal_(c.weight);
            if (c.bias is not null) init.zeros_(c.bias);
        }
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
