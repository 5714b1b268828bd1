using System.Globalization;
using Thorax.Data.Gaze;
using Thorax.Imaging.Codecs;

namespace Thorax.Synthetic.Tests.Background;

/// <summary>The simulated reading of studies on real backgrounds (fixations over both lungs, dwell on the evidence,
/// glances at burned-in text and markers; the EGD-CXR and REFLACX files read back by Thorax.Data and turned into gaze
/// maps by its own code), where a pneumothorax is placed (apical, lateral, basal border of the named lung) and that its
/// pleural space loses the lung markings. The
/// backgrounds are the procedural chests of <see cref="BackgroundStudyTests.Backgrounds"/>; the placement is also
/// checked on the real pairs when ../shared/data/lungs is present.</summary>
public sealed class BackgroundFindingAndGazeTests(BackgroundStudyTests.Backgrounds bg) : IClassFixture<BackgroundStudyTests.Backgrounds>
{
    private const int S = 160;

    private SynthOptions Options(int count, long seed = 5) => new()
    {
        BackgroundDirectory = bg.Dir, Count = count, Seed = seed, ImageSize = S, PneumothoraxRate = 0.5, DeviceRate = 0.3,
        HeartFailureRate = 0.25, PneumoniaRate = 0.25, TensionRate = 0,
    };

    private static (int X0, int Y0, int X1, int Y1) Box(byte[] m, int s)
    {
        int x0 = s, y0 = s, x1 = -1, y1 = -1;
        for (int i = 0; i < m.Length; i++)
        {
            if (m[i] == 0) continue;
            int x = i % s, y = i / s;
            x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
        }
        return (x0, y0, x1, y1);
    }

    private static bool In((int X0, int Y0, int X1, int Y1) b, float x, float y) => x >= b.X0 && x <= b.X1 + 1 && y >= b.Y0 && y <= b.Y1 + 1;

