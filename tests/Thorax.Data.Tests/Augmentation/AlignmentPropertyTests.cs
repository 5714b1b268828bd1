using FsCheck;
using FsCheck.Fluent;
using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;

namespace Thorax.Data.Tests.Augmentation;

/// <summary>Every spatial transform moves image and masks together and keeps masks binary: the image is set equal to
/// the mask, so after the transform the thresholded image must coincide with the mask up to boundary pixels.</summary>
public class AlignmentPropertyTests
{
    private static readonly (string Name, SampleTransform Transform)[] Spatial =
    [
        ("hflip", new HorizontalFlip { Probability = 1 }),
        ("ssr", new ShiftScaleRotate { Probability = 1 }),
        ("rotate", new Rotate { Probability = 1, Limit = 45 }),
        ("rrc", new RandomResizedCrop(40, 36) { Scale = (0.3, 1.0) }),
        ("elastic", new ElasticTransform { Probability = 1, Alpha = 30, Sigma = 5, AlphaAffine = 3 }),
        ("grid", new GridDistortion { Probability = 1 }),
        ("optical", new OpticalDistortion { Probability = 1, DistortLimit = 0.5, ShiftLimit = 2 }),
        ("zoom", new Zoom { Probability = 1, MinScale = 0.8, MaxScale = 1.25 }),
        ("resize", new Resize(30, 25)),
        ("dropout", new CoarseDropout { Probability = 1, MaxHoles = 4, MaskFillValue = 0 }),
        ("siim-train", AugmentationPresets.SiimFirstPlaceTrain(48)),
        ("gdvig-egd", AugmentationPresets.GdVigEgdTrain(32, divideBy255Quirk: false)),
    ];

    private static Sample Blob(int seed)
    {
        var r = new Random(seed);
        int w = 48, h = 44;
        double cx = 12 + r.NextDouble() * 24, cy = 12 + r.NextDouble() * 20, rx = 5 + r.NextDouble() * 8, ry = 5 + r.NextDouble() * 8;
        var m = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                m[y * w + x] = (byte)(((x - cx) / rx) * ((x - cx) / rx) + ((y - cy) / ry) * ((y - cy) / ry) <= 1 ? 1 : 0);
        return new Sample { Id = "blob", Image = m.Select(v => (float)v).ToArray(), Channels = 1, Width = w, Height = h, Masks = [m] };
    }

    [Fact]
    public void SpatialTransforms_ImageEqualToMask_StayAlignedAndBinary()
    {
        var gen = from seed in Gen.Choose(0, 100000) from t in Gen.Choose(0, Spatial.Length - 1) select (seed, t);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            CheckAligned(c.seed, c.t);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>A case the property once found: the EGD-CXR preset's crop keeps only a one-row sliver of the blob at the
    /// bottom edge, and the bilinear image's sliver sits one row above the nearest-neighbour mask's (a boundary effect,
    /// the whole sliver is boundary), beyond the old allowance of 40% of the area. Also the check compared the
    /// normalised image against a fixed 0.5 instead of the midpoint of its range.</summary>
    [Fact]
    public void GdVigEgdPreset_DarkenedSmallBlob_StillAligned() => CheckAligned(99687, Array.FindIndex(Spatial, s => s.Name == "gdvig-egd"));

    /// <summary>A second case the property found: the crop leaves a one-row sliver of the blob on the bottom edge of the
    /// bilinear image that the nearest-neighbour mask loses completely (mask area 0, 9 image pixels).</summary>
    [Fact]
    public void GdVigEgdPreset_SliverOnlyInTheImage_StillAligned() => CheckAligned(89469, Array.FindIndex(Spatial, s => s.Name == "gdvig-egd"));

    private static void CheckAligned(int seed, int t)
    {
        var (name, transform) = Spatial[t];
        var input = Blob(seed);
        var output = transform.Apply(input, new Random(seed));
        output.Validate(); // masks are 0/1 and shapes agree
        var mask = output.Masks[0];
        // intensity steps may shift or rescale the image (brightness, gamma, contrast): compare against the midpoint of
        // its range
        float lo = output.Image.Min(), hi = output.Image.Max(), mid = (lo + hi) / 2;
        int area = 0, disagree = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            area += mask[i];
            if ((output.Image[i] > mid ? 1 : 0) != mask[i]) disagree++;
        }
        // bilinear vs nearest differ only along the boundary (perimeter ~ 2*pi*r): allow 40% of the area or, for slivers
        // cut by the crop, the mask's boundary pixels (those with a 4-neighbour outside the mask or the image), + 8 px
        int boundary = 0, w = output.Width, h = output.Height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (mask[y * w + x] != 0 && (x == 0 || y == 0 || x == w - 1 || y == h - 1 || mask[y * w + x - 1] == 0 || mask[y * w + x + 1] == 0
                    || mask[(y - 1) * w + x] == 0 || mask[(y + 1) * w + x] == 0))
                    boundary++;
        // and symmetrically the image's own boundary (pixels above the midpoint with a 4-neighbour below it or outside the
        // image): a sliver the crop leaves in the bilinear image may round away entirely in the nearest-neighbour mask
        // (seed 89469: a one-row, 9-pixel sliver on the bottom edge over an empty mask)
        int imageBoundary = 0;
        bool On(int x, int y) => output.Image[y * w + x] > mid;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (On(x, y) && (x == 0 || y == 0 || x == w - 1 || y == h - 1 || !On(x - 1, y) || !On(x + 1, y) || !On(x, y - 1) || !On(x, y + 1)))
                    imageBoundary++;
        bool ok = disagree <= Math.Max(0.4 * area, Math.Max(boundary, imageBoundary)) + 8;
        if (!ok)
        {
            var sb = new System.Text.StringBuilder();
            for (int y = 0; y < output.Height; y++)
            {
                for (int x = 0; x < output.Width; x++) sb.Append(mask[y * output.Width + x] != 0 ? (output.Image[y * output.Width + x] > mid ? '#' : 'm') : (output.Image[y * output.Width + x] > mid ? 'i' : '.'));
                sb.Append('\n');
            }
            throw new Exception($"{name} seed {seed}: {disagree} pixels disagree for mask area {area} (image range {lo}..{hi})\n{sb}");
        }
    }

    [Fact]
    public void ShiftScaleRotate_CentroidOfImageAndMask_Coincide()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var output = new ShiftScaleRotate { Probability = 1 }.Apply(Blob(seed), new Random(seed));
            var (ix, iy) = Centroid(output.Image, output.Width);
            var (mx, my) = Centroid(output.Masks[0].Select(v => (float)v).ToArray(), output.Width);
            Assert.True(Math.Abs(ix - mx) < 1.0 && Math.Abs(iy - my) < 1.0, $"seed {seed}: image centroid ({ix:F2},{iy:F2}) vs mask ({mx:F2},{my:F2})");
        }
    }

    private static (double X, double Y) Centroid(float[] v, int w)
    {
        double s = 0, sx = 0, sy = 0;
        for (int i = 0; i < v.Length; i++) { s += v[i]; sx += v[i] * (i % w); sy += v[i] * (i / w); }
        return s > 0 ? (sx / s, sy / s) : (0, 0);
    }
}
