using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Internal;

/// <summary>The vectorised renderer row kernels against the scalar formulas they replaced: results must be equal
/// bit for bit (the generator's output bytes depend on it), at lengths that leave vector remainders.</summary>
public class RowKernelTests
{
    private static float[] Random(int n, ref Rng rng, double lo, double hi, double zeroShare = 0)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.Chance(zeroShare) ? 0f : rng.Range(lo, hi);
        return a;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(37)]
    [InlineData(1024)]
    public void UpsampleAndAddRamp_MatchTheRenderersScalarFormulasBitForBit(int n)
    {
        var rng = new Rng(0xA11 + (ulong)n);
        int ls = Math.Max(2, n / 8 + 1);
        var low = Random(ls, ref rng, -0.2, 1.4);
        int from = n > 3 ? 3 : 0, len = n - from;
        var x0 = new int[n]; var x1 = new int[n]; var tx = new float[n];
        for (int x = 0; x < n; x++) { x0[x] = rng.Next(ls); x1[x] = Math.Min(x0[x] + 1, ls - 1); tx[x] = rng.Range(0, 1); }
        var t = new float[n];
        RowOps.Upsample(low, x0, x1, tx, from, t.AsSpan(from, len));
        for (int x = from; x < n; x++)
            Assert.Equal(BitConverter.SingleToInt32Bits(low[x0[x]] + (low[x1[x]] - low[x0[x]]) * tx[x]), BitConverter.SingleToInt32Bits(t[x]));

        var c = Random(n, ref rng, 0, 1, zeroShare: 0.3);
        var a0 = Random(n, ref rng, -1, 3);
        a0[0] = -0f; // a skipped pixel keeps its sign of zero
        float depth = 0.93f, f = 0.37f;
        var air = (float[])a0.Clone();
        RowOps.AddRamp(c, t, -depth, 0.16f, 0.36f, 1.35f, air); // lung air: the subtraction written as a negative scale
        var central = (float[])a0.Clone();
        RowOps.AddRamp(c, t, f, 0.5f, 0.5f, 1.4f, central);
        for (int x = 0; x < n; x++)
        {
            float ea = a0[x], ec = a0[x];
            if (c[x] > 0)
            {
                ea -= c[x] * depth * (0.16f + 0.36f * MathF.Min(1f, t[x] * 1.35f));
                ec += f * c[x] * (0.5f + 0.5f * MathF.Min(1f, 1.4f * t[x]));
            }
            Assert.Equal(BitConverter.SingleToInt32Bits(ea), BitConverter.SingleToInt32Bits(air[x]));
            Assert.Equal(BitConverter.SingleToInt32Bits(ec), BitConverter.SingleToInt32Bits(central[x]));
        }
    }

    [Theory]
    [InlineData(0, 0, 9.3f)]
    [InlineData(3, 60, 17.25f)]
    [InlineData(0, 199, 100.5f)]
    public void AddBumpRow_MatchesScalarLoop(int x0, int x1, float cx)
    {
        var rng = new Rng((ulong)(x1 + 5));
        var row = Random(200, ref rng, -1, 1);
        var expected = (float[])row.Clone();
        // A rotated bump (sx 14, sy 6, rot 0.7) on one row, including pixels beyond the table range.
        float ix = 1f / (2 * 14f * 14f), iy = 1f / (2 * 6f * 6f), co = MathF.Cos(0.7f), sn = MathF.Sin(0.7f);
        float qa = co * co * ix + sn * sn * iy, qb = 2 * co * sn * (ix - iy), qc = sn * sn * ix + co * co * iy;
        float dy = 4.5f, rowB = qb * dy, rowC = qc * dy * dy, amp = 0.27f;
        for (int x = x0; x <= x1; x++)
        {
            float dx = x + 0.5f - cx;
            float t = (qa * dx + rowB) * dx + rowC;
            if (t < ExpTable.Range) expected[x] += amp * ExpTable.NegExp(t);
        }
        ExpTable.AddBumpRow(row, x0, x1, cx, qa, rowB, rowC, amp);
        for (int i = 0; i < row.Length; i++) Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(row[i]));
    }
}
