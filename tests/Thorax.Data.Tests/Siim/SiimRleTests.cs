using FsCheck;
using FsCheck.Fluent;
using Thorax.Data.Siim;

namespace Thorax.Data.Tests.Siim;

public class SiimRleTests
{
    [Fact]
    public void Decode_RelativeColumnMajor_PaintsDownColumns()
    {
        // 3 wide x 2 high; column-major flat order: (0,0),(1,0),(0,1),(1,1),(0,2),(1,2)
        // "1 2" -> pixels 1..2 = (1,0),(0,1); "1 1" -> skip pixel 3, pixel 4 = (0,2)
        var mask = new byte[6];
        long n = SiimRle.Decode("1 2 1 1", mask, width: 3, height: 2);
        Assert.Equal(3, n);
        Assert.Equal(new byte[] { 0, 1, 1, 1, 0, 0 }, mask);
    }

    [Fact]
    public void Decode_EmptyMarker_LeavesMaskUnchanged()
    {
        var mask = new byte[4];
        Assert.Equal(0, SiimRle.Decode("-1", mask, 2, 2));
        Assert.Equal(0, SiimRle.Decode("  -1 ", mask, 2, 2));
        Assert.All(mask, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Decode_TwoInstances_Union()
    {
        var mask = new byte[16];
        SiimRle.Decode("0 3", mask, 4, 4);
        SiimRle.Decode("2 3", mask, 4, 4);
        Assert.Equal(5, mask.Count(b => b != 0)); // pixels 0..4 column-major
        Assert.Equal(1, mask[0 * 4 + 1]); // flat 4 = (row 0, col 1)
        Assert.Equal(1, mask[3 * 4 + 0]); // flat 3 = (row 3, col 0)
    }

    [Theory]
    [InlineData("1 2 3", "odd number")]
    [InlineData("1 x", "not a non-negative integer")]
    [InlineData("1 -2", "not a non-negative integer")]
    [InlineData("1 0", "length 0")]
    [InlineData("10 7", "run past the image")]
    [InlineData("0 2 0 99999999999", "not a non-negative integer")]
    public void ParseRuns_Malformed_ThrowsDataFormatException(string rle, string expected)
    {
        var e = Assert.Throws<DataFormatException>(() => SiimRle.ParseRuns(rle, 4, 4));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Encode_KnownMask_ProducesRelativeOffsets()
    {
        var mask = new byte[] { 0, 1, 1, 1, 0, 0 };
        Assert.Equal("1 2 1 1", SiimRle.Encode(mask, 3, 2));
        Assert.Equal("-1", SiimRle.Encode(new byte[6], 3, 2));
    }

    [Fact]
    public void Encode_RunOpenAtLastPixel_IsEmitted()
    {
        var mask = new byte[] { 0, 0, 0, 1 };
        Assert.Equal("3 1", SiimRle.Encode(mask, 2, 2));
    }

    [Fact]
    public void EncodeDecode_RandomMasks_RoundTrip()
    {
        var gen = from w in Gen.Choose(1, 30)
                  from h in Gen.Choose(1, 30)
                  from density in Gen.Choose(0, 100)
                  from seed in Gen.Choose(0, 1_000_000)
                  select (w, h, density, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var mask = new byte[t.w * t.h];
            for (int i = 0; i < mask.Length; i++) mask[i] = (byte)(rng.Next(100) < t.density ? 1 : 0);
            string rle = SiimRle.Encode(mask, t.w, t.h);
            var back = new byte[mask.Length];
            SiimRle.Decode(rle, back, t.w, t.h);
            return back.AsSpan().SequenceEqual(mask) && SiimRle.Encode(back, t.w, t.h) == rle;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Decode_WrongBufferSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => SiimRle.Decode("0 1", new byte[5], 2, 2));
    }
}
