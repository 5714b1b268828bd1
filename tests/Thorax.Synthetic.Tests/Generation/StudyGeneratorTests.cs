namespace Thorax.Synthetic.Tests.Generation;

public class StudyGeneratorTests
{
    private static readonly SynthOptions Opts = TestUtil.Small(count: 12, seed: 11, size: 192) with { PneumothoraxRate = 0.6 };
    private static readonly Lazy<SyntheticStudy[]> Studies = new(() =>
    {
        var g = new StudyGenerator(Opts);
        return Enumerable.Range(0, Opts.Count).Select(g.Generate).ToArray();
    });

    [Fact]
    public void Generate_SameSeedTwoGenerators_IdenticalStudies()
    {
        var a = new StudyGenerator(Opts).Generate(3);
        var b = new StudyGenerator(Opts).Generate(3);
        Assert.Equal(a.Image12, b.Image12);
        Assert.Equal(a.Image8, b.Image8);
        Assert.Equal(a.RightLungMask, b.RightLungMask);
        Assert.Equal(a.PneumothoraxMask, b.PneumothoraxMask);
        Assert.Equal(a.Fixations, b.Fixations);
        Assert.Equal(a.Report, b.Report);
        Assert.Equal(a.Id, b.Id);
    }

    [Fact]
    public void Generate_OrderAndThreadIndependent_SameAsSequential()
    {
        var g = new StudyGenerator(Opts);
        var parallel = new SyntheticStudy[4];
        Parallel.For(0, 4, i => parallel[3 - i] = g.Generate(3 - i));
        for (int i = 0; i < 4; i++) Assert.Equal(Studies.Value[i].Image12, parallel[i].Image12);
    }

    [Fact]
    public void Generate_IntoReusedBuffers_SameAsFreshArrays()
    {
        // One buffer set reused across studies (as the dataset writer does): every study must come out exactly as
        // with fresh arrays, whatever the previous study left in the buffers.
        var g = new StudyGenerator(Opts);
        var buffers = new Thorax.Synthetic.Internal.StudyBuffers(Opts.ImageSize);
        foreach (int i in new[] { 1, 0, 5, 2, 7 })
        {
            var fresh = Studies.Value[i];
            var reused = g.Generate(i, buffers);
            Assert.Same(buffers.Image8, reused.Image8);
            Assert.Equal(fresh.Image12, reused.Image12);
            Assert.Equal(fresh.Image8, reused.Image8);
            Assert.Equal(fresh.RightLungMask, reused.RightLungMask);
            Assert.Equal(fresh.LeftLungMask, reused.LeftLungMask);
            Assert.Equal(fresh.HeartMask, reused.HeartMask);
            Assert.Equal(fresh.PneumothoraxMask, reused.PneumothoraxMask);
            Assert.Equal(fresh.PneumothoraxPixels, reused.PneumothoraxPixels);
            Assert.Equal(fresh.LungMask(), reused.LungMask(buffers.Lungs));
        }
        Assert.Throws<ArgumentException>(() => g.Generate(0, new Thorax.Synthetic.Internal.StudyBuffers(Opts.ImageSize + 1)));
    }

