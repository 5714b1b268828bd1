namespace Thorax.Imaging.Codecs;

/// <summary>The fields of a PNG IHDR chunk.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="BitDepth">Bits per sample (per palette index for <see cref="PngColorType.Palette"/>).</param>
/// <param name="ColorType">Colour type.</param>
/// <param name="Interlaced">True for Adam7 interlacing.</param>
public sealed record PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel in the encoded stream (palette = 1 index).</summary>
    public int EncodedChannels => ColorType switch
    {
        PngColorType.Grey or PngColorType.Palette => 1,
        PngColorType.GreyAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };
}
