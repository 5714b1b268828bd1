using System.Text;

namespace Thorax.Data.Siim;

/// <summary>Shared parsing, painting and encoding for the RLE dialects.</summary>
internal static class RleCore
{
    /// <summary>True for "-1" or an all-whitespace string (both mean "no foreground").</summary>
    public static bool IsEmpty(ReadOnlySpan<char> rle)
    {
        var t = rle.Trim();
        return t.Length == 0 || t.SequenceEqual("-1");
    }

    /// <summary>Parses whitespace-separated non-negative integers.</summary>
    /// <exception cref="DataFormatException">A token is not a non-negative 32-bit integer.</exception>
    public static List<int> ParseNumbers(ReadOnlySpan<char> rle)
    {
        var values = new List<int>(64);
        int i = 0, token = 0;
        while (i < rle.Length)
        {
            while (i < rle.Length && char.IsWhiteSpace(rle[i])) i++;
            if (i >= rle.Length) break;
            int s = i;
            while (i < rle.Length && !char.IsWhiteSpace(rle[i])) i++;
            token++;
            var tok = rle[s..i];
            long v = 0;
            bool ok = tok.Length is > 0 and <= 10;
            for (int k = 0; ok && k < tok.Length; k++)
            {
                int d = tok[k] - '0';
                if ((uint)d > 9) ok = false;
                else v = v * 10 + d;
            }
            if (!ok || v > int.MaxValue)
                throw new DataFormatException($"RLE value #{token} '{Shorten(tok)}' is not a non-negative integer");
            values.Add((int)v);
        }
        return values;
    }

    /// <summary>Converts start/length pairs to runs with validation.</summary>
    /// <param name="numbers">Parsed values.</param>
    /// <param name="relative">SIIM relative starts (offset from the previous run end, 0-based) or absolute 1-based starts.</param>
    /// <param name="total">Pixel count width*height.</param>
    public static RleRun[] ToRuns(List<int> numbers, bool relative, long total)
    {
        if ((numbers.Count & 1) != 0)
            throw new DataFormatException($"odd number of RLE values ({numbers.Count}); expected start/length pairs");
        var runs = new RleRun[numbers.Count / 2];
        long prevEnd = 0;
        for (int k = 0; k < runs.Length; k++)
        {
            long start = relative ? prevEnd + numbers[2 * k] : numbers[2 * k] - 1L;
            int length = numbers[2 * k + 1];
            if (!relative && numbers[2 * k] < 1)
                throw new DataFormatException($"run {k + 1}: absolute RLE start {numbers[2 * k]} must be >= 1");
            if (length < 1)
                throw new DataFormatException($"run {k + 1}: length {length} must be >= 1");
            if (start < prevEnd)
                throw new DataFormatException($"run {k + 1}: start {start + (relative ? 0 : 1)} overlaps or precedes the previous run ending at {prevEnd + (relative ? 0 : 1) - 1}; runs must be sorted and non-overlapping");
            long end = start + length;
            if (end > total)
                throw new DataFormatException($"run {k + 1}: pixels {start}..{end - 1} run past the image ({total} pixels)");
            runs[k] = new RleRun((int)start, length);
            prevEnd = end;
        }
        return runs;
    }

    /// <summary>ORs the runs into a row-major mask, setting pixels to <paramref name="value"/>.</summary>
    /// <returns>Sum of run lengths.</returns>
    public static long Paint(ReadOnlySpan<RleRun> runs, Span<byte> mask, int width, int height, RleOrder order, byte value)
    {
        long n = 0;
        foreach (var run in runs)
        {
            n += run.Length;
            if (order == RleOrder.RowMajor)
            {
                mask.Slice(run.Start, run.Length).Fill(value);
                continue;
            }
            int col = run.Start / height, row = run.Start % height;
            for (int k = 0; k < run.Length; k++)
            {
                mask[row * width + col] = value;
                if (++row == height) { row = 0; col++; }
            }
        }
        return n;
    }

    /// <summary>Extracts foreground runs (any non-zero byte) from a row-major mask, in the given pixel order.</summary>
    public static List<RleRun> Runs(ReadOnlySpan<byte> mask, int width, int height, RleOrder order)
    {
        var runs = new List<RleRun>();
        if (order == RleOrder.RowMajor)
        {
            int i = 0;
            while (i < mask.Length)
            {
                int s = mask[i..].IndexOfAnyExcept((byte)0);
                if (s < 0) break;
                s += i;
                int e = mask[s..].IndexOf((byte)0);
                e = e < 0 ? mask.Length : s + e;
                runs.Add(new RleRun(s, e - s));
                i = e;
            }
            return runs;
        }
        // Column-major: only the foreground bounding box is scanned (row-major scans find it quickly).
        if (Masks.BinaryMask.BoundingBoxOf(mask, width, height) is not { } box) return runs;
        bool fullColumn = box.RowMin == 0 && box.RowMax == height - 1;
        int start = -1;
        for (int c = box.ColMin; c <= box.ColMax; c++)
        {
            int flat = c * height + box.RowMin;
            for (int r = box.RowMin; r <= box.RowMax; r++, flat++)
            {
                bool on = mask[r * width + c] != 0;
                if (on && start < 0) start = flat;
                else if (!on && start >= 0) { runs.Add(new RleRun(start, flat - start)); start = -1; }
            }
            if (!fullColumn && start >= 0) { runs.Add(new RleRun(start, flat - start)); start = -1; }
        }
        if (start >= 0) runs.Add(new RleRun(start, (box.ColMax * height + box.RowMax + 1) - start));
        return runs;
    }

    /// <summary>Formats runs as "start length ..." (relative 0-based offsets or absolute 1-based starts); "-1" when none.</summary>
    public static string Format(IReadOnlyList<RleRun> runs, bool relative)
    {
        if (runs.Count == 0) return "-1";
        var sb = new StringBuilder(runs.Count * 10);
        int prevEnd = 0;
        for (int k = 0; k < runs.Count; k++)
        {
            if (k > 0) sb.Append(' ');
            sb.Append(relative ? runs[k].Start - prevEnd : runs[k].Start + 1).Append(' ').Append(runs[k].Length);
            prevEnd = runs[k].End;
        }
        return sb.ToString();
    }

    public static void CheckSize(int width, int height, int maskLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (maskLength != (long)width * height)
            throw new ArgumentException($"mask has {maskLength} pixels, expected {width}x{height}");
    }

    private static string Shorten(ReadOnlySpan<char> s) => s.Length <= 20 ? s.ToString() : s[..20].ToString() + "...";
}