    [Fact]
    public void Generate_DifferentSeed_DifferentImage()
    {
        var a = new StudyGenerator(Opts).Generate(0);
        var b = new StudyGenerator(Opts with { Seed = 12 }).Generate(0);
        Assert.NotEqual(a.Image12, b.Image12);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public void Generate_IndexOutOfRange_Throws()
    {
        var g = new StudyGenerator(Opts);
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Generate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Generate(Opts.Count));
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws() =>
        Assert.Throws<InvalidSynthOptionsException>(() => new StudyGenerator(Opts with { ImageSize = 10 }));

    [Fact]
    public void Generate_Images_12BitRangeAnd8BitIsShifted()
    {
        foreach (var s in Studies.Value)
        {
            Assert.Equal(s.Width * s.Height, s.Image12.Length);
            Assert.All(s.Image12, v => Assert.InRange(v, (ushort)0, (ushort)4095));
            for (int i = 0; i < s.Image8.Length; i += 97) Assert.Equal((byte)(s.Image12[i] >> 4), s.Image8[i]);
        }
    }

    [Fact]
    public void Generate_LungMasks_OneComponentEachTwoInTotal()
    {
        foreach (var s in Studies.Value)
        {
            Assert.Equal(1, TestUtil.Components(s.RightLungMask, s.Width, s.Height));
            Assert.Equal(1, TestUtil.Components(s.LeftLungMask, s.Width, s.Height));
            Assert.Equal(2, TestUtil.Components(s.LungMask(), s.Width, s.Height));
            // Patient's right lung lies on the image's left half.
            Assert.True(CentroidX(s.RightLungMask, s.Width) < s.Width / 2.0);
            Assert.True(CentroidX(s.LeftLungMask, s.Width) > s.Width / 2.0);
        }
    }

    [Fact]
    public void Generate_LungFieldFraction_PlausibleForAPaFilm()
    {
        foreach (var s in Studies.Value)
        {
            double frac = s.LungMask().Count(v => v != 0) / (double)(s.Width * s.Height);
            Assert.InRange(frac, 0.12, 0.40);
        }
    }

    [Fact]
    public void Generate_PneumothoraxMask_InsideLungFieldOnTheNamedSide()
    {
        int positives = 0;
        foreach (var s in Studies.Value)
        {
            int count = s.PneumothoraxMask.Count(v => v != 0);
            Assert.Equal(s.PneumothoraxPixels, count);
            if (s.Pneumothorax is null) { Assert.Equal(0, count); continue; }
            positives++;
            Assert.True(count > 0, $"study {s.Index}: planted pneumothorax has no pixels");
            var side = s.Pneumothorax.Side == BodySide.Right ? s.RightLungMask : s.LeftLungMask;
            for (int i = 0; i < side.Length; i++)
                if (s.PneumothoraxMask[i] != 0) Assert.True(side[i] != 0, $"study {s.Index}: pneumothorax pixel {i} outside the {s.Pneumothorax.Side} lung");
        }
        Assert.True(positives > 0);
    }

    [Fact]
    public void Generate_PneumothoraxSizes_Ordered()
    {
        var o = Opts with { Count = 60, PneumothoraxRate = 1 };
        var g = new StudyGenerator(o);
        var bySize = new Dictionary<PneumothoraxSize, List<int>>();
        for (int i = 0; i < 24; i++)
        {
            var s = g.Generate(i);
            var lung = s.Pneumothorax!.Side == BodySide.Right ? s.RightLungMask : s.LeftLungMask;
            int lungPx = lung.Count(v => v != 0);
            (bySize.TryGetValue(s.Pneumothorax.Size, out var l) ? l : bySize[s.Pneumothorax.Size] = []).Add(1000 * s.PneumothoraxPixels / lungPx);
        }
        Assert.True(bySize[PneumothoraxSize.Small].Average() < bySize[PneumothoraxSize.Large].Average());
    }

    [Fact]
    public void Generate_Intensity_LungsDarkerThanHeartAndBodyBrighterThanAir()
    {
        foreach (var s in Studies.Value)
        {
            double lung = Mean(s.Image8, s.LungMask()), heart = Mean(s.Image8, s.HeartMask);
            Assert.True(lung + 15 < heart, $"study {s.Index}: lung {lung:F1} vs heart {heart:F1}");
            double corner = 0;
            for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) corner += s.Image8[y * s.Width + x];
            Assert.True(corner / 64 < lung, $"study {s.Index}: air outside the body should be darkest");
        }
    }

    [Fact]
    public void Generate_HeartShadow_DenserInItsWidestPartThanAlongItsBorder()
    {
        // The central shadow's density follows the body thickness through it: pixels deep inside the heart
        // (heart on both sides at 12% of the width) are brighter on average than heart pixels next to its border.
        // Spine, vessels and the tone curve also shape this difference, so it is averaged over the studies: a
        // flat (uniform-density) heart shadow gives a mean of about 40 (12-bit) here, the graded one about 75.
        var diffs = new List<double>();
        foreach (var s in Studies.Value)
        {
            int w = s.Width, k = w * 12 / 100, b = Math.Max(2, w / 100);
            double deep = 0, edge = 0; int nd = 0, ne = 0;
            for (int y = 0; y < s.Height; y++)
                for (int x = k; x < w - k; x++)
                {
                    int i = y * w + x;
                    if (s.HeartMask[i] == 0) continue;
                    if (s.HeartMask[i - k] != 0 && s.HeartMask[i + k] != 0) { deep += s.Image12[i]; nd++; }
                    else if (s.HeartMask[i - b] == 0 || s.HeartMask[i + b] == 0) { edge += s.Image12[i]; ne++; }
                }
            Assert.True(nd > 0 && ne > 0, $"study {s.Index}: heart too small to compare");
            diffs.Add(deep / nd - edge / ne);
        }
        Assert.True(diffs.Average() > 58, "deep minus border: " + string.Join(", ", diffs.Select(d => d.ToString("F0"))));
        Assert.True(diffs.Count(d => d > 0) >= diffs.Count - 1, "deep minus border: " + string.Join(", ", diffs.Select(d => d.ToString("F0"))));
    }

