using System.Text.Json;
using Thorax.Data.Datasets;

namespace Thorax.Data.Tests.Augmentation;

/// <summary>Reads tests/data/golden/augment/augment.json (made by tools/golden/augment/make_augment_golden.py).</summary>
internal static class AugmentGolden
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "tests", "data", "golden", "augment", "augment.json");
            if (File.Exists(p)) return JsonDocument.Parse(File.ReadAllText(p));
        }
        throw new FileNotFoundException("tests/data/golden/augment/augment.json not found above " + AppContext.BaseDirectory);
    });

    public static JsonElement Root => Doc.Value.RootElement;

    public static JsonElement Case(string name) => Root.GetProperty("cases").GetProperty(name);

    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static byte[] Bytes(JsonElement e) => e.EnumerateArray().Select(v => (byte)v.GetDouble()).ToArray();

    /// <summary>The golden input as a 1-channel sample with its mask and the image as gaze map.</summary>
    public static Sample Input()
    {
        int w = Root.GetProperty("width").GetInt32(), h = Root.GetProperty("height").GetInt32();
        var img = Floats(Root.GetProperty("image"));
        return new Sample
        {
            Id = "golden", Image = img, Channels = 1, Width = w, Height = h,
            Masks = [Bytes(Root.GetProperty("mask"))], Gaze = (float[])img.Clone(),
        };
    }

    public static void Near(float[] expected, float[] actual, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= atol, $"{what}: max |diff| {worst} at {at} (expected {(at >= 0 ? expected[at] : 0)}, actual {(at >= 0 ? actual[at] : 0)}) > {atol}");
    }

    /// <summary>Nearest-neighbour masks may differ where a sample position lies within float rounding of a pixel
    /// boundary; allow a handful of pixels.</summary>
    public static void MaskNear(byte[] expected, byte[] actual, int maxDiffering, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int diff = 0;
        for (int i = 0; i < expected.Length; i++) if (expected[i] != actual[i]) diff++;
        Assert.True(diff <= maxDiffering, $"{what}: {diff} mask pixels differ (allowed {maxDiffering})");
    }
}
