namespace Thorax.Data.Siim;

/// <summary>RLE dialect of a CSV column.</summary>
public enum RleFormat
{
    /// <summary>SIIM-ACR training/submission RLE: relative 0-based offsets, column-major (see <see cref="SiimRle"/>).</summary>
    SiimRelative,

    /// <summary>Standard Kaggle RLE: absolute 1-based starts (see <see cref="StandardRle"/>).</summary>
    StandardAbsolute,
}
