namespace Thorax.Imaging.Ops;

/// <summary>How pixels outside the image are extrapolated. Names follow OpenCV; scipy.ndimage equivalents noted.</summary>
public enum BorderMode
{
    /// <summary>A constant value (OpenCV BORDER_CONSTANT, scipy 'constant').</summary>
    Constant,
    /// <summary>Edge pixel repeated: aaa|abcd|ddd (OpenCV BORDER_REPLICATE, scipy 'nearest').</summary>
    Replicate,
    /// <summary>Mirror including the edge: cba|abcd|dcb... (OpenCV BORDER_REFLECT, scipy 'reflect').</summary>
    Reflect,
    /// <summary>Mirror excluding the edge: dcb|abcd|cba (OpenCV BORDER_REFLECT_101 / default, scipy 'mirror').</summary>
    Reflect101,
}

/// <summary>Border index arithmetic shared by the filters and warps.</summary>
internal static class Border
{
    /// <summary>Maps a possibly out-of-range coordinate into [0, length); -1 for <see cref="BorderMode.Constant"/>.</summary>
    public static int Index(int p, int length, BorderMode mode)
    {
        if ((uint)p < (uint)length) return p;
        switch (mode)
        {
            case BorderMode.Constant:
                return -1;
            case BorderMode.Replicate:
                return p < 0 ? 0 : length - 1;
            default:
                if (length == 1) return 0;
                int delta = mode == BorderMode.Reflect101 ? 1 : 0;
                do
                {
                    p = p < 0 ? -p - 1 + delta : length - 1 - (p - length) - delta;
                } while ((uint)p >= (uint)length);
                return p;
        }
    }
}