    /// <summary>The pixels within <paramref name="r"/> px of a non-zero pixel of <paramref name="m"/>.</summary>
    private static bool[] Near(byte[] m, int s, int r)
    {
        var near = new bool[m.Length];
        for (int p = 0; p < m.Length; p++)
        {
            if (m[p] == 0) continue;
            int px = p % s, py = p / s;
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++)
                {
                    int x = px + dx, y = py + dy;
                    if (x >= 0 && y >= 0 && x < s && y < s && dx * dx + dy * dy <= r * r) near[y * s + x] = true;
                }
        }
        return near;
    }

    private static bool At(bool[] region, int s, float x, float y) =>
        region[Math.Clamp((int)y, 0, s - 1) * s + Math.Clamp((int)x, 0, s - 1)];

    [Fact]
    public void FixationsCoverBothLungsAndDwellOnTheEvidence()
    {
        var gen = new StudyGenerator(Options(60));
        int withEvidence = 0, denser = 0;
        double shareSum = 0, areaSum = 0;
        for (int i = 0; i < 60; i++)
        {
            var st = gen.Generate(i);
            var fx = st.Fixations;
            Assert.True(fx.Count >= 12, $"study {i}: only {fx.Count} fixations");
            for (int k = 0; k < fx.Count; k++)
            {
                Assert.InRange(fx[k].X, 0f, S - 1f);
                Assert.InRange(fx[k].Y, 0f, S - 1f);
                Assert.True(fx[k].DurationSeconds > 0, $"study {i}: fixation {k} has duration {fx[k].DurationSeconds}");
                if (k > 0) Assert.True(fx[k].StartSeconds >= fx[k - 1].StartSeconds + fx[k - 1].DurationSeconds, $"study {i}: fixation {k} starts before {k - 1} ends");
            }
            // A systematic survey: several fixations inside each lung's bounding box.
            var rb = Box(st.RightLungMask, S);
            var lb = Box(st.LeftLungMask, S);
            int inRight = fx.Count(f => In(rb, f.X, f.Y)), inLeft = fx.Count(f => In(lb, f.X, f.Y));
            Assert.True(inRight >= 4 && inLeft >= 4, $"study {i}: {inRight} fixations on the right lung, {inLeft} on the left");

            // The evidence: the pleural space and the class's evidence mask (opacity, enlarged silhouette, haze, effusion).
            var ev = new byte[S * S];
            for (int p = 0; p < ev.Length; p++) ev[p] = (byte)(st.PneumothoraxMask[p] | st.EvidenceMask![p]);
            if (!ev.Any(v => v != 0)) continue;
            var near = Near(ev, S, 8);
            double area = near.Count(v => v) / (double)(S * S);
            double total = fx.Sum(f => f.DurationSeconds);
            double share = fx.Where(f => At(near, S, f.X, f.Y)).Sum(f => f.DurationSeconds) / total;
            withEvidence++;
            if (share > 1.5 * area) denser++;
            shareSum += share;
            areaSum += area;
        }
        Assert.True(withEvidence >= 30, $"{withEvidence} studies with a finding");
        // Dwell: the reading spends more of its time on the evidence than the evidence's share of the image, in (almost)
        // every study, and at least twice that share on average.
        Assert.True(denser >= 0.9 * withEvidence, $"dwell time on the evidence above 1.5x its area share in {denser} of {withEvidence} studies");
        Assert.True(shareSum / withEvidence >= 2 * areaSum / withEvidence,
            string.Create(CultureInfo.InvariantCulture, $"mean share of dwell time on the evidence {shareSum / withEvidence:F3} against a mean area share of {areaSum / withEvidence:F3}"));
    }

    [Theory]
    [InlineData(ShortcutKind.TextToken)]
    [InlineData(ShortcutKind.CornerMarker)]
    public void TheReadingGlancesAtBurnedInTextAndMarkers(ShortcutKind kind)
    {
        // Rate 1: in train the cue is the label; the survey of lungs, heart and angles never reaches the top corners. The
        // simulator glances at each device or text with probability 0.6 (measured here: 15 and 16 of 33).
        var gen = new StudyGenerator(Options(60) with { Shortcut = kind, ShortcutRate = 1, TrainFraction = 1, ValidationFraction = 0, DeviceRate = 0 });
        // The top-left corner (text) or top-right corner (marker), 30% of the width by 10% of the height.
        bool Corner(Fixation f) => f.Y < 0.1f * S && (kind == ShortcutKind.TextToken ? f.X < 0.3f * S : f.X > 0.7f * S);
        int cued = 0, glanced = 0;
        for (int i = 0; i < 60; i++)
        {
            var st = gen.Generate(i);
            int there = st.Fixations.Count(Corner);
            if (!st.ShortcutCue)
            {
                Assert.True(there == 0, $"study {i}: {there} fixations in the empty corner");
                continue;
            }
            cued++;
            if (there > 0) glanced++;
        }
        Assert.InRange(cued, 10, 50);
        Assert.True(glanced >= 0.3 * cued, $"the reading looked at the {kind} in {glanced} of {cued} studies that have it");
    }

    [Theory]
    [InlineData(ShortcutKind.CornerMarker)]
    [InlineData(ShortcutKind.TextToken)]
    [InlineData(ShortcutKind.IntensityCurve)]
    public void ShortcutCuesAreDrawnOnTheRealBackgroundOnlyWhereTheyAre(ShortcutKind kind)
    {
        // The same studies with and without the cue: a marker or burned-in text changes only its corner (top 10% of the
        // image; 30% of the width for the marker, 45% for "PORTABLE"), adding bright pixels there;
        // the site tone curve changes the whole image monotonically and brightens it; without the cue nothing changes.
        var o = Options(40, seed: 14) with { Shortcut = kind, ShortcutRate = 1, TrainFraction = 1, ValidationFraction = 0 };
        var with = new StudyGenerator(o);
        var without = new StudyGenerator(o with { Shortcut = ShortcutKind.None });
        int cued = 0, plain = 0;
        for (int i = 0; i < 40; i++)
        {
            var a = with.Generate(i);
            var b = without.Generate(i);
            if (!a.ShortcutCue) { Assert.Equal(b.Image8, a.Image8); plain++; continue; }
            cued++;
            if (kind == ShortcutKind.IntensityCurve)
            {
                Assert.True(a.Image8.Average(v => (double)v) > b.Image8.Average(v => (double)v) + 5, $"study {i}: the tone curve did not brighten the image");
                // Monotone: the mean value with the cue of the pixels at each grey level without it rises with the level
                // (levels with at least 20 pixels; single pixels differ by the requantisation of a steep curve).
                var sum = new double[256];
                var cnt = new int[256];
                for (int p = 0; p < a.Image8.Length; p++) { sum[b.Image8[p]] += a.Image8[p]; cnt[b.Image8[p]]++; }
                double last = -1;
                for (int g = 0; g < 256; g++)
                {
                    if (cnt[g] < 20) continue;
                    double m = sum[g] / cnt[g];
                    Assert.True(m >= last - 0.5, string.Create(CultureInfo.InvariantCulture, $"study {i}: level {g} maps to {m:F1}, below {last:F1}"));
                    last = m;
                }
                continue;
            }
            int changedOutside = 0, brightInside = 0;
            for (int p = 0; p < a.Image8.Length; p++)
            {
                int x = p % S, y = p / S;
                bool corner = y < 0.1 * S && (kind == ShortcutKind.TextToken ? x < 0.45 * S : x > 0.7 * S);
                if (!corner && Math.Abs(a.Image8[p] - b.Image8[p]) > 1) changedOutside++;
                if (corner && a.Image8[p] >= 230 && b.Image8[p] < 230) brightInside++;
            }
            Assert.Equal(0, changedOutside);
            Assert.True(brightInside >= 10, $"study {i}: only {brightInside} new bright pixels where the {kind} goes");
        }
        Assert.True(cued >= 10 && plain >= 5, $"{cued} studies with the cue, {plain} without");
    }

    [Fact]
    public void GazeFilesReadBackAndTheirMapsConcentrateOnThePneumothorax()
    {
        string dir = TestUtil.TempDir();
        try
        {
            var o = Options(12, seed: 8) with { OutputDirectory = dir, PneumothoraxRate = 0.7, Dicom = DicomOutput.None };
            SyntheticDatasetWriter.Write(o);
            var gen = new StudyGenerator(o);
            var master = EgdCxrGaze.ReadMasterSheet(Path.Combine(dir, "egd-cxr", "master_sheet.csv"));
            var egd = EgdCxrGaze.Read(Path.Combine(dir, "egd-cxr", "fixations.csv"));
            Assert.Equal(12, master.Count);
            int maps = 0;
            for (int i = 0; i < 12; i++)
            {
                var st = gen.Generate(i);
                // EGD-CXR: one row per fixation, in order, at the fixation's image pixel (X_ORIGINAL, Y_ORIGINAL).
                var rows = egd.Where(r => r.DicomId == st.Id).ToList();
                Assert.Equal(st.Fixations.Count, rows.Count);
                for (int k = 0; k < rows.Count; k++)
                {
                    var p = rows[k].ToImagePoint();
                    Assert.InRange(Math.Abs(p.X - st.Fixations[k].X), 0, 1);
                    Assert.InRange(Math.Abs(p.Y - st.Fixations[k].Y), 0, 1);
                }
                // REFLACX: the same fixations; Thorax's gaze-map code (one degree of visual angle, duration-weighted)
                // puts more of the map's mass near the pneumothorax than the region's share of the image (at least 1.5x;
                // measured 2.1x for the weakest, a large pneumothorax covering 18% of the image).
                var fix = ReflacxGaze.ReadFixations(Path.Combine(dir, "reflacx", "main_data", "P300R" + (100000 + i).ToString(CultureInfo.InvariantCulture), "fixations.csv"));
                Assert.Equal(st.Fixations.Count, fix.Count);
                if (st.Pneumothorax is null) continue;
                var map = GazeMaps.Reflacx(fix, S, S, GazeMapNormalization.Sum);
                Assert.Equal(fix.Count, map.PointsUsed);
                var near = Near(st.PneumothoraxMask, S, 8);
                double mass = 0;
                for (int p = 0; p < near.Length; p++) if (near[p]) mass += map.Data[p];
                double area = near.Count(v => v) / (double)(S * S);
                Assert.True(mass > 1.5 * area, string.Create(CultureInfo.InvariantCulture,
                    $"study {i} ({st.Pneumothorax}): gaze-map mass near the pneumothorax {mass:F3}, area share {area:F3}"));
                maps++;
            }
            Assert.True(maps >= 4, $"{maps} studies with a pneumothorax");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void PleuralSpaceLosesTheLungMarkings()
    {
        // The fine detail of the image (pixel minus its 3x3 mean) follows the background's wherever nothing was inserted
        // (the other lung), and not inside the pleural space, where the markings were replaced by the local mean plus
        // matched noise.
        var gen = new StudyGenerator(Options(30, seed: 21) with
        {
            PneumothoraxRate = 1, DeviceRate = 0, HeartFailureRate = 0, PneumoniaRate = 0, PneumothoraxSizeWeights = [0, 1, 1],
        });
        var inside = new List<(double A, double B)>();
        var control = new List<(double A, double B)>();
        for (int i = 0; i < 30; i++)
        {
            var st = gen.Generate(i);
            var bgImg = Png.Read(Path.Combine(bg.Dir, "images", st.Background!)).Image8!.Data;
            var other = st.Pneumothorax!.Side == BodySide.Right ? st.LeftLungMask : st.RightLungMask;
            for (int y = 1; y < S - 1; y++)
                for (int x = 1; x < S - 1; x++)
                {
                    int p = y * S + x;
                    bool allIn = true, allOther = true;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int q = p + dy * S + dx;
                            allIn &= st.PneumothoraxMask[q] != 0;
                            allOther &= other[q] != 0;
                        }
                    if (!allIn && !allOther) continue;
                    (double, double) pair = (Detail(st.Image8, p), Detail(bgImg, p));
                    if (allIn) inside.Add(pair); else control.Add(pair);
                }
        }
        Assert.True(inside.Count > 500, $"{inside.Count} interior pleural-space pixels");
        double cIn = Correlation(inside), cOut = Correlation(control);
        Assert.True(cOut > 0.8, string.Create(CultureInfo.InvariantCulture, $"detail correlation with the background outside the finding {cOut:F3}"));
        Assert.True(cIn < 0.5 * cOut, string.Create(CultureInfo.InvariantCulture, $"detail correlation inside the pleural space {cIn:F3} (outside {cOut:F3})"));
    }

    private static double Detail(byte[] img, int p)
    {
        double sum = 0;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) sum += img[p + dy * S + dx];
        return img[p] - sum / 9;
    }

    private static double Correlation(List<(double A, double B)> v)
    {
        double ma = v.Average(t => t.A), mb = v.Average(t => t.B), sab = 0, saa = 0, sbb = 0;
        foreach (var (a, b) in v) { sab += (a - ma) * (b - mb); saa += (a - ma) * (a - ma); sbb += (b - mb) * (b - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }

    [Fact]
    public void PneumothoraxLiesAlongTheNamedBorder() =>
        CheckPlacement(Options(90, seed: 12) with { PneumothoraxSizeWeights = [1, 0, 0], PneumothoraxRate = 1, DeviceRate = 0 }, 90, S);

    [SkippableFact]
    public void PneumothoraxLiesAlongTheNamedBorder_OnTheRealPairs()
    {
        var shared = TestUtil.SharedData();
        string? dir = shared is null ? null : Path.Combine(shared, "lungs");
        Skip.If(dir is null || !File.Exists(Path.Combine(dir, "pairs.csv")),
            "../shared/data/lungs/pairs.csv not found; real lung pairs are not available on this machine");
        CheckPlacement(new SynthOptions
        {
            BackgroundDirectory = dir, Count = 60, Seed = 4, ImageSize = 256, PneumothoraxRate = 1, TensionRate = 0, DeviceRate = 0,
            PneumothoraxSizeWeights = [1, 0, 0], WriteReports = false,
        }, 60, 256);
    }

    /// <summary>Small pneumothoraces: the pleural space's centroid, relative to the named lung's bounding box, is in its
    /// upper part for apical, lower part for basal, and on its lateral side at mid height for lateral ones.</summary>
    private static void CheckPlacement(SynthOptions o, int count, int s)
    {
        var gen = new StudyGenerator(o);
        var ys = new Dictionary<PneumothoraxLocation, List<double>>();
        for (int i = 0; i < count; i++)
        {
            var st = gen.Generate(i);
            var f = st.Pneumothorax!;
            var lung = f.Side == BodySide.Right ? st.RightLungMask : st.LeftLungMask;
            var b = Box(lung, s);
            double sx = 0, sy = 0;
            int n = 0;
            for (int p = 0; p < st.PneumothoraxMask.Length; p++)
                if (st.PneumothoraxMask[p] != 0) { sx += p % s; sy += p / s; n++; }
            Assert.True(n > 0, $"study {i}: empty pneumothorax");
            double u = (sx / n - b.X0) / (b.X1 - b.X0 + 1), v = (sy / n - b.Y0) / (b.Y1 - b.Y0 + 1);
            // Lateral fraction: 0 at the medial edge of the box, 1 at the lateral edge (image left for the right lung).
            double lateral = f.Side == BodySide.Right ? 1 - u : u;
            string where = string.Create(CultureInfo.InvariantCulture, $"study {i} ({f}, {st.Background}): centroid at {lateral:F2} lateral, {v:F2} down the lung");
            switch (f.Location)
            {
                case PneumothoraxLocation.Apical: Assert.True(v < 0.35, where); break;
                case PneumothoraxLocation.Basal: Assert.True(v > 0.55, where); break;
                default: Assert.True(lateral > 0.6 && v > 0.2 && v < 0.8, where); break;
            }
            (ys.TryGetValue(f.Location, out var l) ? l : ys[f.Location] = []).Add(v);
        }
        Assert.Equal(3, ys.Count);
        Assert.True(ys[PneumothoraxLocation.Apical].Average() < ys[PneumothoraxLocation.Lateral].Average()
                    && ys[PneumothoraxLocation.Lateral].Average() < ys[PneumothoraxLocation.Basal].Average(),
            string.Join(", ", ys.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value.Average():F2}"))));
    }
}
