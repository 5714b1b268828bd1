using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;

namespace Thorax.Data.Tests.Augmentation;

public class TransformTests
{
    private static Sample Ramp(int w = 8, int h = 6, int channels = 1, string? report = null) => new()
    {
        Id = "ramp", Channels = channels, Width = w, Height = h, Report = report,
        Image = Enumerable.Range(0, channels * w * h).Select(i => (i % (w * h)) / (float)(w * h)).ToArray(),
        Masks = [Enumerable.Range(0, w * h).Select(i => (byte)(i % w < w / 2 ? 1 : 0)).ToArray()],
    };

    [Fact]
    public void RandomBrightnessContrast_FixedParams_IsClippedAffine()
    {
        var s = new RandomBrightnessContrast().Apply(Ramp(), new RandomBrightnessContrast.Params(1.5, -0.1));
        var input = Ramp();
        for (int i = 0; i < s.Image.Length; i++) Assert.Equal(Math.Clamp(input.Image[i] * 1.5f - 0.1f, 0f, 1f), s.Image[i], 6);
        Assert.Same(input.Masks[0].GetType(), s.Masks[0].GetType());
        Assert.Equal(input.Masks[0], s.Masks[0]);
    }

    [Fact]
    public void RandomGamma_FixedGamma_IsPower()
    {
        var s = new RandomGamma().Apply(Ramp(), 1.2);
        var input = Ramp();
        for (int i = 0; i < s.Image.Length; i++) Assert.Equal(MathF.Pow(input.Image[i], 1.2f), s.Image[i], 6);
    }

    [Fact]
    public void Normalize_GdVigQuirk_DividesBy255AfterNormalising()
    {
        var s = new Normalize([0.456], [0.224]) { OutputScale = 1.0 / 255 }.Apply(Ramp(), new Random(0));
        Assert.Equal((0.5f - 0.456f) / 0.224f / 255f, s.Image[24], 6);
    }

    [Fact]
    public void Normalize_ThreeChannels_UsesPerChannelStatistics()
    {
        var s = Normalize.ImageNet.Apply(Ramp(channels: 3), new Random(0));
        Assert.Equal((0 - 0.485f) / 0.229f, s.Image[0], 5);
        Assert.Equal((0 - 0.456f) / 0.224f, s.Image[48], 5);
        Assert.Equal((0 - 0.406f) / 0.225f, s.Image[96], 5);
    }

    [Theory]
    [InlineData(FlipReportPolicy.SwapLaterality, "Small right apical pneumothorax.", "Small left apical pneumothorax.", true)]
    [InlineData(FlipReportPolicy.SkipIfLateral, "Small right apical pneumothorax.", "Small right apical pneumothorax.", false)]
    [InlineData(FlipReportPolicy.Ignore, "Small right apical pneumothorax.", "Small right apical pneumothorax.", true)]
    [InlineData(FlipReportPolicy.SkipIfLateral, "No pneumothorax.", "No pneumothorax.", true)]
    public void HorizontalFlip_Report_FollowsConcordancePolicy(FlipReportPolicy policy, string report, string expected, bool flipped)
    {
        var input = Ramp(report: report);
        var s = new HorizontalFlip { ReportPolicy = policy }.Flip(input);
        Assert.Equal(expected, s.Report);
        Assert.Equal(flipped, s.Masks[0][0] == 0);
    }

