namespace Thorax.Imaging.Codecs;

/// <summary>How the PNG encoder chooses the row filter (PNG filter method 0) applied before deflate.</summary>
public enum PngFilterStrategy
{
    /// <summary>Try all five filters on every row and keep the one with the smallest sum of absolute filtered
    /// bytes (the classic heuristic; best size on photographic content, about five filter passes per row).</summary>
    Adaptive,
    /// <summary>Filter type 0 for every row: raw bytes. Cheapest; good for masks and flat images.</summary>
    None,
    /// <summary>Filter type 1 for every row: difference with the pixel to the left.</summary>
    Sub,
    /// <summary>Filter type 2 for every row: difference with the pixel above. A good single choice for smooth
    /// greyscale images such as radiographs.</summary>
    Up,
    /// <summary>Filter type 3 for every row: difference with the mean of the left and upper pixels.</summary>
    Average,
    /// <summary>Filter type 4 for every row: Paeth predictor.</summary>
    Paeth,
}
