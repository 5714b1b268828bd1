using System.Text;

namespace Thorax.Synthetic.Internal;

/// <summary>Run-length encoders for 0/255 masks.</summary>
internal static class Rle
{
    /// <summary>SIIM-ACR encoding: pixels visited column-major (down each column), runs of non-zero pixels as
    /// "start length" pairs where each start is counted from the end of the previous run (0-based).
    /// Returns "-1" for an empty mask.</summary>
    public static string EncodeSiim(ReadOnlySpan<byte> mask, int width, int height)
    {
        var sb = new StringBuilder();
        int last = 0, pos = 0, runStart = -1;
        for (int x = 0; x < width; x++)
            for (int y = 0; y < height; y++, pos++)
            {
                bool on = mask[y * width + x] != 0;
                if (on && runStart < 0) runStart = pos;
                else if (!on && runStart >= 0)
                {
                    Append(sb, runStart - last, pos - runStart);
                    last = pos;
                    runStart = -1;
                }
            }
        if (runStart >= 0) Append(sb, runStart - last, pos - runStart);
        return sb.Length == 0 ? "-1" : sb.ToString();
    }

    /// <summary>Standard (Kaggle) encoding: row-major, absolute 1-based starts, "start length" pairs.
    /// Returns "-1" for an empty mask.</summary>
    public static string EncodeStandard(ReadOnlySpan<byte> mask)
    {
        var sb = new StringBuilder();
        int runStart = -1;
        for (int i = 0; i < mask.Length; i++)
        {
            bool on = mask[i] != 0;
            if (on && runStart < 0) runStart = i;
            else if (!on && runStart >= 0)
            {
                Append(sb, runStart + 1, i - runStart);
                runStart = -1;
            }
        }
        if (runStart >= 0) Append(sb, runStart + 1, mask.Length - runStart);
        return sb.Length == 0 ? "-1" : sb.ToString();
    }

    private static void Append(StringBuilder sb, int start, int length)
    {
        if (sb.Length > 0) sb.Append(' ');
        sb.Append(start).Append(' ').Append(length);
    }
}
