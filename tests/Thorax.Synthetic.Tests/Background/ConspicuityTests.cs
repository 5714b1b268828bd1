using Thorax.Imaging.Codecs;

namespace Thorax.Synthetic.Tests.Background;

/// <summary><see cref="SynthOptions.PneumothoraxConspicuity"/> (<c>--ptx-conspicuity</c>) and
/// <see cref="SynthOptions.PneumothoraxSizeWeights"/> (<c>--ptx-sizes</c>) on the procedural backgrounds of
/// <see cref="BackgroundStudyTests.Backgrounds"/> (no real data needed).</summary>
public sealed class ConspicuityTests : IClassFixture<BackgroundStudyTests.Backgrounds>
{
    private const int N = 160;
    private readonly BackgroundStudyTests.Backgrounds _bg;

    public ConspicuityTests(BackgroundStudyTests.Backgrounds bg) => _bg = bg;

    private SynthOptions Options(int count, double conspicuity) => new()
    {
        BackgroundDirectory = _bg.Dir, Count = count, Seed = 5, ImageSize = N, PneumothoraxRate = 1, DeviceRate = 0.3,
        HeartFailureRate = 0.2, PneumoniaRate = 0.2, TensionRate = 0.2, PneumothoraxConspicuity = conspicuity,
    };

    [Fact]
    public void MasksReportsAndGazeDoNotDependOnConspicuity()
    {
        var full = new StudyGenerator(Options(12, 1.0));
        foreach (double c in new[] { 0.6, 0.0 })
        {
            var faded = new StudyGenerator(Options(12, c));
            for (int i = 0; i < 12; i++)
            {
                var a = full.Generate(i);
                var b = faded.Generate(i);
                Assert.Equal(a.Pneumothorax, b.Pneumothorax);
                Assert.Equal(a.PneumothoraxPixels, b.PneumothoraxPixels);
                Assert.True(a.PneumothoraxMask.AsSpan().SequenceEqual(b.PneumothoraxMask), $"study {i}, conspicuity {c}: pneumothorax mask differs");
                Assert.True(a.RightLungMask.AsSpan().SequenceEqual(b.RightLungMask), $"study {i}: right lung mask differs");
                Assert.True(a.LeftLungMask.AsSpan().SequenceEqual(b.LeftLungMask), $"study {i}: left lung mask differs");
                Assert.True(a.HeartMask.AsSpan().SequenceEqual(b.HeartMask), $"study {i}: heart mask differs");
                Assert.True(a.ChestTubeMask.AsSpan().SequenceEqual(b.ChestTubeMask), $"study {i}: chest tube mask differs");
                Assert.True(a.EvidenceMask!.AsSpan().SequenceEqual(b.EvidenceMask!), $"study {i}: evidence mask differs");
                Assert.Equal(a.Report, b.Report);
                Assert.Equal(a.Fixations, b.Fixations);
                Assert.Equal(a.Split, b.Split);
                Assert.Equal(a.Background, b.Background);
                // The pixels do differ (else the option would do nothing).
                Assert.False(a.Image12.AsSpan().SequenceEqual(b.Image12), $"study {i}: conspicuity {c} left the image unchanged");
            }
        }
    }

    /// <summary>Mean brightness (12-bit) of the lung on the pneumothorax's side within 8 px of the pleural space, minus
    /// the pleural space's: the contrast that makes a pneumothorax visible.</summary>
    private static double Contrast(SyntheticStudy st)
    {
        var side = st.Pneumothorax!.Side == BodySide.Right ? st.RightLungMask : st.LeftLungMask;
        var m = st.PneumothoraxMask;
        const int r = 8;
        double ring = 0, gap = 0;
        int nr = 0, ng = 0;
        for (int p = 0; p < m.Length; p++)
        {
            if (m[p] != 0) { gap += st.Image12[p]; ng++; continue; }
            if (side[p] == 0) continue;
            int px = p % N, py = p / N;
            bool near = false;
            for (int dy = -r; dy <= r && !near; dy++)
                for (int dx = -r; dx <= r; dx++)
                {
                    int x = px + dx, y = py + dy;
                    if (x >= 0 && y >= 0 && x < N && y < N && dx * dx + dy * dy <= r * r && m[y * N + x] != 0) { near = true; break; }
                }
            if (near) { ring += st.Image12[p]; nr++; }
        }
        Assert.True(ng > 0 && nr > 0, $"study {st.Index}: empty pleural space or ring");
        return ring / nr - gap / ng;
    }

