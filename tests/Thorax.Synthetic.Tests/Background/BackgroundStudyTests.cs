using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Synthetic.Tests.Background;

/// <summary>Studies on real backgrounds (<see cref="SynthOptions.BackgroundDirectory"/>). The backgrounds here are
/// procedural studies written as image/lung-mask pairs, so these tests need no real data; the real pairs are covered
/// by <see cref="RealBackgroundTests"/>.</summary>
public sealed class BackgroundStudyTests : IClassFixture<BackgroundStudyTests.Backgrounds>
{
    private readonly Backgrounds _bg;

    public BackgroundStudyTests(Backgrounds bg) => _bg = bg;

    /// <summary>Eight procedural chests (no findings, no devices) as images/ + masks/ at 160 px.</summary>
    public sealed class Backgrounds : IDisposable
    {
        public string Dir { get; } = TestUtil.TempDir();

        public Backgrounds()
        {
            var gen = new StudyGenerator(new SynthOptions
            {
                Count = 8, Seed = 11, ImageSize = 160, PneumothoraxRate = 0, HeartFailureRate = 0, PneumoniaRate = 0, DeviceRate = 0,
            });
            Directory.CreateDirectory(Path.Combine(Dir, "images"));
            Directory.CreateDirectory(Path.Combine(Dir, "masks"));
            for (int i = 0; i < 8; i++)
            {
                var st = gen.Generate(i);
                Png.Write(Path.Combine(Dir, "images", $"bg{i}.png"), new Image<byte>(160, 160, 1, st.Image8));
                Png.Write(Path.Combine(Dir, "masks", $"bg{i}.png"), new Image<byte>(160, 160, 1, st.LungMask()));
            }
        }

        public void Dispose()
        {
            try { Directory.Delete(Dir, true); } catch (IOException) { }
        }
    }

    private SynthOptions Options(int count = 24, long seed = 3, int size = 160) => new()
    {
        BackgroundDirectory = _bg.Dir, Count = count, Seed = seed, ImageSize = size, PneumothoraxRate = 0.5, DeviceRate = 0.3,
        HeartFailureRate = 0.25, PneumoniaRate = 0.25, TensionRate = 0.2,
    };

    private static int Count(byte[] m) => m.Count(v => v != 0);

    [Fact]
    public void ChestTubeMask_ExactlyWhenTube()
    {
        var g = new StudyGenerator(Options(count: 12) with { Shortcut = ShortcutKind.Device, ShortcutRate = 1.0 });
        int tubes = 0;
        for (int i = 0; i < 12; i++)
        {
            var st = g.Generate(i);
            bool tube = (st.Devices & SupportDevices.ChestTube) != 0;
            int area = Count(st.ChestTubeMask);
            Assert.Equal(tube, area > 0);
            if (tube)
            {
                tubes++;
                Assert.InRange(area, 20, 160 * 160 / 20);
            }
        }
        Assert.InRange(tubes, 1, 11);
    }

