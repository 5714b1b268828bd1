using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Thorax.Synthetic.Tests;

internal static class TestUtil
{
    /// <summary>Small, fast options for tests.</summary>
    public static SynthOptions Small(int count = 4, long seed = 7, int size = 192) => new()
    {
        Count = count, Seed = seed, ImageSize = size, PneumothoraxRate = 0.5, DeviceRate = 0.3,
    };

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "thorax-synth-tests", Guid.NewGuid().ToString("N"));
        return d;
    }

    /// <summary>Decodes an 8- or 16-bit greyscale, non-interlaced PNG (all five filter types).</summary>
    public static (int Width, int Height, int BitDepth, ushort[] Pixels) DecodePng(byte[] png)
    {
        int pos = 8, width = 0, height = 0, depth = 0;
        using var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, len);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                depth = data[8];
                Assert.Equal(0, data[9]);
            }
            else if (type == "IDAT") idat.Write(data);
            pos += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var r = raw.ToArray();
        int bpp = depth / 8, stride = width * bpp;
        var cur = new byte[stride];
        var prev = new byte[stride];
        var px = new ushort[width * height];
        for (int y = 0; y < height; y++)
        {
            int f = r[y * (stride + 1)];
            Array.Copy(r, y * (stride + 1) + 1, cur, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int pred = f switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    _ => Paeth(a, b, c),
                };
                cur[i] = (byte)(cur[i] + pred);
            }
            for (int x = 0; x < width; x++)
                px[y * width + x] = depth == 8 ? cur[x] : (ushort)(cur[2 * x] << 8 | cur[2 * x + 1]);
            (cur, prev) = (prev, cur);
        }
        return (width, height, depth, px);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>SHA-256 of every file under a folder, keyed by relative path.</summary>
    public static SortedDictionary<string, string> HashTree(string root)
    {
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            d[Path.GetRelativePath(root, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return d;
    }

    /// <summary>Counts 4-connected components of non-zero pixels.</summary>
    public static int Components(byte[] mask, int w, int h)
    {
        var seen = new bool[mask.Length];
        int n = 0;
        var stack = new Stack<int>();
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0 || seen[i]) continue;
            n++;
            seen[i] = true;
            stack.Push(i);
            while (stack.Count > 0)
            {
                int p = stack.Pop(), x = p % w, y = p / w;
                foreach (int q in new[] { x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1 })
                    if (q >= 0 && mask[q] != 0 && !seen[q]) { seen[q] = true; stack.Push(q); }
            }
        }
        return n;
    }

    /// <summary>Reads an RFC 4180 CSV file (quoted fields may hold commas, quotes and newlines); the header row
    /// is skipped.</summary>
    public static List<string[]> ReadCsvRows(string path)
    {
        string text = File.ReadAllText(path);
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r')); field.Clear();
                rows.Add([.. fields]); fields.Clear();
            }
            else field.Append(c);
        }
        if (field.Length > 0 || fields.Count > 0) { fields.Add(field.ToString()); rows.Add([.. fields]); }
        return rows.Skip(1).ToList();
    }

    /// <summary>Finds ../shared/data by walking up from the test binaries.</summary>
    public static string? SharedData()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
            dir = dir.Parent;
        }
        return null;
    }
}
