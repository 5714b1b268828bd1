using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class WarpTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/warp.json");

    private static AffineTransform Matrix(JsonElement e)
    {
        var m = TestData.Doubles(e);
        return new AffineTransform(m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    [Theory]
    [InlineData("u8")]
    [InlineData("u8c3")]
    [InlineData("f32")]
    public void Affine_AllMatricesBordersInterpolations_EqualCv2WarpAffine(string input)
    {
        int n = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("input").GetString() != input) continue;
            var m = Matrix(c.GetProperty("matrix"));
            var interp = c.GetProperty("interp").GetString() == "linear" ? Interpolation.Linear : Interpolation.Nearest;
            var border = GoldenNames.Border(c.GetProperty("border").GetString()!);
            double value = c.GetProperty("value").GetDouble();
            string ctx = $"{input} {m} {interp} {border} {value}";
            if (input == "f32")
            {
                var src = GoldenArray.F32(Golden.GetProperty("inputs").GetProperty(input));
                var actual = Warp.Affine(src, m, 37, 23, interp, border, value);
                GoldenArray.AssertClose(GoldenArray.F32(c.GetProperty("expected")).Pixels, actual.Pixels, 1e-5, 1e-5, ctx);
            }
            else
            {
                var src = GoldenArray.U8(Golden.GetProperty("inputs").GetProperty(input));
                var actual = Warp.Affine(src, m, 37, 23, interp, border, value);
                GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, 0, ctx);
            }
            n++;
        }
        Assert.Equal(50, n);
    }

    [Fact]
    public void Rotation_EqualsGetRotationMatrix2D()
    {
        foreach (var r in Golden.GetProperty("rotation_matrices").EnumerateArray())
        {
            var m = AffineTransform.Rotation(r.GetProperty("cx").GetDouble(), r.GetProperty("cy").GetDouble(),
                r.GetProperty("angle").GetDouble(), r.GetProperty("scale").GetDouble());
            var e = TestData.Doubles(r.GetProperty("expected"));
            Assert.Equal(e, new[] { m.A, m.B, m.C, m.D, m.E, m.F }, (a, b) => Math.Abs(a - b) < 1e-12);
        }
    }

    [Fact]
    public void Invert_ComposedWithForward_IsIdentity()
    {
        var m = AffineTransform.ShiftScaleRotate(64, 48, 12.5, 1.1, 0.05, -0.02);
        var inv = m.Invert();
        double x = 10, y = 7;
        double fx = m.A * x + m.B * y + m.C, fy = m.D * x + m.E * y + m.F;
        Assert.Equal(x, inv.A * fx + inv.B * fy + inv.C, 10);
        Assert.Equal(y, inv.D * fx + inv.E * fy + inv.F, 10);
    }

    [Fact]
    public void AffinePair_MaskStaysBinaryAndAlignedWithImage()
    {
        var img = new Image<float>(40, 30);
        var mask = new Image<byte>(40, 30);
        for (int y = 10; y < 20; y++)
            for (int x = 12; x < 28; x++) { img[x, y] = 1f; mask[x, y] = 255; }
        var t = AffineTransform.ShiftScaleRotate(40, 30, 30, 0.9, 0.1, 0);
        var (wi, wm) = Warp.AffinePair(img, mask, t, BorderMode.Constant);
        Assert.All(wm.Data, v => Assert.True(v is 0 or 255));
        for (int i = 0; i < wm.Data.Length; i++)
            if (wm.Data[i] == 255) Assert.True(wi.Data[i] > 0.2f);
    }
}
