namespace Thorax.Data.Siim;

/// <summary>One row of a SIIM RLE CSV: an image id and one instance's RLE ("-1" when empty).</summary>
/// <param name="ImageId">SOP Instance UID (or stage-2 id), trimmed.</param>
/// <param name="EncodedPixels">RLE string, trimmed.</param>
/// <param name="Line">1-based line number in the source file (header = 1).</param>
public sealed record SiimRleRow(string ImageId, string EncodedPixels, long Line)
{
    /// <summary>True when the row carries no foreground ("-1" or blank).</summary>
    public bool IsEmpty => RleCore.IsEmpty(EncodedPixels);
}
