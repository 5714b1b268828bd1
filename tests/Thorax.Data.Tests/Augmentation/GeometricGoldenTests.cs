using Thorax.Data.Augmentation;
using Thorax.Imaging.Ops;
using static Thorax.Data.Tests.Augmentation.AugmentGolden;

namespace Thorax.Data.Tests.Augmentation;

public class GeometricGoldenTests
{
    private const double Atol = 2e-5;

    [Fact]
    public void ShiftScaleRotate_FixedParams_MatchesCv2WarpAffine()
    {
        var c = Case("shift_scale_rotate");
        var p = Doubles(c.GetProperty("params"));
        var s = new ShiftScaleRotate().Apply(Input(), new ShiftScaleRotate.Params(p[0], p[1], p[2], p[3]));
        Near(Floats(c.GetProperty("image")), s.Image, Atol, "image");
        Near(Floats(c.GetProperty("image")), s.Gaze!, Atol, "gaze");
        MaskNear(Bytes(c.GetProperty("mask")), s.Masks[0], 0, "mask");
    }

    [Fact]
    public void Rotate_FixedAngle_MatchesCv2WithHalfPixelCentre()
    {
        var c = Case("rotate");
        var s = new Rotate().Apply(Input(), Doubles(c.GetProperty("params"))[0]);
        Near(Floats(c.GetProperty("image")), s.Image, Atol, "image");
        Near(Floats(c.GetProperty("image")), s.Gaze!, Atol, "gaze"); // the gaze map is the image here: same warp
        MaskNear(Bytes(c.GetProperty("mask")), s.Masks[0], 0, "mask");
    }

    [Fact]
    public void RandomResizedCrop_FixedRect_MatchesCropThenCv2Resize()
    {
        var c = Case("random_resized_crop");
        var p = Doubles(c.GetProperty("params")).Select(v => (int)v).ToArray();
        var s = new RandomResizedCrop(p[4], p[5]).Apply(Input(), new RandomResizedCrop.Params(p[0], p[1], p[2], p[3]));
        Assert.Equal((p[4], p[5]), (s.Width, s.Height));
        Near(Floats(c.GetProperty("image")), s.Image, Atol, "image");
        Near(Floats(c.GetProperty("image")), s.Gaze!, Atol, "gaze"); // the gaze map is the image here: same warp
        MaskNear(Bytes(c.GetProperty("mask")), s.Masks[0], 0, "mask");
    }

    [Fact]
    public void ElasticTransform_FixedFields_MatchesCv2AffineThenRemap()
    {
        var c = Case("elastic");
        var src = AnchorPairs(Floats(c.GetProperty("pts1")));
        var dst = AnchorPairs(Floats(c.GetProperty("pts2")));
        var m = ElasticTransform.FromPoints(src, dst);
        var expectedM = Doubles(c.GetProperty("affine"));
        double[] actualM = [m.A, m.B, m.C, m.D, m.E, m.F];
        for (int i = 0; i < 6; i++) Assert.Equal(expectedM[i], actualM[i], 4);
        var input = Input();
        var anchors = ElasticTransform.AnchorPoints(input.Width, input.Height);
        for (int i = 0; i < 3; i++) Assert.Equal((src[i].X, src[i].Y), anchors[i]);
        var s = new ElasticTransform().Apply(input, new ElasticTransform.Params(m, Floats(c.GetProperty("dx")), Floats(c.GetProperty("dy"))));
        Near(Floats(c.GetProperty("image")), s.Image, 1e-4, "image");
        Near(Floats(c.GetProperty("image")), s.Gaze!, 1e-4, "gaze"); // the gaze map is the image here: same warp
        MaskNear(Bytes(c.GetProperty("mask")), s.Masks[0], 2, "mask");
    }

    [Fact]
    public void GridDistortion_FixedSteps_MatchesAlbumentationsMapsAndCv2Remap()
    {
        var c = Case("grid_distortion");
        var xs = Doubles(c.GetProperty("xsteps"));
        var ys = Doubles(c.GetProperty("ysteps"));
        var input = Input();
        Near(Floats(c.GetProperty("xmap")), GridDistortion.AxisMap(input.Width, 5, xs), 1e-5, "x map");
        Near(Floats(c.GetProperty("ymap")), GridDistortion.AxisMap(input.Height, 5, ys), 1e-5, "y map");
        var s = new GridDistortion().Apply(input, new GridDistortion.Params(xs, ys));
        Near(Floats(c.GetProperty("image")), s.Image, Atol, "image");
        Near(Floats(c.GetProperty("image")), s.Gaze!, Atol, "gaze"); // the gaze map is the image here: same warp
        MaskNear(Bytes(c.GetProperty("mask")), s.Masks[0], 0, "mask");
    }

    [Theory]
    [InlineData("optical_barrel")]
    [InlineData("optical_pincushion")]
    public void OpticalDistortion_FixedParams_MatchesInitUndistortRectifyMapAndRemap(string name)
    {
        var c = Case(name);
        var p = Doubles(c.GetProperty("params"));
        var prm = new OpticalDistortion.Params(p[0], p[1], p[2]);
        var input = Input();
        var (mx, my) = OpticalDistortion.Maps(input.Width, input.Height, prm);
        Near(Floats(c.GetProperty("map_x")), mx, 1e-3, "map x");
        Near(Floats(c.GetProperty("map_y")), my, 1e-3, "map y");
        var s = new OpticalDistortion().Apply(input, prm);
        Near(Floats(c.GetProperty("image")), s.Image, 1e-4, "image");
        Near(Floats(c.GetProperty("image")), s.Gaze!, 1e-4, "gaze"); // the gaze map is the image here: same warp
        MaskNear(Bytes(c.GetProperty("mask")), s.Masks[0], 2, "mask");
    }

    [Fact]
    public void Clahe_FixedClip_MatchesCv2OnQuantisedImage()
    {
        var c = Case("clahe");
        var s = new Clahe { Tiles = 4 }.Apply(Input(), 3.0);
        Near(Floats(c.GetProperty("image")), s.Image, 1e-6, "image");
        Near(Input().Gaze!, s.Gaze!, 0, "gaze"); // intensity transform: the gaze map is left as it was
    }

    [Fact]
    public void HorizontalFlip_Twice_RestoresSampleAndMirrorsColumns()
    {
        var input = Input();
        var flip = new HorizontalFlip();
        var once = flip.Flip(input);
        for (int y = 0; y < input.Height; y++)
            for (int x = 0; x < input.Width; x++)
            {
                Assert.Equal(input.Image[y * input.Width + x], once.Image[y * input.Width + input.Width - 1 - x]);
                Assert.Equal(input.Masks[0][y * input.Width + x], once.Masks[0][y * input.Width + input.Width - 1 - x]);
            }
        var twice = flip.Flip(once);
        Assert.Equal(input.Image, twice.Image);
        Assert.Equal(input.Masks[0], twice.Masks[0]);
    }

    private static (double X, double Y)[] AnchorPairs(float[] v) => [(v[0], v[1]), (v[2], v[3]), (v[4], v[5])];
}