    [Fact]
    public void Generate_HeartFailure_LargerCardiothoracicRatioThanNormal()
    {
        var o = Opts with { Count = 40, HeartFailureRate = 0.5, PneumoniaRate = 0 };
        var g = new StudyGenerator(o);
        var chf = new List<double>(); var normal = new List<double>();
        for (int i = 0; i < 16; i++)
        {
            var s = g.Generate(i);
            double ratio = Width(s.HeartMask, s.Width, s.Height) / Width(s.LungMask(), s.Width, s.Height);
            (s.Class == FindingClass.HeartFailure ? chf : normal).Add(ratio);
        }
        Assert.NotEmpty(chf);
        Assert.NotEmpty(normal);
        Assert.True(chf.Average() > normal.Average() + 0.05);
    }

    [Fact]
    public void Generate_Fixations_InsideImageAndTimeOrdered()
    {
        foreach (var s in Studies.Value)
        {
            Assert.InRange(s.Fixations.Count, 10, 200);
            double last = -1;
            foreach (var f in s.Fixations)
            {
                Assert.InRange(f.X, 0, s.Width - 1);
                Assert.InRange(f.Y, 0, s.Height - 1);
                Assert.True(f.DurationSeconds > 0);
                Assert.True(f.StartSeconds >= last);
                last = f.StartSeconds + f.DurationSeconds;
            }
        }
    }

    [Fact]
    public void Generate_Fixations_DwellOnPneumothorax()
    {
        foreach (var s in Studies.Value.Where(s => s.Pneumothorax is not null))
        {
            // Time spent within 12% of the image width of the pneumothorax exceeds what a uniform survey gives.
            var (cx, cy) = Centroid(s.PneumothoraxMask, s.Width);
            double r = 0.12 * s.Width;
            double near = s.Fixations.Where(f => Math.Pow(f.X - cx, 2) + Math.Pow(f.Y - cy, 2) < r * r).Sum(f => f.DurationSeconds);
            double total = s.Fixations.Sum(f => f.DurationSeconds);
            Assert.True(near / total > 0.15, $"study {s.Index}: only {near / total:P0} of dwell near the finding");
        }
    }

    [Fact]
    public void Generate_Report_ConsistentWithLabels()
    {
        foreach (var s in Studies.Value)
        {
            string text = s.Report.ToLowerInvariant();
            Assert.StartsWith("FINDINGS:", s.Report);
            Assert.Contains("IMPRESSION:", s.Report);
            if (s.Pneumothorax is { } p)
            {
                Assert.Contains(p.Side == BodySide.Right ? "right" : "left", text);
                Assert.Contains(p.Size.ToString().ToLowerInvariant(), text);
                Assert.DoesNotContain("no pneumothorax", text);
                Assert.DoesNotContain("no evidence of pneumothorax", text);
            }
            else
            {
                Assert.True(text.Contains("no pneumothorax") || text.Contains("no evidence of pneumothorax") || text.Contains("there is no pneumothorax"));
            }
            if (s.Class == FindingClass.Pneumonia) Assert.Contains("pneumonia", text);
            if (s.Class == FindingClass.HeartFailure) Assert.Contains("heart failure", text);
        }
    }

    [Fact]
    public void Generate_Ids_MimicStyle44CharsAndUnique()
    {
        var ids = Studies.Value.Select(s => s.Id).ToList();
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{8}(-[0-9a-f]{8}){4}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(Studies.Value, s => Assert.StartsWith("2.25.", s.SopInstanceUid));
    }

    private static double Mean(byte[] img, byte[] mask)
    {
        double sum = 0; int n = 0;
        for (int i = 0; i < img.Length; i++) if (mask[i] != 0) { sum += img[i]; n++; }
        return n == 0 ? double.NaN : sum / n;
    }

    private static double CentroidX(byte[] mask, int w) => Centroid(mask, w).X;

    private static (double X, double Y) Centroid(byte[] mask, int w)
    {
        double sx = 0, sy = 0; int n = 0;
        for (int i = 0; i < mask.Length; i++) if (mask[i] != 0) { sx += i % w; sy += i / w; n++; }
        return (sx / n, sy / n);
    }

    private static double Width(byte[] mask, int w, int h)
    {
        int x0 = w, x1 = -1;
        for (int i = 0; i < mask.Length; i++) if (mask[i] != 0) { x0 = Math.Min(x0, i % w); x1 = Math.Max(x1, i % w); }
        return x1 - x0 + 1;
    }
}
