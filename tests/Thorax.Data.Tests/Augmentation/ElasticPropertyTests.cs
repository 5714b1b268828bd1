using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;

namespace Thorax.Data.Tests.Augmentation;

/// <summary>Elastic deformation: no movement at zero strength, and the masks follow the image's geometry.</summary>
public class ElasticPropertyTests
{
    private static Sample Random(int seed, int w, int h)
    {
        var r = new Random(seed);
        var img = new float[w * h];
        var mask = new byte[w * h];
        for (int i = 0; i < img.Length; i++)
        {
            img[i] = (float)r.NextDouble();
            mask[i] = (byte)(r.NextDouble() < 0.3 ? 1 : 0);
        }
        return new Sample { Id = "r", Image = img, Channels = 1, Width = w, Height = h, Masks = [mask] };
    }

    [Fact]
    public void ZeroStrength_IsTheIdentity()
    {
        var t = new ElasticTransform { Alpha = 0, AlphaAffine = 0, Sigma = 6, Probability = 1 };
        for (int seed = 0; seed < 10; seed++)
        {
            var input = Random(seed, 37 + seed, 29 + 2 * seed);
            var output = t.Apply(input, new Random(seed));
            Assert.Equal(input.Masks[0], output.Masks[0]);
            for (int i = 0; i < input.Image.Length; i++) Assert.True(Math.Abs(input.Image[i] - output.Image[i]) < 1e-5f, $"seed {seed} pixel {i}: {input.Image[i]} -> {output.Image[i]}");
        }
    }

    /// <summary>
    /// The image is a coordinate ramp (bilinear interpolation reproduces it exactly in the interior), the mask the stripe
    /// where that coordinate is at least k: after the warp, each interior mask pixel must be 1 exactly when the warped ramp
    /// says it came from the stripe, up to the nearest-neighbour rounding of the mask (half a pixel per stage, two stages).
    /// </summary>
    [Theory]
    [InlineData(0, 120.0 / 256, 6.0 / 16, 3.6 / 16)]   // the first place's setting scaled to 64 px (PtxSegmenterTrainer.ElasticAt)
    [InlineData(1, 30.0, 5.0, 3.0)]
    [InlineData(2, 120.0, 6.0, 3.6)]                 // the first place's pixel values, unscaled
    public void MaskFollowsTheImageGeometry(int axis, double alpha, double sigma, double alphaAffine)
    {
        const int w = 64, h = 56;
        var t = new ElasticTransform { Alpha = alpha, Sigma = sigma, AlphaAffine = alphaAffine, Probability = 1 };
        foreach (var (useX, k) in new[] { (true, 30), (false, 20) })
        {
            for (int seed = 0; seed < 8; seed++)
            {
                var img = new float[w * h];
                var mask = new byte[w * h];
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        var c = useX ? x : y;
                        img[y * w + x] = c;
                        mask[y * w + x] = (byte)(c >= k ? 1 : 0);
                    }
                var s = new Sample { Id = "ramp", Image = img, Channels = 1, Width = w, Height = h, Masks = [mask] };
                var o = t.Apply(s, new Random(1000 * axis + seed));
                int checkedPixels = 0;
                for (int y = 8; y < h - 8; y++)
                    for (int x = 8; x < w - 8; x++)
                    {
                        int i = y * w + x;
                        double source = o.Image[i];
                        if (source < 2 || source > (useX ? w : h) - 3) continue; // reflected border: the ramp is not linear there
                        if (Math.Abs(source - (k - 0.5)) <= 1.0) continue;        // within the rounding of two nearest-neighbour stages
                        checkedPixels++;
                        Assert.True(o.Masks[0][i] == (source >= k - 0.5 ? 1 : 0),
                            $"seed {seed} ({(useX ? "x" : "y")}): pixel ({x},{y}) sampled coordinate {source:F2} but mask {o.Masks[0][i]}");
                    }
                Assert.True(checkedPixels > w * h / 4, $"only {checkedPixels} pixels checked");
            }
        }
    }
}
