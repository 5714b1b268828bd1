using System.Globalization;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Background;

/// <summary>
/// The pneumothorax of <c>synth --background</c> rendered at 512 px from small backgrounds (the procedural 160 px
/// chests of <see cref="BackgroundStudyTests.Backgrounds"/>, and the real 256 px pairs of ../shared/data/lungs when
/// present), compared pixel by pixel with the same background prepared at that size and quantised the same way
/// (brightness in MONOCHROME2: bright = dense): the collapsed lung beneath the pleural space is denser, the other lung
/// is untouched; and (at 1024 px) a thin line brighter than both its sides runs along the lung side of the mask.
/// </summary>
public sealed class PleuralLineAndCollapsedLungTests(BackgroundStudyTests.Backgrounds bg) : IClassFixture<BackgroundStudyTests.Backgrounds>
{
    private const int Size = 512;

    /// <summary>One rendered study, its unmodified background (12-bit) and the masks: <c>Rest</c> is the lung on the
    /// pneumothorax's side outside the pleural space.</summary>
    private sealed record Case(SyntheticStudy Study, ushort[] Background, bool[] Gap, bool[] Rest, byte[] Other, int S)
    {
        public string Name => $"study {Study.Index} ({Study.Pneumothorax}, {Study.Background}, {S} px)";
    }

    private static string RealLungs()
    {
        var shared = TestUtil.SharedData();
        string? dir = shared is null ? null : Path.Combine(shared, "lungs");
        Skip.If(dir is null || !File.Exists(Path.Combine(dir, "pairs.csv")),
            "../shared/data/lungs/pairs.csv not found; real lung pairs are not available on this machine");
        return dir!;
    }

    /// <summary>Two studies (seed 10: one on each side) with a pneumothorax of <paramref name="size"/> (no tension, devices, other findings or
    /// MONOCHROME1) at <paramref name="s"/> px on the backgrounds of <paramref name="dir"/>.</summary>
    private static IEnumerable<Case> Render(string dir, PneumothoraxSize size, int s, int count = 2)
    {
        double[] weights = [0, 0, 0];
        weights[(int)size] = 1;
        var gen = new StudyGenerator(new SynthOptions
        {
            BackgroundDirectory = dir, Count = count, Seed = 10, ImageSize = s, PneumothoraxRate = 1, TensionRate = 0, DeviceRate = 0,
            HeartFailureRate = 0, PneumoniaRate = 0, Monochrome1Rate = 0, PneumothoraxSizeWeights = weights, WriteReports = false,
        });
        for (int i = 0; i < count; i++)
        {
            var st = gen.Generate(i);
            var chest = RealChest.Prepare(gen.BackgroundOf(i)!, s);
            var b12 = new ushort[s * s];
            Quantize.To12And8(chest.Image, b12, new byte[s * s]);
            var f = st.Pneumothorax!;
            Assert.Equal(size, f.Size);
            var side = f.Side == BodySide.Right ? st.RightLungMask : st.LeftLungMask;
            var gap = st.PneumothoraxMask.Select(v => v != 0).ToArray();
            var rest = side.Select((v, p) => v != 0 && !gap[p]).ToArray();
            yield return new Case(st, b12, gap, rest, f.Side == BodySide.Right ? st.LeftLungMask : st.RightLungMask, s);
        }
    }

