namespace Thorax.Data.Siim;

/// <summary>
/// Standard (absolute) Kaggle RLE: pairs "start length" with 1-based absolute starts, by default over the
/// row-major flat index (numpy C order, as CANDID-PTX's <c>rle_decode(rle, (1024, 1024))</c>).
/// "-1" or an empty string means no foreground. Runs must be sorted and non-overlapping.
/// </summary>
public static class StandardRle
{
    /// <summary>Parses and validates the runs (0-based flat starts; the pixel order is applied when painting).</summary>
    /// <exception cref="DataFormatException">Non-numeric value, odd count, start 0, zero length, unsorted/overlapping runs, or a run past the image.</exception>
    public static RleRun[] ParseRuns(ReadOnlySpan<char> rle, int width, int height)
    {
        if (RleCore.IsEmpty(rle)) return [];
        return RleCore.ToRuns(RleCore.ParseNumbers(rle), relative: false, (long)width * height);
    }

    /// <summary>ORs the decoded runs into a row-major mask of width*height bytes.</summary>
    /// <param name="rle">Absolute RLE or "-1".</param>
    /// <param name="mask">Row-major destination.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="order">Pixel order of the flat index (default row-major).</param>
    /// <param name="value">Foreground value written (default 1).</param>
    /// <returns>Number of pixels covered by the runs.</returns>
    /// <exception cref="DataFormatException">Malformed RLE.</exception>
    public static long Decode(ReadOnlySpan<char> rle, Span<byte> mask, int width, int height,
        RleOrder order = RleOrder.RowMajor, byte value = 1)
    {
        RleCore.CheckSize(width, height, mask.Length);
        return RleCore.Paint(ParseRuns(rle, width, height), mask, width, height, order, value);
    }

    /// <summary>Decodes into a new 0/1 mask.</summary>
    /// <exception cref="DataFormatException">Malformed RLE.</exception>
    public static Masks.BinaryMask ToMask(string rle, int width, int height, RleOrder order = RleOrder.RowMajor)
    {
        var mask = new Masks.BinaryMask(width, height);
        Decode(rle, mask.Data, width, height, order);
        return mask;
    }

    /// <summary>Encodes the non-zero pixels of a row-major mask as absolute 1-based RLE; "-1" when empty.</summary>
    public static string Encode(ReadOnlySpan<byte> mask, int width, int height, RleOrder order = RleOrder.RowMajor)
    {
        RleCore.CheckSize(width, height, mask.Length);
        return RleCore.Format(RleCore.Runs(mask, width, height, order), relative: false);
    }

    /// <summary>Converts SIIM relative (column-major) RLE to absolute RLE in <paramref name="order"/>.</summary>
    /// <exception cref="DataFormatException">Malformed input.</exception>
    public static string FromSiim(string siimRle, int width, int height, RleOrder order = RleOrder.RowMajor)
    {
        if (order == RleOrder.ColumnMajor)
            return RleCore.Format(SiimRle.ParseRuns(siimRle, width, height), relative: false);
        var mask = new byte[width * height];
        SiimRle.Decode(siimRle, mask, width, height);
        return Encode(mask, width, height, order);
    }
}
