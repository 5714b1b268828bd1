namespace Thorax.Data.Siim;

/// <summary>
/// SIIM-ACR training RLE: pairs "start length" where each start is a 0-based offset counted from the end of the
/// previous run (relative), over the column-major flat pixel index (index = col * height + row).
/// "-1" (or an empty string) means no foreground. Masks are row-major byte buffers (row * width + col).
/// </summary>
/// <remarks>
/// Reference: Kaggle <c>mask_functions.rle2mask</c> / <c>mask2rle(mask.T, 1024, 1024)</c>. Deviation: the Kaggle encoder
/// never emits a run still open at the last pixel; <see cref="Encode"/> does.
/// </remarks>
public static class SiimRle
{
    /// <summary>The empty-mask marker.</summary>
    public const string EmptyMarker = "-1";

    /// <summary>True when the string denotes an empty mask ("-1" or blank).</summary>
    public static bool IsEmpty(ReadOnlySpan<char> rle) => RleCore.IsEmpty(rle);

    /// <summary>Parses and validates the runs (column-major absolute 0-based starts).</summary>
    /// <exception cref="DataFormatException">Non-numeric value, odd count, zero length, overlap, or a run past the image.</exception>
    public static RleRun[] ParseRuns(ReadOnlySpan<char> rle, int width, int height)
    {
        if (RleCore.IsEmpty(rle)) return [];
        return RleCore.ToRuns(RleCore.ParseNumbers(rle), relative: true, (long)width * height);
    }

    /// <summary>ORs the decoded runs into <paramref name="mask"/> (row-major, width*height bytes), so several
    /// instances of one image decode to their union.</summary>
    /// <param name="rle">SIIM relative RLE or "-1".</param>
    /// <param name="mask">Row-major destination, length width*height.</param>
    /// <param name="width">Image width (SIIM: 1024).</param>
    /// <param name="height">Image height (SIIM: 1024).</param>
    /// <param name="value">Foreground value written (default 1).</param>
    /// <returns>Number of pixels covered by this string's runs.</returns>
    /// <exception cref="DataFormatException">Malformed RLE.</exception>
    public static long Decode(ReadOnlySpan<char> rle, Span<byte> mask, int width, int height, byte value = 1)
    {
        RleCore.CheckSize(width, height, mask.Length);
        return RleCore.Paint(ParseRuns(rle, width, height), mask, width, height, RleOrder.ColumnMajor, value);
    }

    /// <summary>Decodes one string into a new 0/1 mask.</summary>
    /// <exception cref="DataFormatException">Malformed RLE.</exception>
    public static Masks.BinaryMask ToMask(string rle, int width = 1024, int height = 1024)
    {
        var mask = new Masks.BinaryMask(width, height);
        Decode(rle, mask.Data, width, height);
        return mask;
    }

    /// <summary>Encodes the non-zero pixels of a row-major mask; "-1" when empty.</summary>
    public static string Encode(ReadOnlySpan<byte> mask, int width, int height)
    {
        RleCore.CheckSize(width, height, mask.Length);
        return RleCore.Format(RleCore.Runs(mask, width, height, RleOrder.ColumnMajor), relative: true);
    }

    /// <summary>Formats sorted, non-overlapping column-major runs as SIIM relative RLE; "-1" when empty.</summary>
    public static string Format(IReadOnlyList<RleRun> runs) => RleCore.Format(runs, relative: true);
}
