using System.Text.Json;

namespace Thorax.Imaging.Tests;

/// <summary>Reads golden arrays written by tools/golden/imaging/golden_ops.py: {"shape","dtype","data"}.</summary>
internal static class GoldenArray
{
    public static int[] Shape(JsonElement e) => TestData.Ints(e.GetProperty("shape"));

    private static (int W, int H, int C) Dims(JsonElement e)
    {
        var s = Shape(e);
        return (s[1], s[0], s.Length > 2 ? s[2] : 1);
    }

    public static Image<byte> U8(JsonElement e)
    {
        var (w, h, c) = Dims(e);
        return new Image<byte>(w, h, c, TestData.Bytes(e.GetProperty("data")));
    }

    public static Image<ushort> U16(JsonElement e)
    {
        var (w, h, c) = Dims(e);
        return new Image<ushort>(w, h, c, Array.ConvertAll(TestData.Ints(e.GetProperty("data")), v => (ushort)v));
    }

    /// <summary>The uint16 formula image of golden_ops.py's large resize/warp cases (rebuilt here instead of stored):
    /// v = ((((x * 7919) ^ (y * 104729)) &amp; 0x3FFF) + 41 x + 29 y + 12345 c) &amp; 0xFFFF.</summary>
    public static Image<ushort> U16Pattern(int w, int h, int cn)
    {
        var img = new Image<ushort>(w, h, cn);
        var d = img.Data;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < cn; c++)
                {
                    long v = ((((long)x * 7919) ^ ((long)y * 104729)) & 0x3FFF) + 41L * x + 29L * y + 12345L * c;
                    d[(y * w + x) * cn + c] = (ushort)(v & 0xFFFF);
                }
        return img;
    }

    public static Image<float> F32(JsonElement e)
    {
        var (w, h, c) = Dims(e);
        return new Image<float>(w, h, c, TestData.Floats(e.GetProperty("data")));
    }

    public static double[] F64(JsonElement e) => TestData.Doubles(e.GetProperty("data"));

    public static int[] I32(JsonElement e) => TestData.Ints(e.GetProperty("data"));

    /// <summary>Asserts two byte images are equal, or differ by at most <paramref name="tolerance"/>; returns the exact-match fraction.</summary>
    public static double AssertClose(Image<byte> expected, Image<byte> actual, int tolerance, string context)
    {
        Assert.True(expected.HasSameShape(actual), $"{context}: shape {actual} != {expected}");
        int exact = 0, worst = 0, at = -1;
        var e = expected.Pixels;
        var a = actual.Pixels;
        for (int i = 0; i < e.Length; i++)
        {
            int d = Math.Abs(e[i] - a[i]);
            if (d == 0) exact++;
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= tolerance, $"{context}: max |diff| {worst} at flat index {at} (expected {(at >= 0 ? e[at] : 0)}, got {(at >= 0 ? a[at] : 0)})");
        return (double)exact / e.Length;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            Assert.True(d <= atol + rtol * Math.Abs(expected[i]),
                $"{context}: index {i}: expected {expected[i]}, got {actual[i]} (|diff| {d})");
        }
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            Assert.True(d <= atol + rtol * Math.Abs(expected[i]),
                $"{context}: index {i}: expected {expected[i]}, got {actual[i]} (|diff| {d})");
        }
    }
}
