using static TorchSharp.torch;

namespace Thorax.Models.Vig;

/// <summary>
/// The relative position term of Pyramid ViG (huawei <c>gcn_lib/pos_embed.py</c> and <c>Grapher</c>): a 2-D sin-cos
/// embedding P of the node grid (first half of the channels encodes the column, second half the row, MAE style),
/// <c>R = 2·P·Pᵀ / C</c>, bicubically resized (align_corners false) from n × n to n × n/r², stored negated.
/// </summary>
public static class RelativePosition
{
    /// <summary>The 2-D sin-cos embedding [side², dim] in float64.</summary>
    public static double[,] SinCos2d(int dim, int side)
    {
        if (dim % 4 != 0) throw new ArgumentException($"the sin-cos embedding needs a channel count divisible by 4, got {dim}", nameof(dim));
        var quarter = dim / 4;
        var omega = new double[quarter];
        for (var d = 0; d < quarter; d++)
        {
            var o = (double)d;
            o /= dim / 2 / 2.0;
            omega[d] = 1.0 / Math.Pow(10000, o);
        }
        var emb = new double[side * side, dim];
        for (var i = 0; i < side; i++)
        for (var j = 0; j < side; j++)
        {
            var node = i * side + j;
            for (var d = 0; d < quarter; d++)
            {
                // first half: the column coordinate j; second half: the row coordinate i
                emb[node, d] = Math.Sin(j * omega[d]);
                emb[node, quarter + d] = Math.Cos(j * omega[d]);
                emb[node, 2 * quarter + d] = Math.Sin(i * omega[d]);
                emb[node, 3 * quarter + d] = Math.Cos(i * omega[d]);
            }
        }
        return emb;
    }

    /// <summary>The stored (negated, resized) relative position [1, n, n/r²] as float32.</summary>
    /// <param name="channels">Node channels.</param>
    /// <param name="nodes">n = H·W of the stage at the reference input size (a square grid).</param>
    /// <param name="reduceRatio">Key pooling ratio r.</param>
    public static Tensor Create(int channels, int nodes, int reduceRatio)
    {
        var side = (int)Math.Sqrt(nodes);
        if (side * side != nodes) throw new ArgumentException($"relative position needs a square node grid, got {nodes} nodes", nameof(nodes));
        using var scope = NewDisposeScope();
        var p = tensor(SinCos2d(channels, side));
        var r = matmul(p, p.t()).mul_(2.0).div_(channels).to_type(ScalarType.Float32).view(1, 1, nodes, nodes);
        var resized = nn.functional.interpolate(r, new long[] { nodes, nodes / (reduceRatio * reduceRatio) },
            mode: InterpolationMode.Bicubic, align_corners: false);
        return resized.squeeze(1).neg().MoveToOuterDisposeScope();
    }

    /// <summary>Resizes a stored term [1, n, m] to another node count (the reference's bicubic re-interpolation).</summary>
    public static Tensor Resize(Tensor relativePos, long nodes, long keys)
    {
        using var scope = NewDisposeScope();
        var r = nn.functional.interpolate(relativePos.unsqueeze(0), new long[] { nodes, keys }, mode: InterpolationMode.Bicubic, align_corners: false);
        return r.squeeze(0).MoveToOuterDisposeScope();
    }
}
