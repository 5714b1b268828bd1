using System.Globalization;

namespace Thorax.Synthetic.Tests.Generation;

/// <summary>Compares synthetic lung geometry with the real Montgomery/Shenzhen pairs in ../shared/data/lungs
/// (256x256 masks). Skipped when the shared data is absent.</summary>
public class RealDataCalibrationTests
{
    private static readonly Lazy<SyntheticStudy[]> Synthetic = new(() =>
    {
        var g = new StudyGenerator(new SynthOptions { Count = 24, Seed = 5, ImageSize = 256 });
        return Enumerable.Range(0, 24).Select(g.Generate).ToArray();
    });

    private static string? LungsDir()
    {
        var shared = TestUtil.SharedData();
        var dir = shared is null ? null : Path.Combine(shared, "lungs");
        return dir is not null && File.Exists(Path.Combine(dir, "pairs.csv")) ? dir : null;
    }

    private static double Percentile(List<double> v, double p)
    {
        var s = v.OrderBy(x => x).ToList();
        return s[(int)Math.Round(p * (s.Count - 1))];
    }

    [SkippableFact]
    public void LungFieldFraction_MedianWithinRealP10ToP90()
    {
        var dir = LungsDir();
        Skip.If(dir is null, "../shared/data/lungs/pairs.csv not found; real lung pairs are not available on this machine");
        var lines = File.ReadAllLines(Path.Combine(dir!, "pairs.csv"));
        int col = Array.IndexOf(lines[0].Split(','), "lung_pixels");
        var real = lines.Skip(1).Select(l => double.Parse(l.Split(',')[col], CultureInfo.InvariantCulture) / (256 * 256)).ToList();
        var synth = Synthetic.Value.Select(s => s.LungMask().Count(v => v != 0) / (double)(s.Width * s.Height)).ToList();
        double median = Percentile(synth, 0.5);
        Assert.InRange(median, Percentile(real, 0.10), Percentile(real, 0.90));
        Assert.InRange(synth.Min(), real.Min(), real.Max());
        Assert.InRange(synth.Max(), real.Min(), real.Max());
    }

    [SkippableFact]
    public void LungCentroid_WithinRealRange()
    {
        var dir = LungsDir();
        Skip.If(dir is null, "../shared/data/lungs/pairs.csv not found; real lung pairs are not available on this machine");
        var masks = File.ReadAllLines(Path.Combine(dir!, "pairs.csv")).Skip(1).Select(l => l.Split(',')[1]).Where((_, i) => i % 6 == 0).ToList();
        var realY = new List<double>(); var realX = new List<double>();
        foreach (var m in masks)
        {
            var png = TestUtil.DecodePng(File.ReadAllBytes(Path.Combine(dir!, m)));
            var (x, y) = Centroid(png.Pixels.Select(v => (byte)(v != 0 ? 255 : 0)).ToArray(), png.Width, png.Height);
            realX.Add(x); realY.Add(y);
        }
        foreach (var s in Synthetic.Value)
        {
            var (x, y) = Centroid(s.LungMask(), s.Width, s.Height);
            Assert.InRange(y, Percentile(realY, 0.02), Percentile(realY, 0.98));
            Assert.InRange(x, Percentile(realX, 0.02), Percentile(realX, 0.98));
        }
    }

    private static (double X, double Y) Centroid(byte[] mask, int w, int h)
    {
        double sx = 0, sy = 0; int n = 0;
        for (int i = 0; i < mask.Length; i++) if (mask[i] != 0) { sx += i % w; sy += i / w; n++; }
        return (sx / n / w, sy / n / h);
    }
}
