using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>
/// Dynamic graph convolution (huawei <c>DyGraphConv2d</c>): keys average-pooled by the reduce ratio r when r &gt; 1,
/// the dilated KNN graph of <see cref="VigKnn"/> rebuilt on every call, then <see cref="MaxRelativeConv"/> (key
/// <c>gconv</c>).
/// </summary>
public sealed class DynamicGraphConv : nn.Module
{
    private readonly MaxRelativeConv _gconv;

    /// <param name="inChannels">Node channels C.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="k">Neighbours per node.</param>
    /// <param name="dilation">KNN dilation.</param>
    /// <param name="reduceRatio">Key pooling ratio r (1: the keys are the nodes).</param>
    public DynamicGraphConv(int inChannels, int outChannels, int k, int dilation, int reduceRatio) : base("DyGraphConv2d")
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k));
        if (dilation < 1) throw new ArgumentOutOfRangeException(nameof(dilation));
        if (reduceRatio < 1) throw new ArgumentOutOfRangeException(nameof(reduceRatio));
        K = k;
        Dilation = dilation;
        ReduceRatio = reduceRatio;
        _gconv = new MaxRelativeConv(inChannels, outChannels);
        register_module("gconv", _gconv);
    }

    /// <summary>Neighbours per node.</summary>
    public int K { get; }

    /// <summary>KNN dilation d.</summary>
    public int Dilation { get; }

    /// <summary>Key pooling ratio r.</summary>
    public int ReduceRatio { get; }

    /// <summary>When set, receives every graph this block builds: the neighbour indices [B, N, k] (int64, into the key
    /// nodes, valid during the call only), the node grid (H, W) and the key grid (H/r, W/r). For figures and audits.</summary>
    public Action<Tensor, int, int, int, int>? GraphObserver { get; set; }

    /// <summary>Graph convolution of a node map.</summary>
    /// <param name="x">Node map [B, C, H, W].</param>
    /// <param name="relativePos">Optional relative position term [1, H·W, H·W/r²].</param>
    /// <param name="gaze">Optional gaze map [B, 1, H, W] for the gaze-directed graph (key side max-pooled by r).</param>
    /// <param name="gazeLambda">Weight of the gaze term.</param>
    /// <returns>[B, out, H, W].</returns>
    public Tensor Forward(Tensor x, Tensor? relativePos = null, Tensor? gaze = null, double gazeLambda = 1.0)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        Tensor? y = null, gazeY = null;
        if (ReduceRatio > 1)
        {
            y = functional.avg_pool2d(x, ReduceRatio, ReduceRatio).reshape(b, c, -1, 1);
            if (gaze is not null) gazeY = functional.max_pool2d(gaze, ReduceRatio, ReduceRatio).reshape(b, -1);
        }
        var nodes = x.reshape(b, c, -1, 1);
        var gazeX = gaze?.reshape(b, -1);
        var idx = VigKnn.Neighbours(nodes.squeeze(-1), y?.squeeze(-1), K, Dilation, relativePos, gazeX, gazeY, gazeLambda);
        GraphObserver?.Invoke(idx, (int)h, (int)w, (int)(h / ReduceRatio), (int)(w / ReduceRatio));
        var output = _gconv.call(nodes, idx, y);
        return output.reshape(b, -1, h, w).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
