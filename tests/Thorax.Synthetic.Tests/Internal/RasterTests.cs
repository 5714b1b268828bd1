using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Internal;

public class RasterTests
{
    private static float Sum(Raster r) => r.Data.Sum();

    [Fact]
    public void FillPolygon_AxisAlignedSquareOnFractionalCorners_ExactArea()
    {
        var r = new Raster(32, 32);
        Rasterizer.FillPolygon(r, new Vector2[] { new(3.25f, 4.5f), new(13.75f, 4.5f), new(13.75f, 14.5f), new(3.25f, 14.5f) }, 1f, Blend.Add);
        Assert.Equal(10.5f * 10f, Sum(r), 2);
        Assert.Equal(1f, r.Data[8 * 32 + 8], 5);
        Assert.Equal(0.75f, r.Data[8 * 32 + 3], 5);
        Assert.Equal(0.5f, r.Data[4 * 32 + 8], 5);
    }

    [Fact]
    public void FillPolygon_Circle_AreaCloseToPiRSquared()
    {
        var r = new Raster(128, 128);
        Rasterizer.FillPolygon(r, Shapes.Ellipse(64.3f, 60.7f, 30f, 30f, 0f, 256), 1f, Blend.Add);
        Assert.InRange(Sum(r), MathF.PI * 900 * 0.995f, MathF.PI * 900 * 1.005f);
    }

    [Fact]
    public void FillPolygon_WindingOrderIrrelevant_AndMaxBlendCapsAtValue()
    {
        var a = new Raster(40, 40);
        var b = new Raster(40, 40);
        var poly = Shapes.Ellipse(20, 20, 12, 7, 0.4f);
        Rasterizer.FillPolygon(a, poly, 1f, Blend.Add);
        Rasterizer.FillPolygon(b, poly.Reverse().ToArray(), 1f, Blend.Add);
        Assert.Equal(a.Data, b.Data);
        Rasterizer.FillPolygon(b, poly, 1f, Blend.Max);
        Assert.All(b.Data, v => Assert.InRange(v, 0f, 1.0001f));
    }

    [Fact]
    public void FillPolygon_RandomTriangles_AreaMatchesShoelace()
    {
        Prop.ForAll(Gen.Choose(0, 10000).ToArbitrary(), seed =>
        {
            var rng = new Rng((ulong)seed);
            var t = new Vector2[] { new(rng.Range(1, 63), rng.Range(1, 63)), new(rng.Range(1, 63), rng.Range(1, 63)), new(rng.Range(1, 63), rng.Range(1, 63)) };
            float area = MathF.Abs((t[1].X - t[0].X) * (t[2].Y - t[0].Y) - (t[2].X - t[0].X) * (t[1].Y - t[0].Y)) / 2;
            var r = new Raster(64, 64);
            Rasterizer.FillPolygon(r, t, 1f, Blend.Add);
            // Four sub-scanlines: error bounded by the polygon's vertical extent times its width / 4 per edge.
            return MathF.Abs(Sum(r) - area) <= 0.02f * area + 4f;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Blur_ConstantImage_Unchanged_AndImpulseKeepsMass()
    {
        var r = new Raster(50, 40);
        Array.Fill(r.Data, 3f);
        Blur.Gaussian(r, 4f, new Raster(50, 40));
        Assert.All(r.Data, v => Assert.Equal(3f, v, 4));
        var imp = new Raster(64, 64);
        imp.Data[32 * 64 + 32] = 1f;
        Blur.Gaussian(imp, 3f, new Raster(64, 64));
        Assert.Equal(1f, Sum(imp), 4);
        // Variance of the three-box kernel approximates sigma^2 = 9.
        double var = 0;
        for (int i = 0; i < imp.Data.Length; i++) var += imp.Data[i] * Math.Pow(i % 64 - 32, 2);
        Assert.InRange(var, 7.5, 10.5);
    }

    [Fact]
    public void Rng_SameSeed_SameStream_AndNormalMoments()
    {
        var a = Rng.For(5, 1, 2); var b = Rng.For(5, 1, 2);
        for (int i = 0; i < 10; i++) Assert.Equal(a.NextULong(), b.NextULong());
        var r = new Rng(99);
        double s = 0, s2 = 0;
        for (int i = 0; i < 20000; i++) { double v = r.Normal(); s += v; s2 += v * v; }
        Assert.InRange(s / 20000, -0.03, 0.03);
        Assert.InRange(s2 / 20000, 0.95, 1.05);
    }
}
