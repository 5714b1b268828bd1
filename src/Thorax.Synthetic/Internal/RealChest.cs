using Thorax.Data.Datasets;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Synthetic.Internal;

/// <summary>A real background prepared for one output size: brightness in [0, 1] (MONOCHROME2) and the two lung
/// masks (0/255), padded to a square (centred, black) and resized to <see cref="Size"/> (anti-aliased when
/// shrinking, bilinear when enlarging; masks by nearest neighbour).</summary>
internal sealed class RealChest
{
    public required int Size { get; init; }
    public required float[] Image { get; init; }
    public required byte[] RightLung { get; init; }
    public required byte[] LeftLung { get; init; }

    /// <exception cref="BackgroundSetException">The mask is no longer two lungs at this size (names the file).</exception>
    public static RealChest Prepare(BackgroundImage bg, int size)
    {
        var img = ImageFiles.ReadGrey(bg.ImagePath);
        var mask = ImageFiles.ReadGrey(bg.MaskPath);
        if (img.Width != mask.Width || img.Height != mask.Height)
            throw new BackgroundSetException($"{bg.MaskPath}: mask is {mask.Width}x{mask.Height} but its image is {img.Width}x{img.Height}");
        var square = PadSquare(new Image<float>(img.Width, img.Height, 1, img.Pixels));
        var sm = PadSquare(new Image<float>(mask.Width, mask.Height, 1, mask.Pixels));
        int n = square.Width;
        var resized = n == size ? square
            : n > size ? Resampling.ResizeAntiAliased(square, size, size)
            : Resampling.Resize(square, size, size, Interpolation.Linear);
        var m = n == size ? sm : Resampling.Resize(sm, size, size, Interpolation.Nearest);
        var bin = BackgroundSet.Binarize(new GreyImage(size, size, m.Data));
        string? problem = BackgroundSet.CheckLungs(bin, out var right, out var left);
        if (problem is not null) throw new BackgroundSetException($"{bg.MaskPath}: at {size} px, {problem}");
        var px = resized.Data;
        for (int i = 0; i < px.Length; i++) px[i] = Math.Clamp(px[i], 0f, 1f);
        return new RealChest { Size = size, Image = px, RightLung = right.Data, LeftLung = left.Data };
    }

    private static Image<float> PadSquare(Image<float> src)
    {
        if (src.Width == src.Height) return src;
        int n = Math.Max(src.Width, src.Height);
        var dst = new Image<float>(n, n);
        int ox = (n - src.Width) / 2, oy = (n - src.Height) / 2;
        for (int y = 0; y < src.Height; y++)
            src.Row(y).CopyTo(dst.Row(y + oy).Slice(ox, src.Width));
        return dst;
    }
}