    [Fact]
    public void SameOptionsGiveIdenticalFiles()
    {
        string a = TestUtil.TempDir(), b = TestUtil.TempDir();
        try
        {
            SyntheticDatasetWriter.Write(Options(count: 10) with { OutputDirectory = a });
            SyntheticDatasetWriter.Write(Options(count: 10) with { OutputDirectory = b });
            var fa = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order(StringComparer.Ordinal).ToList();
            var fb = Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(fa, fb);
            Assert.Contains(fa, f => f.StartsWith("masks/evidence/", StringComparison.Ordinal));
            foreach (var f in fa)
                Assert.True(File.ReadAllBytes(Path.Combine(a, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, f))), f);
        }
        finally
        {
            foreach (var d in new[] { a, b }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    [Fact]
    public void EveryStudyOfOneBackgroundIsInOneSplit()
    {
        var gen = new StudyGenerator(Options(count: 40) with { TrainFraction = 0.5, ValidationFraction = 0.25 });
        var splitOf = new Dictionary<string, DatasetSplit>();
        var splits = new HashSet<DatasetSplit>();
        for (int i = 0; i < 40; i++)
        {
            var bg = gen.BackgroundOf(i)!.Name;
            var split = gen.SplitOf(i);
            splits.Add(split);
            if (splitOf.TryGetValue(bg, out var s)) Assert.Equal(s, split);
            else splitOf[bg] = split;
        }
        Assert.Equal(8, splitOf.Count);
        Assert.Equal(3, splits.Count);
    }

    [Fact]
    public void PneumothoraxIsPleuralSpaceOnItsSideAndGrowsWithSize()
    {
        var gen = new StudyGenerator(Options(count: 120) with { PneumothoraxRate = 1, TensionRate = 0, DeviceRate = 0, HeartFailureRate = 0, PneumoniaRate = 0 });
        var bySize = new Dictionary<PneumothoraxSize, List<int>>();
        for (int i = 0; i < 120; i++)
        {
            var st = gen.Generate(i);
            var f = st.Pneumothorax!;
            Assert.True(st.PneumothoraxPixels > 0, $"study {i}: empty pneumothorax mask ({f})");
            Assert.Equal(Count(st.PneumothoraxMask), st.PneumothoraxPixels);
            var side = f.Side == BodySide.Right ? st.RightLungMask : st.LeftLungMask;
            for (int p = 0; p < side.Length; p++)
                if (st.PneumothoraxMask[p] != 0) Assert.True(side[p] != 0, $"study {i}: pneumothorax pixel {p} outside the {f.Side} lung");
            (bySize.TryGetValue(f.Size, out var l) ? l : bySize[f.Size] = []).Add(st.PneumothoraxPixels);
        }
        double small = bySize[PneumothoraxSize.Small].Average(), moderate = bySize[PneumothoraxSize.Moderate].Average(), large = bySize[PneumothoraxSize.Large].Average();
        Assert.True(small < moderate && moderate < large, $"mean pixels small {small:F0}, moderate {moderate:F0}, large {large:F0}");
    }

    [Fact]
    public void PneumothoraxChangesTheImageOnlyAroundItsMaskAndDarkensIt()
    {
        var o = Options(count: 30) with { PneumothoraxRate = 1, TensionRate = 0, DeviceRate = 0, HeartFailureRate = 0, PneumoniaRate = 0 };
        var gen = new StudyGenerator(o);
        for (int i = 0; i < 30; i++)
        {
            var st = gen.Generate(i);
            var bg = Png.Read(Path.Combine(_bg.Dir, "images", st.Background!)).Image8!.Data;
            int n = 160;
            // Small and moderate: pixels farther than 15% of the image from the pleural space keep their value (up to
            // requantization); large: pixels outside the affected lung (dilated by 4 px) keep it.
            var side = st.Pneumothorax!.Side == BodySide.Right ? st.RightLungMask : st.LeftLungMask;
            bool large = st.Pneumothorax.Size == PneumothoraxSize.Large;
            var source = large ? side : st.PneumothoraxMask;
            int rad = large ? 4 : (int)(0.15 * n);
            var near = new bool[n * n];
            for (int p = 0; p < near.Length; p++)
            {
                if (source[p] == 0) continue;
                int px = p % n, py = p / n;
                for (int dy = -rad; dy <= rad; dy++)
                    for (int dx = -rad; dx <= rad; dx++)
                    {
                        int x = px + dx, y = py + dy;
                        if (x >= 0 && y >= 0 && x < n && y < n && dx * dx + dy * dy <= rad * rad) near[y * n + x] = true;
                    }
            }
            double inside = 0, insideBg = 0;
            int cnt = 0;
            for (int p = 0; p < near.Length; p++)
            {
                if (!near[p]) Assert.True(Math.Abs(st.Image8[p] - bg[p]) <= 1, $"study {i} ({st.Pneumothorax}): pixel ({p % n}, {p / n}) changed from {bg[p]} to {st.Image8[p]} far from the pneumothorax (right lung {st.RightLungMask[p]}, left {st.LeftLungMask[p]}, heart {st.HeartMask[p]})");
                if (st.PneumothoraxMask[p] != 0) { inside += st.Image8[p]; insideBg += bg[p]; cnt++; }
            }
            Assert.True(inside < insideBg, $"study {i}: pleural space not darker ({inside / cnt:F1} vs {insideBg / cnt:F1})");
        }
    }

    [Fact]
    public void TensionShiftsTheMediastinumAwayFromTheAffectedSide()
    {
        var plain = new StudyGenerator(Options(count: 40) with { PneumothoraxRate = 1, TensionRate = 0, DeviceRate = 0, HeartFailureRate = 0, PneumoniaRate = 0 });
        var tension = new StudyGenerator(Options(count: 40) with { PneumothoraxRate = 1, TensionRate = 1, DeviceRate = 0, HeartFailureRate = 0, PneumoniaRate = 0 });
        for (int i = 0; i < 40; i++)
        {
            var a = plain.Generate(i);
            var b = tension.Generate(i);
            Assert.True(b.Pneumothorax!.Tension);
            Assert.Equal(a.Pneumothorax! with { Tension = true }, b.Pneumothorax);
            // The heart silhouette's centre moves toward the opposite side (image +x for a right pneumothorax).
            double ca = CentroidX(a.HeartMask, 160), cb = CentroidX(b.HeartMask, 160);
            double sign = b.Pneumothorax.Side == BodySide.Right ? 1 : -1;
            Assert.True(sign * (cb - ca) > 0.02 * 160, $"study {i}: heart centre moved {cb - ca:F1} px for a {b.Pneumothorax.Side} tension pneumothorax");
        }
    }

    private static double CentroidX(byte[] m, int n)
    {
        double s = 0;
        int c = 0;
        for (int p = 0; p < m.Length; p++) if (m[p] != 0) { s += p % n; c++; }
        return s / c;
    }

    [Fact]
    public void ClassesCarryEvidenceMasksWhereTheFindingIs()
    {
        var gen = new StudyGenerator(Options(count: 60) with { PneumothoraxRate = 0, DeviceRate = 0, HeartFailureRate = 0.4, PneumoniaRate = 0.4 });
        int hf = 0, pna = 0, normal = 0;
        for (int i = 0; i < 60; i++)
        {
            var st = gen.Generate(i);
            Assert.NotNull(st.EvidenceMask);
            int ev = Count(st.EvidenceMask!);
            switch (st.Class)
            {
                case FindingClass.Normal:
                    Assert.Equal(0, ev);
                    normal++;
                    break;
                case FindingClass.HeartFailure:
                    Assert.True(ev > 0.02 * 160 * 160, $"study {i}: heart-failure evidence only {ev} px");
                    // The enlarged silhouette is in the heart mask, and no longer in the lung masks.
                    for (int p = 0; p < st.HeartMask.Length; p++) Assert.False(st.HeartMask[p] != 0 && (st.RightLungMask[p] | st.LeftLungMask[p]) != 0);
                    hf++;
                    break;
                case FindingClass.Pneumonia:
                    Assert.True(ev > 0, $"study {i}: pneumonia without evidence");
                    // Opacity evidence lies in one lung: the one the report names.
                    int inRight = 0, inLeft = 0;
                    for (int p = 0; p < st.EvidenceMask!.Length; p++)
                        if (st.EvidenceMask[p] != 0) { if (st.RightLungMask[p] != 0) inRight++; else if (st.LeftLungMask[p] != 0) inLeft++; }
                    Assert.True(inRight == 0 || inLeft == 0, $"study {i}: pneumonia evidence in both lungs");
                    string side = inRight > 0 ? "right" : "left";
                    Assert.Contains(side, st.Report, StringComparison.OrdinalIgnoreCase);
                    pna++;
                    break;
            }
        }
        Assert.True(hf > 5 && pna > 5 && normal > 3, $"hf {hf}, pneumonia {pna}, normal {normal}");
    }

    [Fact]
    public void ChestTubeFollowsTheLabelInTrainAndNotInTest()
    {
        var gen = new StudyGenerator(Options(count: 400) with
        {
            Shortcut = ShortcutKind.Device, ShortcutRate = 0.95, DeviceRate = 0, TrainFraction = 0.5, ValidationFraction = 0,
        });
        int trainAgree = 0, train = 0, testAgree = 0, test = 0;
        for (int i = 0; i < 400; i++)
        {
            var plan = gen.Plan(i);
            bool tube = (plan.Devices & SupportDevices.ChestTube) != 0;
            bool agree = tube == (plan.Pneumothorax is not null);
            if (plan.Split == DatasetSplit.Train) { train++; if (agree) trainAgree++; }
            else { test++; if (agree) testAgree++; }
            if (tube && plan.Pneumothorax is { } f) Assert.Equal(f.Side, plan.ChestTubeSide);
        }
        Assert.True(trainAgree > 0.9 * train, $"train agreement {trainAgree}/{train}");
        Assert.InRange((double)testAgree / test, 0.35, 0.65);
    }
}
