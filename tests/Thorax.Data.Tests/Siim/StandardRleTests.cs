using FsCheck;
using FsCheck.Fluent;
using Thorax.Data.Siim;

namespace Thorax.Data.Tests.Siim;

public class StandardRleTests
{
    [Fact]
    public void Decode_AbsoluteOneBasedRowMajor_PaintsAlongRows()
    {
        var mask = new byte[6]; // 3 wide x 2 high
        StandardRle.Decode("2 2 6 1", mask, 3, 2);
        Assert.Equal(new byte[] { 0, 1, 1, 0, 0, 1 }, mask);
    }

    [Fact]
    public void Decode_ColumnMajorOrder_PaintsDownColumns()
    {
        var mask = new byte[6];
        StandardRle.Decode("2 2", mask, 3, 2, RleOrder.ColumnMajor);
        Assert.Equal(new byte[] { 0, 1, 1, 0, 0, 0 }, new byte[] { mask[0], mask[3], mask[1], mask[4], mask[2], mask[5] });
    }

    [Theory]
    [InlineData("0 2", "must be >= 1")]
    [InlineData("5 2 3 1", "overlaps or precedes")]
    [InlineData("1 3 3 1", "overlaps or precedes")]
    [InlineData("6 2", "run past the image")]
    public void ParseRuns_Malformed_ThrowsDataFormatException(string rle, string expected)
    {
        var e = Assert.Throws<DataFormatException>(() => StandardRle.ParseRuns(rle, 3, 2));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void EncodeDecode_RandomMasksBothOrders_RoundTrip()
    {
        var gen = from w in Gen.Choose(1, 25)
                  from h in Gen.Choose(1, 25)
                  from colMajor in Gen.Elements(false, true)
                  from seed in Gen.Choose(0, 1_000_000)
                  select (w, h, colMajor, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var order = t.colMajor ? RleOrder.ColumnMajor : RleOrder.RowMajor;
            var rng = new Random(t.seed);
            var mask = new byte[t.w * t.h];
            for (int i = 0; i < mask.Length; i++) mask[i] = (byte)rng.Next(2);
            var back = StandardRle.ToMask(StandardRle.Encode(mask, t.w, t.h, order), t.w, t.h, order);
            return back.Data.AsSpan().SequenceEqual(mask);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void FromSiim_SameMask_BothDialectsDecodeEqual()
    {
        const string siim = "1 2 1 1";
        var expected = SiimRle.ToMask(siim, 3, 2);
        foreach (var order in new[] { RleOrder.RowMajor, RleOrder.ColumnMajor })
        {
            string abs = StandardRle.FromSiim(siim, 3, 2, order);
            Assert.Equal(expected.Data, StandardRle.ToMask(abs, 3, 2, order).Data);
        }
        Assert.Equal("2 2 5 1", StandardRle.FromSiim(siim, 3, 2, RleOrder.ColumnMajor));
    }
}