    /// <summary>Chessboard distance (1..<paramref name="limit"/>) from each pixel of <paramref name="region"/> to the
    /// nearest pixel of <paramref name="from"/>, walking through the region only; 0 elsewhere and beyond the limit.</summary>
    internal static int[] DistanceTo(bool[] from, bool[] region, int s, int limit)
    {
        var d = new int[from.Length];
        var seen = (bool[])from.Clone();
        var frontier = new List<int>();
        for (int p = 0; p < from.Length; p++) if (from[p]) frontier.Add(p);
        for (int k = 1; k <= limit && frontier.Count > 0; k++)
        {
            var next = new List<int>();
            foreach (int p in frontier)
            {
                int px = p % s, py = p / s;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int x = px + dx, y = py + dy;
                        if (x < 0 || y < 0 || x >= s || y >= s) continue;
                        int q = y * s + x;
                        if (seen[q] || !region[q]) continue;
                        seen[q] = true;
                        d[q] = k;
                        next.Add(q);
                    }
            }
            frontier = next;
        }
        return d;
    }

    public static TheoryData<PneumothoraxSize> Sizes => new() { PneumothoraxSize.Small, PneumothoraxSize.Moderate, PneumothoraxSize.Large };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void CollapsedLungBeneathIsDenser_AndTheOtherLungIsUnchanged(PneumothoraxSize size) =>
        CheckCollapsedLung(Render(bg.Dir, size, Size));

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void CollapsedLungBeneathIsDenser_AndTheOtherLungIsUnchanged_OnTheRealPairs(PneumothoraxSize size) =>
        CheckCollapsedLung(Render(RealLungs(), size, Size));

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AThinPleuralLineBrighterThanBothSidesRunsAlongTheLungSideOfTheMask(PneumothoraxSize size) =>
        CheckPleuralLine(Render(bg.Dir, size, 1024));

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void AThinPleuralLineBrighterThanBothSidesRunsAlongTheLungSideOfTheMask_OnTheRealPairs(PneumothoraxSize size) =>
        CheckPleuralLine(Render(RealLungs(), size, 1024));

    /// <summary>
    /// The profile across the boundary between the pleural space and the remaining lung at 1024 px (the line is about
    /// 1.2 px wide there; at 160 px it is a sub-pixel trace): mean change from the background per band of chessboard
    /// distance to the boundary, bands -1..-3 inside the pleural space (distance to the remaining lung), 1..8 in the
    /// remaining lung (distance to the space). The change peaks in band 1, 2 or 3 (a line on the lung side, within
    /// 3 px of the mask), at least 25 of 4095 grey levels above every band from the peak + 2 to 8 (the densified lung
    /// beyond it) and above band -1 (the pleural space next to it); by 2 bands past the peak at most half of that excess
    /// is left (thin).
    /// </summary>
    private static void CheckPleuralLine(IEnumerable<Case> all)
    {
        var cases = all.ToList();
        Assert.Equal(2, cases.Select(c => c.Study.Pneumothorax!.Side).Distinct().Count());
        foreach (var c in cases)
        {
            var img = c.Study.Image12;
            var toGap = DistanceTo(c.Gap, c.Rest, c.S, 8);
            var toRest = DistanceTo(c.Rest, c.Gap, c.S, 3);
            var sum = new double[12];
            var n = new int[12];
            for (int p = 0; p < img.Length; p++)
            {
                int k = toGap[p] > 0 ? toGap[p] : toRest[p] > 0 ? -toRest[p] : 0;
                if (k == 0) continue;
                sum[k + 3] += img[p] - c.Background[p];
                n[k + 3]++;
            }
            double Band(int k) => n[k + 3] > 0 ? sum[k + 3] / n[k + 3] : throw new InvalidOperationException($"{c.Name}: no pixel in band {k}");
            string profile = string.Join(" ", Enumerable.Range(-3, 12).Where(k => k != 0).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k}:{Band(k):F0}")));
            int peak = new[] { 1, 2, 3 }.MaxBy(Band);
            double beyond = Enumerable.Range(peak + 2, 8 - peak - 1).Max(Band);
            double excess = Band(peak) - beyond;
            Assert.True(excess >= 25, $"{c.Name}: the lung-side peak (band {peak}) is only {excess:F0} levels above the lung beyond it; profile {profile}");
            Assert.True(Band(peak) - Band(-1) >= 25, $"{c.Name}: the lung-side peak (band {peak}) is not above the pleural space; profile {profile}");
            Assert.True(Band(peak + 2) - beyond <= 0.5 * excess, $"{c.Name}: the line is not thin; profile {profile}");
        }
    }

    /// <summary>
    /// The remaining lung 5 to 15 px from the pleural space (past the half-pixel feather of the space's darkening and
    /// the pleural line, so only the collapsed lung's densification acts there) is never darker than the background
    /// and brighter on average by at least 10 of 4095 grey levels, most of its pixels strictly; every pixel of the other
    /// lung equals the background.
    /// </summary>
    private static void CheckCollapsedLung(IEnumerable<Case> all)
    {
        var cases = all.ToList();
        Assert.Equal(2, cases.Select(c => c.Study.Pneumothorax!.Side).Distinct().Count()); // one study per side
        foreach (var c in cases)
        {
            var st = c.Study;
            var img = st.Image12;
            int otherPixels = 0;
            for (int p = 0; p < img.Length; p++)
            {
                if (c.Other[p] == 0) continue;
                otherPixels++;
                Assert.True(img[p] == c.Background[p], $"{c.Name}: other lung pixel ({p % c.S}, {p / c.S}) is {img[p]}, background {c.Background[p]}");
            }
            Assert.True(otherPixels > 0.02 * img.Length, $"{c.Name}: other lung has {otherPixels} pixels");

            var dist = DistanceTo(c.Gap, c.Rest, c.S, 15);
            double sum = 0;
            int n = 0, brighter = 0;
            for (int p = 0; p < img.Length; p++)
            {
                if (dist[p] < 5) continue;
                int delta = img[p] - c.Background[p];
                Assert.True(delta >= 0, $"{c.Name}: lung pixel ({p % c.S}, {p / c.S}), {dist[p]} px from the pleural space, is darker than the background ({img[p]} < {c.Background[p]})");
                sum += delta;
                n++;
                if (delta > 0) brighter++;
            }
            Assert.True(n > 200, $"{c.Name}: {n} lung pixels 5-15 px from the pleural space");
            double mean = sum / n, share = brighter / (double)n;
            string what = string.Create(CultureInfo.InvariantCulture, $"{c.Name}: lung 5-15 px from the pleural space is {mean:F1} grey levels brighter than the background on average, {share:P0} of {n} pixels strictly");
            Assert.True(mean >= 10 && share >= 0.75, what);
        }
    }
}
