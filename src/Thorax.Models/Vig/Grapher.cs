using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>
/// The ViG graph block (huawei / GD-ViG <c>Grapher</c>): <c>x + drop_path(fc2(graph_conv(fc1(x))))</c>, fc1 = Conv1x1
/// (C → C) + BN, graph_conv = <see cref="DynamicGraphConv"/> (C → 2C), fc2 = Conv1x1 (2C → C) + BN. Keys:
/// <c>fc1.0.*</c>, <c>fc1.1.*</c>, <c>graph_conv.gconv.nn.0.*</c>, <c>graph_conv.gconv.nn.1.*</c>, <c>fc2.*</c>, and
/// <c>relative_pos</c> (a parameter without gradient, [1, n, n/r²]) when the block uses relative positions.
/// </summary>
public sealed class Grapher : nn.Module
{
    private readonly Sequential _fc1;
    private readonly DynamicGraphConv _graphConv;
    private readonly Sequential _fc2;
    private readonly DropPath? _dropPath;

    /// <param name="channels">Node channels C.</param>
    /// <param name="k">Neighbours per node.</param>
    /// <param name="dilation">KNN dilation.</param>
    /// <param name="reduceRatio">Key pooling ratio r.</param>
    /// <param name="relativePosNodes">n = H·W of the stage at the reference input size to build the relative position
    /// term for, or 0 for none.</param>
    /// <param name="dropPath">Stochastic depth rate of the residual branch (training only).</param>
    public Grapher(int channels, int k = 9, int dilation = 1, int reduceRatio = 1, int relativePosNodes = 0, double dropPath = 0.0)
        : base("Grapher")
    {
        Channels = channels;
        _fc1 = Sequential(Conv2d(channels, channels, 1), BatchNorm2d(channels));
        _graphConv = new DynamicGraphConv(channels, channels * 2, k, dilation, reduceRatio);
        _fc2 = Sequential(Conv2d(channels * 2, channels, 1), BatchNorm2d(channels));
        register_module("fc1", _fc1);
        register_module("graph_conv", _graphConv);
        register_module("fc2", _fc2);
        if (dropPath > 0)
        {
            _dropPath = new DropPath(dropPath);
            register_module("drop_path", _dropPath);
        }
        if (relativePosNodes > 0)
        {
            RelativePosNodes = relativePosNodes;
            register_parameter("relative_pos", new Parameter(RelativePosition.Create(channels, relativePosNodes, reduceRatio), requires_grad: false));
        }
    }

    /// <summary>Node channels.</summary>
    public int Channels { get; }

    /// <summary>The node count the relative position term was built for (0: none).</summary>
    public int RelativePosNodes { get; }

    /// <summary>The graph convolution (k, dilation, reduce ratio).</summary>
    public DynamicGraphConv GraphConv => _graphConv;

    /// <summary>The block on a node map [B, C, H, W], with an optional gaze map [B, 1, H, W] directing the graph.</summary>
    public Tensor Forward(Tensor x, Tensor? gaze = null, double gazeLambda = 1.0)
    {
        using var scope = NewDisposeScope();
        var y = _fc1.call(x);
        Tensor? rel = null;
        if (RelativePosNodes > 0)
        {
            // looked up by name: Module.to() replaces parameters, so a field would go stale
            var stored = get_parameter("relative_pos")!;
            long n = x.shape[2] * x.shape[3];
            rel = n == RelativePosNodes
                ? stored
                : RelativePosition.Resize(stored, n, n / (_graphConv.ReduceRatio * _graphConv.ReduceRatio));
        }
        y = _graphConv.Forward(y, rel, gaze, gazeLambda);
        y = _fc2.call(y);
        if (_dropPath is not null) y = _dropPath.call(y);
        return y.add(x).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
