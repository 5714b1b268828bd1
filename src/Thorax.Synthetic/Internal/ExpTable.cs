using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thorax.Synthetic.Internal;

/// <summary>exp(-t) for t in [0, <see cref="Range"/>) from a table with linear interpolation (absolute error
/// below 3e-6), for Gaussian bumps in pixel loops.</summary>
internal static class ExpTable
{
    /// <summary>Upper end of the tabulated range; exp(-9) is about 1.2e-4.</summary>
    public const float Range = 9f;

    private const int Steps = 2048;
    private const float Scale = Steps / Range;
    private static readonly float[] Table = Build();

    private static float[] Build()
    {
        var t = new float[Steps + 2];
        for (int i = 0; i < t.Length; i++) t[i] = (float)Math.Exp(-(double)i / Scale);
        return t;
    }

    /// <summary>One row of a rotated Gaussian bump: for x in [x0, x1], with dx = x + 0.5 - cx and
    /// t = (qa dx + rowB) dx + rowC, row[x] += amp * NegExp(t) where t &lt; <see cref="Range"/>. The AVX2 path performs
    /// the same float operations in the same order as the scalar one, so the results are identical.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void AddBumpRow(Span<float> row, int x0, int x1, float cx, float qa, float rowB, float rowC, float amp)
    {
        if (x0 < 0 || x1 >= row.Length) throw new ArgumentOutOfRangeException(nameof(x1), "Bump row outside the raster row.");
        int x = x0;
        fixed (float* t = Table, r = row)
        {
            if (Avx2.IsSupported)
            {
                var vcx = Vector256.Create(cx);
                var half = Vector256.Create(0.5f);
                var vqa = Vector256.Create(qa);
                var vb = Vector256.Create(rowB);
                var vc = Vector256.Create(rowC);
                var vamp = Vector256.Create(amp);
                var range = Vector256.Create(Range);
                var scale = Vector256.Create(Scale);
                var steps = Vector256.Create((float)Steps);
                var zero = Vector256<float>.Zero;
                var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                for (; x <= x1 - 7; x += 8)
                {
                    var dx = Avx.Subtract(Avx.Add(Avx.ConvertToVector256Single(Avx2.Add(Vector256.Create(x), lane)), half), vcx);
                    var tt = Avx.Add(Avx.Multiply(Avx.Add(Avx.Multiply(vqa, dx), vb), dx), vc);
                    var inRange = Avx.CompareLessThan(tt, range);
                    // Lanes at or beyond Range are discarded below; clamping keeps their table indices in bounds.
                    var f = Avx.Min(Avx.Multiply(Avx.Max(tt, zero), scale), steps);
                    var i = Avx.ConvertToVector256Int32WithTruncation(f);
                    var a = Avx2.GatherVector256(t, i, 4);
                    var b = Avx2.GatherVector256(t + 1, i, 4);
                    var e = Avx.Add(a, Avx.Multiply(Avx.Subtract(b, a), Avx.Subtract(f, Avx.ConvertToVector256Single(i))));
                    var old = Avx.LoadVector256(r + x);
                    Avx.Store(r + x, Avx.BlendVariable(old, Avx.Add(old, Avx.Multiply(vamp, e)), inRange));
                }
            }
            for (; x <= x1; x++)
            {
                float dx = x + 0.5f - cx;
                float tt = (qa * dx + rowB) * dx + rowC;
                if (tt < Range) r[x] += amp * NegExp(tt);
            }
        }
    }

    /// <summary>exp(-t) for 0 &lt;= t &lt; <see cref="Range"/> (t is clamped at 0 from below).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NegExp(float t)
    {
        float f = MathF.Max(t, 0f) * Scale;
        int i = (int)f;
        float a = Table[i];
        return a + (Table[i + 1] - a) * (f - i);
    }
}
