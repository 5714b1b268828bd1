using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>uint16 <see cref="Warp.Affine(Image{ushort}, AffineTransform, int, int, Interpolation, BorderMode, double)"/>
/// against cv2.warpAffine on uint16 (goldens from tools/golden/imaging/golden_ops.py, warps_u16): bit-exact.</summary>
public class WarpU16Tests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/warps_u16.json");

    private static AffineTransform Matrix(JsonElement e)
    {
        var m = TestData.Doubles(e);
        return new AffineTransform(m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    [Theory]
    [InlineData("nearest", 36)]
    [InlineData("linear", 36)]
    [InlineData("cubic", 54)]
    public void Affine_UInt16_AllInputsMatricesBorders_EqualCv2WarpAffine(string interp, int count)
    {
        var inputs = new Dictionary<string, Image<ushort>>();
        foreach (var p in Golden.GetProperty("inputs").EnumerateObject()) inputs[p.Name] = GoldenArray.U16(p.Value);
        int n = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("interp").GetString() != interp) continue;
            string input = c.GetProperty("input").GetString()!;
            var m = Matrix(c.GetProperty("matrix"));
            var border = GoldenNames.Border(c.GetProperty("border").GetString()!);
            double value = c.GetProperty("value").GetDouble();
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var src = inputs[input];
            var expected = GoldenArray.U16(c.GetProperty("expected"));
            var actual = Warp.Affine(src, m, w, h, GoldenNames.Interpolation(interp), border, value);
            string ctx = $"{interp} {input} {src.Width}x{src.Height}x{src.Channels} -> {w}x{h} {m} {border} {value}";
            Assert.True(expected.HasSameShape(actual), $"{ctx}: shape {actual} != {expected}");
            var e = expected.Pixels;
            var a = actual.Pixels;
            for (int i = 0; i < e.Length; i++)
                if (e[i] != a[i])
                    Assert.Fail($"{ctx}: flat index {i}: expected {e[i]}, got {a[i]}");
            n++;
        }
        Assert.Equal(count, n);
    }

    /// <summary>Larger images (several row bands, mostly interior taps): SHA-256 of the output equals cv2's.</summary>
    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    [InlineData("cubic")]
    public void Affine_UInt16_LargeImages_MatchCv2Hashes(string interp)
    {
        int n = 0;
        foreach (var c in Golden.GetProperty("large").EnumerateArray())
        {
            if (c.GetProperty("interp").GetString() != interp) continue;
            var src = GoldenArray.U16Pattern(c.GetProperty("src_width").GetInt32(), c.GetProperty("src_height").GetInt32(),
                c.GetProperty("channels").GetInt32());
            var actual = Warp.Affine(src, Matrix(c.GetProperty("matrix")), c.GetProperty("width").GetInt32(),
                c.GetProperty("height").GetInt32(), GoldenNames.Interpolation(interp), GoldenNames.Border(c.GetProperty("border").GetString()!),
                c.GetProperty("value").GetDouble());
            Assert.Equal(c.GetProperty("sha256").GetString(), TestData.Sha256<ushort>(actual.Pixels));
            n++;
        }
        Assert.Equal(4, n);
    }

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    public void Affine_UInt16_Identity_IsCopy(Interpolation interp)
    {
        var img = new Image<ushort>(17, 9, 3);
        var rng = new Random(5);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (ushort)rng.Next(65536);
        foreach (var border in new[] { BorderMode.Constant, BorderMode.Replicate, BorderMode.Reflect, BorderMode.Reflect101 })
            Assert.Equal(img.Data, Warp.Affine(img, new AffineTransform(1, 0, 0, 0, 1, 0), 17, 9, interp, border).Data);
    }

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    public void Affine_UInt16_BorderValue_RoundsHalfEvenAndSaturates(Interpolation interp)
    {
        var img = new Image<ushort>(6, 5);
        img.Pixels.Fill(100);
        var away = new AffineTransform(1, 0, 1000, 0, 1, 1000); // every sample far outside
        foreach (var (value, expected) in new[] { (70000.0, (ushort)65535), (-3.0, (ushort)0), (40000.5, (ushort)40000), (40001.5, (ushort)40002) })
            Assert.All(Warp.Affine(img, away, 4, 3, interp, BorderMode.Constant, value).Data, v => Assert.Equal(expected, v));
    }

    [Fact]
    public void Affine_UInt16_Area_Throws()
    {
        var img = new Image<ushort>(6, 5);
        Assert.Throws<ArgumentException>(() => Warp.Affine(img, new AffineTransform(1, 0, 0, 0, 1, 0), 6, 5, Interpolation.Area));
    }

    [Fact]
    public void Affine_Byte_Cubic_StillThrows()
    {
        var img = new Image<byte>(6, 5);
        Assert.Throws<ArgumentException>(() => Warp.Affine(img, new AffineTransform(1, 0, 0, 0, 1, 0), 6, 5, Interpolation.Cubic));
    }
}
