using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>
/// Max-relative graph convolution (huawei <c>MRConv2d</c>): for each node i, <c>rel_i = max_j (y_j − x_i)</c> over its
/// neighbours j, the channel-interleaved concat <c>[x_0, rel_0, x_1, rel_1, …]</c>, then <c>nn</c> = Conv1x1
/// (2C → out, groups 4, bias) + BatchNorm + GELU. Keys: <c>nn.0.weight</c>, <c>nn.0.bias</c>, <c>nn.1.*</c>.
/// </summary>
/// <remarks><c>max_j fl(y_j − x_i) = fl(max_j y_j − x_i)</c> exactly (rounding is monotone), so the neighbours are
/// reduced before the subtraction and the [B, C, N, k] difference tensor of the reference is never made.</remarks>
public sealed class MaxRelativeConv : Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Sequential _nn;

    /// <param name="inChannels">Node channels C.</param>
    /// <param name="outChannels">Output channels (2C in ViG).</param>
    public MaxRelativeConv(int inChannels, int outChannels) : base("MRConv2d")
    {
        if (inChannels * 2 % 4 != 0 || outChannels % 4 != 0)
            throw new ArgumentException($"grouped (groups=4) convolution needs 2·in ({2 * inChannels}) and out ({outChannels}) divisible by 4");
        _nn = Sequential(Conv2d(inChannels * 2, outChannels, 1, bias: true, groups: 4), BatchNorm2d(outChannels), GELU());
        register_module("nn", _nn);
    }

    /// <summary>The graph convolution.</summary>
    /// <param name="x">Query nodes [B, C, N, 1].</param>
    /// <param name="neighbours">Neighbour indices [B, N, k] into <paramref name="y"/> (or <paramref name="x"/>).</param>
    /// <param name="y">Key nodes [B, C, M, 1], or null when the neighbours index <paramref name="x"/>.</param>
    /// <returns>[B, out, N, 1].</returns>
    public override Tensor forward(Tensor x, Tensor neighbours, Tensor? y)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], n = x.shape[2];
        var keys = y ?? x;
        var mKeys = keys.shape[2];
        var k = neighbours.shape[2];
        var flatKeys = keys.reshape(b, c, mKeys).transpose(1, 2).reshape(b * mKeys, c);
        var offsets = arange(b, dtype: ScalarType.Int64, device: neighbours.device).mul_(mKeys).view(b, 1, 1);
        var picked = flatKeys.index_select(0, neighbours.add(offsets).view(-1)).view(b, n, k, c);
        var rel = picked.amax(new long[] { 2 }).transpose(1, 2).unsqueeze(-1).sub(x); // B, C, N, 1
        var cat = stack(new[] { x, rel }, dim: 2).reshape(b, 2 * c, n, 1);
        return _nn.call(cat).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
