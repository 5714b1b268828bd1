using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Vig;

/// <summary>
/// The dense dilated k-nearest-neighbour graph of Vision GNN (huawei <c>vig_pytorch/gcn_lib/torch_edge.py</c>) and its
/// gaze-directed form (GD-ViG's <c>ViG_Gaze</c>), built without gradients.
/// </summary>
/// <remarks>
/// <para>
/// For query nodes <c>x</c> [B, C, N] and key nodes <c>y</c> [B, C, M] (the query nodes themselves when the block's
/// reduce ratio is 1): both are L2-normalised along channels (<c>F.normalize</c>, eps 1e-12), then
/// <c>dist_ij = |x_i|² + (-2 x_i·y_j) + |y_j|²</c> in that order of additions (the reference's), plus the relative
/// position term when given, plus the gaze term when given; the <c>k·d</c> smallest distances are taken by
/// <c>topk(-dist)</c> and every <c>d</c>-th of them kept (dilation).
/// </para>
/// <para>
/// Gaze term: <c>lambda · (g_i − g_j)² · ĝ_i</c> with <c>(g_i − g_j)²</c> expanded like the feature distance and
/// <c>ĝ_i = (g_i − min g) / (max g − min g)</c> over the query-side map of each sample. The reference divides 0 by 0
/// when a sample's gaze map is constant, which makes every distance NaN and the neighbour choice arbitrary; here the
/// denominator of such a sample is 1, so ĝ = 0 and the gaze term vanishes (its finite limit: with a constant map every
/// <c>(g_i − g_j)</c> is 0 too). This is Thorax's one deliberate deviation from the reference.
/// </para>
/// </remarks>
public static class VigKnn
{
    /// <summary>Neighbour indices [B, N, k] into the key nodes, for each query node.</summary>
    /// <param name="x">Query node features [B, C, N] (any grad state; used detached).</param>
    /// <param name="y">Key node features [B, C, M], or null for the query nodes themselves.</param>
    /// <param name="k">Neighbours kept per node.</param>
    /// <param name="dilation">Dilation d: the k·d nearest are found and every d-th kept.</param>
    /// <param name="relativePos">Optional additive term [1, N, M] (the stored, already negated relative position).</param>
    /// <param name="gazeX">Optional query-side gaze [B, N] (requires <paramref name="gazeY"/> when <paramref name="y"/> is given).</param>
    /// <param name="gazeY">Key-side gaze [B, M] (max-pooled like the keys), or null when the keys are the query nodes.</param>
    /// <param name="gazeLambda">Weight of the gaze term (the authors' code: 1; their paper: 3).</param>
    public static Tensor Neighbours(Tensor x, Tensor? y, int k, int dilation, Tensor? relativePos = null,
        Tensor? gazeX = null, Tensor? gazeY = null, double gazeLambda = 1.0)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k));
        if (dilation < 1) throw new ArgumentOutOfRangeException(nameof(dilation));
        if (x.dim() != 3) throw new ArgumentException($"expected query nodes [B, C, N], got [{string.Join(", ", x.shape)}]", nameof(x));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var xn = nn.functional.normalize(x.detach(), p: 2.0, dim: 1).transpose(1, 2); // B, N, C
        var yn = y is null ? xn : nn.functional.normalize(y.detach(), p: 2.0, dim: 1).transpose(1, 2); // B, M, C
        var m = yn.shape[1];
        var kd = (long)k * dilation;
        if (kd > m)
            throw new ArgumentException($"k·dilation = {k}·{dilation} = {kd} exceeds the {m} key nodes");
        if (UseKernel && x.device_type == DeviceType.CPU && x.dtype is ScalarType.Float32 or ScalarType.Float64
            && (y is null || y.dtype == x.dtype) && (relativePos is null || relativePos.dtype == x.dtype)
            && (gazeX is null || (gazeX.dtype == x.dtype && (gazeY is null || gazeY.dtype == x.dtype))))
            return Fused(xn, y is null ? null : yn, k, dilation, relativePos, gazeX, gazeY, gazeLambda).MoveToOuterDisposeScope();
        var inner = matmul(xn, yn.transpose(1, 2)).mul_(-2);
        var xsq = xn.mul(xn).sum(-1, keepdim: true);
        var ysq = y is null ? xsq : yn.mul(yn).sum(-1, keepdim: true);
        var dist = xsq.add(inner).add_(ysq.transpose(1, 2));
        if (relativePos is not null) dist.add_(relativePos);
        if (gazeX is not null)
        {
            var gy = y is null ? gazeX : gazeY ?? throw new ArgumentException("key-side gaze is required when the keys are pooled", nameof(gazeY));
            var gx = gazeX.detach().unsqueeze(-1); // B, N, 1
            var gyt = gy.detach().unsqueeze(1);    // B, 1, M
            var gd = gx.mul(gx).add(gx.matmul(gyt).mul_(-2)).add_(gyt.mul(gyt));
            if (gazeLambda != 1.0) gd.mul_(gazeLambda);
            var flat = gazeX.detach().reshape(gazeX.shape[0], -1);
            var max = flat.amax(new long[] { 1 }, keepdim: true).unsqueeze(-1);
            var min = flat.amin(new long[] { 1 }, keepdim: true).unsqueeze(-1);
            var range = max.sub(min);
            range = where(range.gt(0), range, ones_like(range));
            var norm = gx.sub(min).div_(range);
            dist.add_(gd.mul_(norm));
        }
        var idx = dist.neg_().topk((int)kd, dim: -1).indexes;
        if (dilation > 1) idx = idx.slice(-1, 0, kd, dilation);
        return idx.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Whether CPU float32/float64 graphs go through <see cref="VigKnnKernel"/> (the same distances, ranked
    /// without materialising them); false forces the tensor formulation (the tests compare the two).</summary>
    internal static bool UseKernel { get; set; } = true;

    /// <summary>The CPU path: the normalised nodes' inner products by one batched matmul and their squared norms by the
    /// same tensor operations as the tensor formulation (reductions whose order must not change), then
    /// <see cref="VigKnnKernel"/> for the rest.</summary>
    private static Tensor Fused(Tensor xn, Tensor? yn, int k, int dilation, Tensor? relativePos, Tensor? gazeX, Tensor? gazeY, double gazeLambda)
    {
        using var scope = NewDisposeScope();
        var keys = yn ?? xn;
        long b = xn.shape[0], n = xn.shape[1], m = keys.shape[1];
        var inner = matmul(xn, keys.transpose(1, 2)).contiguous();
        var xsq = xn.mul(xn).sum(-1).contiguous();
        var ysq = yn is null ? xsq : yn.mul(yn).sum(-1).contiguous();
        Tensor? rel = null;
        if (relativePos is not null)
        {
            if (relativePos.numel() != n * m || (relativePos.dim() == 3 && relativePos.shape[0] != 1))
                throw new ArgumentException($"relative position term [{string.Join(", ", relativePos.shape)}] does not fit {n} nodes x {m} keys", nameof(relativePos));
            rel = relativePos.detach().reshape(n, m).contiguous();
        }
        Tensor? gx = null, gy = null;
        if (gazeX is not null)
        {
            var g = yn is null ? gazeX : gazeY ?? throw new ArgumentException("key-side gaze is required when the keys are pooled", nameof(gazeY));
            gx = gazeX.detach().reshape(b, n).contiguous();
            gy = g.detach().reshape(b, m).contiguous();
        }
        var idx = xn.dtype == ScalarType.Float32
            ? VigKnnKernel.Neighbours(inner, xsq, ysq, rel, gx, gy, (float)gazeLambda, gazeLambda != 1.0, k, dilation)
            : VigKnnKernel.Neighbours(inner, xsq, ysq, rel, gx, gy, gazeLambda, gazeLambda != 1.0, k, dilation);
        return idx.MoveToOuterDisposeScope();
    }
}