    [Fact]
    public void PleuralSpaceContrastShrinksMonotonicallyWithConspicuity()
    {
        double[] levels = [0.0, 0.25, 0.5, 0.75, 1.0];
        const int count = 16;
        var contrast = new double[levels.Length, count];
        for (int k = 0; k < levels.Length; k++)
        {
            var gen = new StudyGenerator(Options(count, levels[k]) with { DeviceRate = 0, TensionRate = 0 });
            for (int i = 0; i < count; i++) contrast[k, i] = Contrast(gen.Generate(i));
        }
        var mean = new double[levels.Length];
        for (int k = 0; k < levels.Length; k++)
        {
            for (int i = 0; i < count; i++) mean[k] += contrast[k, i] / count;
            if (k > 0)
                Assert.True(mean[k] > mean[k - 1] + 1,
                    $"mean contrast at conspicuity {levels[k]} is {mean[k]:F1}, at {levels[k - 1]} {mean[k - 1]:F1} (12-bit units): not larger");
        }
        for (int i = 0; i < count; i++)
        {
            // Every study: full rendering clearly more contrasted than the invisible one, and no level inverts the order
            // of the extremes (per-study steps may wobble by the matched noise and requantization).
            Assert.True(contrast[4, i] > contrast[0, i] + 4, $"study {i}: contrast {contrast[4, i]:F1} at 1 against {contrast[0, i]:F1} at 0");
            for (int k = 1; k < levels.Length; k++)
                Assert.True(contrast[k, i] > contrast[k - 1, i] - 2,
                    $"study {i}: contrast {contrast[k, i]:F1} at {levels[k]} below {contrast[k - 1, i]:F1} at {levels[k - 1]}");
        }
    }

    [Fact]
    public void ZeroConspicuityLeavesThePleuralSpaceAsTheBackground()
    {
        var gen = new StudyGenerator(Options(10, 0.0) with { DeviceRate = 0, TensionRate = 0, HeartFailureRate = 0, PneumoniaRate = 0 });
        for (int i = 0; i < 10; i++)
        {
            var st = gen.Generate(i);
            Assert.True(st.PneumothoraxPixels > 0);
            var bg = Png.Read(Path.Combine(_bg.Dir, "images", st.Background!)).Image8!.Data;
            for (int p = 0; p < bg.Length; p++)
                Assert.True(Math.Abs(st.Image8[p] - bg[p]) <= 1, $"study {i}: pixel ({p % N}, {p / N}) changed from {bg[p]} to {st.Image8[p]} at conspicuity 0");
        }
    }

    [Fact]
    public void SameOptionsGiveIdenticalFilesAndTheManifestRecordsThem()
    {
        string a = TestUtil.TempDir(), b = TestUtil.TempDir(), d = TestUtil.TempDir();
        try
        {
            var o = Options(8, 0.4) with { PneumothoraxRate = 0.6, PneumothoraxSizeWeights = [0.6, 0.3, 0.1], Dicom = DicomOutput.None };
            SyntheticDatasetWriter.Write(o with { OutputDirectory = a });
            SyntheticDatasetWriter.Write(o with { OutputDirectory = b });
            Assert.Equal(TestUtil.HashTree(a), TestUtil.HashTree(b));
            string manifest = File.ReadAllText(Path.Combine(a, "manifest.json"));
            Assert.Contains("\"pneumothoraxConspicuity\": 0.4", manifest);
            Assert.Contains("\"pneumothoraxSizeWeights\"", manifest);
            Assert.Contains("\"small\": 0.6", manifest);
            // Defaults write neither key, so datasets made before these options keep their bytes.
            SyntheticDatasetWriter.Write(Options(4, 1.0) with { Dicom = DicomOutput.None, OutputDirectory = d });
            string plain = File.ReadAllText(Path.Combine(d, "manifest.json"));
            Assert.DoesNotContain("pneumothoraxConspicuity", plain);
            Assert.DoesNotContain("pneumothoraxSizeWeights", plain);
        }
        finally
        {
            foreach (var dir in new[] { a, b, d }) if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void SizeWeightsDrawTheSizesAndTheDefaultWeightsGiveTheDefaultPlans()
    {
        var plain = new StudyGenerator(Options(300, 1.0));
        var explicitDefault = new StudyGenerator(Options(300, 1.0) with { PneumothoraxSizeWeights = SynthOptions.DefaultPneumothoraxSizeWeights });
        var smallOnly = new StudyGenerator(Options(300, 1.0) with { PneumothoraxSizeWeights = SynthOptions.ParsePneumothoraxSizes("small") });
        var noSmall = new StudyGenerator(Options(300, 1.0) with { PneumothoraxSizeWeights = [0, 2, 2] });
        var counts = new Dictionary<PneumothoraxSize, int>();
        for (int i = 0; i < 300; i++)
        {
            var p = plain.Plan(i);
            Assert.Equal(p, explicitDefault.Plan(i));
            Assert.Equal(PneumothoraxSize.Small, smallOnly.Plan(i).Pneumothorax!.Size);
            var q = noSmall.Plan(i).Pneumothorax!;
            Assert.NotEqual(PneumothoraxSize.Small, q.Size);
            counts[q.Size] = counts.GetValueOrDefault(q.Size) + 1;
            // Only the size changes.
            Assert.Equal(p.Pneumothorax! with { Size = q.Size }, q);
        }
        Assert.InRange(counts[PneumothoraxSize.Moderate], 110, 190);
    }
}
