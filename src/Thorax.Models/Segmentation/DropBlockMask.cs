using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Models.Segmentation;

/// <summary>
/// The multiplicative keep mask of <see cref="DropBlock2d"/> for an (N, C, H, W) floating input: each position of each
/// plane's valid region [b/2, size − b/2) is a seed with probability γ, independently; every element within the b x b
/// square of a seed (the square a stride-1 max filter with padding ((b−1)/2, b−1−(b−1)/2) spreads the seed over) is
/// dropped. The mask is 0 on dropped elements and numel / max(1, kept) elsewhere, in the input's dtype, without
/// autograd history.
/// </summary>
/// <remarks>
/// On the CPU for float32 and float64 the seeds are drawn by geometric skipping (one uniform per seed rather than one per
/// element), their squares stamped into a managed buffer, counted, and the mask made as one tensor; other devices and
/// dtypes draw one uniform per element and go through libtorch's pooling ops. Both follow the same distribution; the
/// random streams differ.
/// </remarks>
internal static class DropBlockMask
{
    /// <summary>The keep mask for <paramref name="input"/> (see the class summary), seeds drawn from <paramref name="generator"/> or the global generator.</summary>
    /// <exception cref="ArgumentException">Not 4-D, a block size below 1, a map smaller than the block, or γ outside [0, 1].</exception>
    public static Tensor KeepMask(Tensor input, double gamma, int blockSize, Generator? generator)
    {
        Check(input, blockSize);
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "dropblock: gamma must be in [0, 1]");
        using var noGrad = torch.no_grad();
        if (IsManaged(input))
        {
            var half = blockSize / 2;
            var total = input.shape[0] * input.shape[1] * (input.shape[2] - 2 * half) * (input.shape[3] - 2 * half);
            return FromSeeds(GeometricSeeds(total, gamma, generator), input.shape, input.dtype, blockSize);
        }
        using var u = torch.rand(input.shape, input.dtype, input.device, generator: generator);
        return Composite(u, gamma, blockSize);
    }

    /// <summary>
    /// The keep mask from given uniform samples <paramref name="uniform"/> (seed where u &lt; γ), by the managed
    /// seed-stamping path (CPU float32/float64) or, with <paramref name="composite"/>, by pooling ops; for tests that
    /// both implement the same rule.
    /// </summary>
    public static Tensor FromUniform(Tensor uniform, double gamma, int blockSize, bool composite)
    {
        Check(uniform, blockSize);
        using var noGrad = torch.no_grad();
        if (composite || !IsManaged(uniform)) return Composite(uniform, gamma, blockSize);
        return FromSeeds(SeedsFromUniform(uniform, gamma, blockSize), uniform.shape, uniform.dtype, blockSize);
    }

    private static bool IsManaged(Tensor t) =>
        t.device_type == DeviceType.CPU && (t.dtype == ScalarType.Float32 || t.dtype == ScalarType.Float64);

    private static void Check(Tensor t, int blockSize)
    {
        if (t.dim() != 4) throw new ArgumentException($"dropblock: expected (N, C, H, W), got {ShapeText.Of(t)}", nameof(t));
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "dropblock: block size must be at least 1");
        var half = blockSize / 2;
        if (t.shape[2] - 2 * half < 1 || t.shape[3] - 2 * half < 1)
            throw new ArgumentException($"dropblock: map {ShapeText.Of(t)} smaller than the block {blockSize}", nameof(t));
    }

    /// <summary>The pooling formulation: seeds = (u &lt; γ) in the valid region, grown by a stride-1 b x b max pool with 'same' padding.</summary>
    private static Tensor Composite(Tensor u, double gamma, int bs)
    {
        using var scope = torch.NewDisposeScope();
        long h = u.shape[2], w = u.shape[3], half = bs / 2;
        var seeds = u.lt(gamma).to_type(u.dtype);
        var valid = F.pad(torch.ones(new[] { h - 2 * half, w - 2 * half }, u.dtype, u.device), new[] { half, half, half, half });
        seeds = seeds.mul_(valid);
        long before = (bs - 1) / 2, after = bs - 1 - before;
        var padded = F.pad(seeds, new[] { before, after, before, after });
        var blocks = F.max_pool2d(F.max_pool2d(padded, new long[] { 1, bs }, new long[] { 1, 1 }), new long[] { bs, 1 }, new long[] { 1, 1 });
        var kept = torch.ones_like(blocks).sub_(blocks);
        var scale = kept.sum().clamp_(1).reciprocal_().mul_((double)u.numel());
        return kept.mul_(scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Bernoulli(γ) seeds over <paramref name="total"/> positions by geometric skipping: the gap before the next seed is
    /// floor(log(v) / log(1 − γ)) for v uniform in (0, 1], the distribution of one Bernoulli draw per position with one
    /// uniform per seed. Seeds are flat indices into the valid regions, plane after plane, ascending.
    /// </summary>
    private static List<long> GeometricSeeds(long total, double gamma, Generator? generator)
    {
        var seeds = new List<long>();
        if (!(gamma > 0) || total <= 0) return seeds;
        var logq = Math.Log(1 - Math.Min(gamma, 1.0)); // -inf at gamma 1: every gap is 0
        var chunk = Math.Max(64, (long)(gamma * total * 1.1) + 64);
        long pos = -1;
        while (true)
        {
            double[] v;
            using (var t = torch.rand(new[] { chunk }, ScalarType.Float64, generator: generator)) v = t.data<double>().ToArray();
            foreach (var r in v)
            {
                var gap = gamma >= 1.0 ? 0.0 : Math.Floor(Math.Log(1 - r) / logq); // 1 − rand is in (0, 1]
                if (!(gap < total - pos)) return seeds;
                pos += 1 + (long)gap;
                if (pos >= total) return seeds;
                seeds.Add(pos);
            }
        }
    }

    /// <summary>Seeds where u &lt; γ (compared in u's precision) inside the valid regions, as flat valid-region indices.</summary>
    private static List<long> SeedsFromUniform(Tensor u, double gamma, int bs)
    {
        double[] values;
        using (var d = u.to_type(ScalarType.Float64).contiguous()) values = d.data<double>().ToArray();
        long planes = u.shape[0] * u.shape[1], h = u.shape[2], w = u.shape[3], half = bs / 2, hv = h - 2 * half, wv = w - 2 * half;
        var g = u.dtype == ScalarType.Float32 ? (double)(float)gamma : gamma;
        var seeds = new List<long>();
        for (long p = 0; p < planes; p++)
            for (long i = 0; i < hv; i++)
                for (long j = 0; j < wv; j++)
                    if (values[p * h * w + (i + half) * w + j + half] < g) seeds.Add(p * hv * wv + i * wv + j);
        return seeds;
    }

    /// <summary>Stamps each seed's square, counts the dropped elements and fills the mask (same arithmetic as <see cref="Composite"/>).</summary>
    private static Tensor FromSeeds(List<long> seeds, long[] sizes, ScalarType dtype, int bs)
    {
        long planes = sizes[0] * sizes[1], h = sizes[2], w = sizes[3], plane = h * w, half = bs / 2;
        long hv = h - 2 * half, wv = w - 2 * half, before = (bs - 1) / 2, after = bs - 1 - before;
        var numel = checked((int)(planes * plane));
        var dropped = new bool[numel];
        foreach (var idx in seeds)
        {
            long p = idx / (hv * wv), r = idx % (hv * wv);
            long i = r / wv + half, j = r % wv + half;
            long r0 = Math.Max(0, i - after), r1 = Math.Min(h - 1, i + before);
            long c0 = Math.Max(0, j - after), c1 = Math.Min(w - 1, j + before);
            for (var rr = r0; rr <= r1; rr++) dropped.AsSpan((int)(p * plane + rr * w + c0), (int)(c1 - c0 + 1)).Fill(true);
        }
        long droppedCount = 0;
        foreach (var d in dropped) if (d) droppedCount++;
        var keptCount = Math.Max(1, numel - droppedCount);
        if (dtype == ScalarType.Float64)
        {
            var scale = 1.0 / keptCount * numel;
            var values = new double[numel];
            for (var k = 0; k < numel; k++) values[k] = dropped[k] ? 0.0 : scale;
            return torch.tensor(values, sizes);
        }
        else
        {
            // Same float32 arithmetic as the composite: reciprocal of the clamped kept count, then times numel.
            var scale = 1f / keptCount * numel;
            var values = new float[numel];
            for (var k = 0; k < numel; k++) values[k] = dropped[k] ? 0f : scale;
            return torch.tensor(values, sizes);
        }
    }
}
