namespace Thorax.Data.Siim;

/// <summary>How a flat RLE pixel index maps to (row, column).</summary>
public enum RleOrder
{
    /// <summary>Index runs along rows: index = row * width + col (numpy C order; CANDID-PTX / common Kaggle <c>rle_decode</c>).</summary>
    RowMajor,

    /// <summary>Index runs down columns: index = col * height + row (Fortran order; SIIM-ACR training RLE).</summary>
    ColumnMajor,
}
