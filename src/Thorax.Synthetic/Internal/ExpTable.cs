using System.Runtime.CompilerServices;

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