    [Fact]
    public void CoarseDropout_FixedHoles_FillsImageAndOptionallyMask()
    {
        var holes = new[] { new CoarseDropout.Hole(1, 1, 2, 3) };
        var s = new CoarseDropout { FillValue = 0.5f, MaskFillValue = 0 }.Apply(Ramp(), holes);
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 8; x++)
            {
                bool inside = x is >= 1 and < 3 && y is >= 1 and < 4;
                if (inside) { Assert.Equal(0.5f, s.Image[y * 8 + x]); Assert.Equal(0, s.Masks[0][y * 8 + x]); }
                else Assert.Equal(Ramp().Image[y * 8 + x], s.Image[y * 8 + x]);
            }
        var keep = new CoarseDropout().Apply(Ramp(), holes);
        Assert.Equal(Ramp().Masks[0], keep.Masks[0]);
    }

    [Fact]
    public void RandomResizedCrop_Randomize_CropInsideImageForManySeeds()
    {
        var t = new RandomResizedCrop(16, 16);
        for (int seed = 0; seed < 500; seed++)
        {
            var p = t.Randomize(new Random(seed), 50, 30);
            Assert.InRange(p.X, 0, 50 - p.CropWidth);
            Assert.InRange(p.Y, 0, 30 - p.CropHeight);
            Assert.True(p.CropWidth >= 1 && p.CropHeight >= 1);
        }
    }

    [Fact]
    public void RandomResizedCrop_ExtremeRatio_FallsBackToCentralCrop()
    {
        var t = new RandomResizedCrop(8, 8) { Scale = (2.0, 3.0) }; // area larger than the image: every attempt fails
        Assert.Equal(new RandomResizedCrop.Params(0, 10, 30, 40), t.Randomize(new Random(1), 30, 60));
    }

    [Fact]
    public void GaussNoise_Randomize_HasRequestedSpread()
    {
        var t = new GaussNoise { VarLimit = (100, 100) };
        var noise = t.Randomize(new Random(3), 200, 100);
        double mean = noise.Average(), sd = Math.Sqrt(noise.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(sd, 10 / 255.0 * 0.97, 10 / 255.0 * 1.03);
    }

    [Fact]
    public void OneOf_AppliesExactlyOneChild()
    {
        var a = new RandomGamma { Probability = 1 };
        var b = new RandomBrightnessContrast { Probability = 1, ContrastLimit = 0, BrightnessLimit = 0.3 };
        var one = new OneOf(a, b) { Probability = 1 };
        int gammaLike = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var s = one.Apply(Ramp(), new Random(seed));
            // gamma keeps 0 at 0 and 1 at 1; a brightness shift moves 0 or saturates
            if (s.Image[0] == 0f && Math.Abs(s.Image[24] - 0.5f) > 1e-6 && IsPower(Ramp().Image, s.Image)) gammaLike++;
        }
        Assert.InRange(gammaLike, 70, 130);
    }

    [Fact]
    public void SomeOf_TwoOfThree_AppliesTwoDistinctChildren()
    {
        var counter = new List<string>();
        var t = new SomeOf(2, new Recording("a", counter), new Recording("b", counter), new Recording("c", counter));
        for (int seed = 0; seed < 50; seed++)
        {
            counter.Clear();
            t.Apply(Ramp(), new Random(seed));
            Assert.Equal(2, counter.Count);
            Assert.NotEqual(counter[0], counter[1]);
        }
    }

    [Fact]
    public void Compose_SameSeed_SameOutput()
    {
        var t = AugmentationPresets.SiimFirstPlaceTrain(8);
        var a = t.Apply(Ramp(), new Random(42));
        var b = t.Apply(Ramp(), new Random(42));
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Masks[0], b.Masks[0]);
    }

    [Fact]
    public void Presets_AllBuildAndProduceTheirOutputSize()
    {
        var input = Ramp(40, 30);
        Assert.Equal((16, 16), Size(AugmentationPresets.SiimFirstPlaceTrain(16, normalize: true).Apply(Ramp(40, 30, 3), new Random(1))));
        Assert.Equal((16, 16), Size(AugmentationPresets.SiimFirstPlaceValid(16).Apply(input, new Random(1))));
        Assert.Equal((24, 24), Size(AugmentationPresets.CxlSeg(24).Apply(input, new Random(1))));
        Assert.Equal((20, 20), Size(AugmentationPresets.GdVigSiimTrain(20).Apply(input, new Random(1))));
        Assert.Equal((20, 20), Size(AugmentationPresets.GdVigEgdTrain(20).Apply(input, new Random(1))));
        Assert.Equal((20, 20), Size(AugmentationPresets.GdVigTest(20).Apply(input, new Random(1))));
        Assert.Equal((32, 32), Size(AugmentationPresets.ContextualTrain(32).Apply(input, new Random(1))));
        Assert.Equal((32, 32), Size(AugmentationPresets.ContextualTest(32).Apply(input, new Random(1))));
        Assert.Equal((16, 20), Size(AugmentationPresets.JointSaliency(16, 20).Apply(input, new Random(1))));
    }

    private static (int, int) Size(Sample s) => (s.Width, s.Height);

    private static bool IsPower(float[] input, float[] output)
    {
        // output = input^g for one g: check with two mid-range points
        double g1 = Math.Log(output[20]) / Math.Log(input[20]), g2 = Math.Log(output[30]) / Math.Log(input[30]);
        return Math.Abs(g1 - g2) < 1e-3;
    }

    private sealed class Recording(string name, List<string> log) : SampleTransform
    {
        public override Sample ApplyForced(Sample sample, Random random)
        {
            log.Add(name);
            return sample;
        }
    }
}
