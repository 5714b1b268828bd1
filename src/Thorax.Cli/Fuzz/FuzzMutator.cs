using System.Buffers.Binary;
using System.Text;

namespace Thorax.Cli.Fuzz;

/// <summary>
/// Mutates seed inputs: bit flips, interesting byte values, truncation, length-field inflation (4- and 2-byte values
/// that look like lengths of what follows, set to 2 GiB, 4 GiB - 1 or other extremes), splicing two seeds, chunk
/// duplication/deletion; for text formats also line and field mutations (extreme numbers, empty fields, quotes).
/// Deterministic for a given <see cref="Random"/>.
/// </summary>
public sealed class FuzzMutator
{
    private static readonly uint[] Inflated32 = [0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x7FFFFFF0, 0xFFFFFFFE, 0x10000000, 0x40000000];
    private static readonly ushort[] Inflated16 = [0xFFFF, 0x8000, 0x7FFF, 0xFFFE, 0x4000];
    private static readonly byte[] Interesting8 = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x20, 0x2C, 0x22, 0x0A];
    private static readonly string[] TextValues =
    [
        "", "-1", "0", "NaN", "inf", "-inf", "1e309", "-1e309", "99999999999999999999", "2147483648", "-2147483649",
        "4294967296", "1.5", "\"", "\"\"", ",", "\n", "\r\n", "abc", " 1 ", "1 2 3", "0x10", "1,2", "\u00e9", "\u0000",
        "1 1 1 1", "1 -5", "5 99999999", "2147483647 1", "1 2147483647", "-", "1e5 2",
    ];

    /// <summary>Offsets of 4-byte little/big-endian values that could be lengths of what follows (one list per seed).</summary>
    public static int[] LengthCandidates(byte[] data)
    {
        var list = new List<int>();
        for (var i = 0; i + 4 <= data.Length && list.Count < 4096; i++)
        {
            var le = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(i));
            var be = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(i));
            var rest = (uint)(data.Length - i - 4);
            if ((le >= 2 && le <= rest) || (be >= 2 && be <= rest)) list.Add(i);
        }
        return list.ToArray();
    }

    /// <summary>
    /// Offsets of dimension and count fields a reader sizes its buffers from: JPEG SOF height/width (16-bit big-endian),
    /// PNG IHDR width/height (32-bit big-endian), DICOM Rows, Columns, Bits Allocated and Samples per Pixel values
    /// (16-bit little-endian, explicit or implicit VR). Encoded as offset * 4 + kind (0 u16 LE, 1 u16 BE, 2 u32 LE, 3 u32 BE).
    /// </summary>
    public static int[] FieldHints(byte[] d)
    {
        var list = new List<int>();
        for (var i = 0; i + 9 < d.Length && list.Count < 256; i++)
        {
            if (d[i] == 0xFF && d[i + 1] is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                list.Add((i + 5) * 4 + 1);
                list.Add((i + 7) * 4 + 1);
            }
            if (d[i] == (byte)'I' && d[i + 1] == (byte)'H' && d[i + 2] == (byte)'D' && d[i + 3] == (byte)'R' && i + 12 <= d.Length)
            {
                list.Add((i + 4) * 4 + 3);
                list.Add((i + 8) * 4 + 3);
            }
            if (d[i] == 0x28 && d[i + 1] == 0x00 && d[i + 3] == 0x00 && d[i + 2] is 0x10 or 0x11 or 0x02)
            {
                // (0028,0010) Rows, (0028,0011) Columns, (0028,0002) Samples per Pixel; Bits Allocated (0028,0100) below
                // The value follows the 8-byte element header in both explicit VR (tag, "US", 2-byte length) and
                // implicit VR (tag, 4-byte length) little-endian encodings.
                list.Add((i + 8) * 4);
            }
            if (d[i] == 0x28 && d[i + 1] == 0x00 && d[i + 2] == 0x00 && d[i + 3] == 0x01 && i + 10 <= d.Length)
                list.Add((i + 8) * 4);
        }
        return list.ToArray();
    }

    private static readonly ushort[] Dimension16 = [0xFFFF, 0x8000, 0x7FFF, 0x4000, 0x2000, 0x1000, 0];
    private static readonly uint[] Dimension32 = [0x7FFFFFFF, 0xFFFFFFFF, 0x10000, 0x40000, 0x100000, 0];

    private static byte[] InflateField(Random rng, byte[] src, int[] hints)
    {
        // Hints come in pairs (height and width, rows and columns): half the time both of a pair get the same value,
        // so the product a reader allocates from is large, not just one factor.
        var k = rng.Next(hints.Length);
        var both = rng.Next(2) == 0 && (k ^ 1) < hints.Length;
        var d = (byte[])src.Clone();
        var pick = rng.Next(Dimension16.Length);
        foreach (var h in both ? new[] { hints[k], hints[k ^ 1] } : [hints[k]])
        {
            int at = h / 4, width = (h & 2) != 0 ? 4 : 2, bigEndian = h & 1;
            if (at + width > d.Length) continue;
            if (width == 2)
            {
                var v = Dimension16[pick % Dimension16.Length];
                if (bigEndian == 1) BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(at), v);
                else BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(at), v);
            }
            else
            {
                var v = Dimension32[pick % Dimension32.Length];
                if (bigEndian == 1) BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(at), v);
                else BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at), v);
            }
        }
        return d;
    }

    /// <summary>One mutated input from <paramref name="seed"/> (and <paramref name="other"/> for splices).</summary>
    public byte[] Mutate(Random rng, byte[] seed, int[] lengthOffsets, byte[] other, bool text, int[]? fieldHints = null)
    {
        var data = seed;
        if (fieldHints is { Length: > 0 } && rng.Next(4) == 0)
        {
            data = InflateField(rng, data, fieldHints);
            if (rng.Next(2) == 0) return data;
        }
        var rounds = 1 + (rng.Next(4) == 0 ? rng.Next(3) : 0);
        for (var r = 0; r < rounds; r++)
        {
            var pick = rng.Next(text ? 10 : 8);
            data = pick switch
            {
                0 => BitFlips(rng, data),
                1 => Interesting(rng, data),
                2 => Truncate(rng, data),
                3 or 4 => Inflate(rng, data, r == 0 ? lengthOffsets : []),
                5 => Splice(rng, data, other),
                6 => Chunk(rng, data),
                7 => Inflate16(rng, data),
                _ => TextMutation(rng, data),
            };
        }
        return data;
    }

    private static byte[] BitFlips(Random rng, byte[] src)
    {
        if (src.Length == 0) return src;
        var d = (byte[])src.Clone();
        var n = 1 + rng.Next(8);
        for (var i = 0; i < n; i++) d[rng.Next(d.Length)] ^= (byte)(1 << rng.Next(8));
        return d;
    }

    private static byte[] Interesting(Random rng, byte[] src)
    {
        if (src.Length == 0) return src;
        var d = (byte[])src.Clone();
        var n = 1 + rng.Next(4);
        for (var i = 0; i < n; i++) d[rng.Next(d.Length)] = Interesting8[rng.Next(Interesting8.Length)];
        return d;
    }

    private static byte[] Truncate(Random rng, byte[] src) =>
        src.Length == 0 ? src : src[..rng.Next(src.Length)];

    private static byte[] Inflate(Random rng, byte[] src, int[] offsets)
    {
        if (src.Length < 4) return src;
        var d = (byte[])src.Clone();
        var at = offsets.Length > 0 && rng.Next(4) != 0 ? offsets[rng.Next(offsets.Length)] : rng.Next(d.Length - 3);
        var v = rng.Next(3) == 0 ? (uint)(src.Length - at + rng.Next(1, 64)) : Inflated32[rng.Next(Inflated32.Length)];
        if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(at), v);
        return d;
    }

    private static byte[] Inflate16(Random rng, byte[] src)
    {
        if (src.Length < 2) return src;
        var d = (byte[])src.Clone();
        var at = rng.Next(d.Length - 1);
        var v = Inflated16[rng.Next(Inflated16.Length)];
        if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(at), v);
        return d;
    }

    private static byte[] Splice(Random rng, byte[] a, byte[] b)
    {
        if (a.Length == 0 || b.Length == 0) return a;
        var cutA = rng.Next(a.Length);
        var cutB = rng.Next(b.Length);
        var d = new byte[cutA + (b.Length - cutB)];
        a.AsSpan(0, cutA).CopyTo(d);
        b.AsSpan(cutB).CopyTo(d.AsSpan(cutA));
        return d;
    }

    private static byte[] Chunk(Random rng, byte[] src)
    {
        if (src.Length < 2) return src;
        var start = rng.Next(src.Length);
        var len = Math.Min(src.Length - start, 1 + rng.Next(Math.Min(256, src.Length)));
        var list = new List<byte>(src);
        switch (rng.Next(3))
        {
            case 0: list.RemoveRange(start, len); break;
            case 1: list.InsertRange(start, src.AsSpan(start, len).ToArray()); break;
            default:
                var junk = new byte[len];
                rng.NextBytes(junk);
                list.InsertRange(start, junk);
                break;
        }
        return list.ToArray();
    }

    private static byte[] TextMutation(Random rng, byte[] src)
    {
        var text = Encoding.UTF8.GetString(src);
        var lines = text.Split('\n').ToList();
        if (lines.Count == 0) return src;
        switch (rng.Next(4))
        {
            case 0:
                lines.RemoveAt(rng.Next(lines.Count));
                break;
            case 1:
                var l = rng.Next(lines.Count);
                lines.Insert(l, lines[l]);
                break;
            default:
                var li = rng.Next(lines.Count);
                var fields = lines[li].Split(',');
                fields[rng.Next(fields.Length)] = TextValues[rng.Next(TextValues.Length)];
                if (rng.Next(8) == 0) Array.Resize(ref fields, Math.Max(0, fields.Length - 1 - rng.Next(2)));
                lines[li] = string.Join(',', fields);
                break;
        }
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }
}
