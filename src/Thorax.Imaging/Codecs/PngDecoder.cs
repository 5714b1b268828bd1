using System.Buffers.Binary;
using System.IO.Compression;

namespace Thorax.Imaging.Codecs;

/// <summary>PNG decoding: chunk walk with CRC checks, zlib inflate, unfiltering, Adam7 and sample expansion.</summary>
internal static class PngDecoder
{
    internal static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    // Adam7 passes: x start, y start, x step, y step.
    private static readonly int[] PassX0 = [0, 4, 0, 2, 0, 1, 0];
    private static readonly int[] PassY0 = [0, 0, 4, 0, 2, 0, 1];
    private static readonly int[] PassDx = [8, 8, 4, 4, 2, 2, 1];
    private static readonly int[] PassDy = [8, 8, 8, 4, 4, 2, 2];

    public static PngImage Decode(ReadOnlySpan<byte> data, string? file)
    {
        if (data.Length < 8 || !data[..8].SequenceEqual(Signature))
            throw new ImageFormatException("not a PNG file (bad signature)", file, 0, "signature");

        PngHeader? header = null;
        byte[]? palette = null;
        byte[]? trns = null;
        using var idat = new MemoryStream();
        bool sawEnd = false;
        int pos = 8;
        while (pos < data.Length)
        {
            if (data.Length - pos < 12)
                throw new ImageFormatException("truncated chunk header", file, pos, "chunk");
            uint len = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var typeBytes = data.Slice(pos + 4, 4);
            string type = System.Text.Encoding.ASCII.GetString(typeBytes);
            if (len > int.MaxValue || (long)pos + 12 + len > data.Length)
                throw new ImageFormatException($"chunk {type} of length {len} runs past the end of the data (file truncated?)",
                    file, pos, type);
            var body = data.Slice(pos + 8, (int)len);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)len)..]);
            uint actual = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), body) ^ 0xFFFFFFFFu;
            if (stored != actual)
                throw new ImageFormatException($"CRC mismatch in chunk {type} (stored 0x{stored:X8}, computed 0x{actual:X8})",
                    file, pos, type);

            switch (type)
            {
                case "IHDR":
                    header = ParseHeader(body, file, pos);
                    break;
                case "PLTE":
                    if (len % 3 != 0 || len == 0 || len > 768)
                        throw new ImageFormatException($"palette length {len} is not a multiple of 3 in 3..768", file, pos, "PLTE");
                    palette = body.ToArray();
                    break;
                case "tRNS":
                    trns = body.ToArray();
                    break;
                case "IDAT":
                    if (header is null) throw new ImageFormatException("IDAT before IHDR", file, pos, "IDAT");
                    idat.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    if ((typeBytes[0] & 0x20) == 0)
                        throw new ImageFormatException($"unknown critical chunk {type}", file, pos, type);
                    break;
            }
            pos += 12 + (int)len;
            if (sawEnd) break;
        }

        if (header is null) throw new ImageFormatException("missing IHDR chunk", file, 8, "IHDR");
        if (idat.Length == 0) throw new ImageFormatException("no IDAT data (file truncated?)", file, pos, "IDAT");
        if (header.ColorType == PngColorType.Palette && palette is null)
            throw new ImageFormatException("palette image without PLTE chunk", file, null, "PLTE");

        int channels = header.EncodedChannels;
        int bitsPerPixel = channels * header.BitDepth;
        long rawSize = RawSize(header, bitsPerPixel);
        byte[] raw = Inflate(idat, rawSize, file);

        int bpp = Math.Max(1, bitsPerPixel / 8);
        int outChannels = header.ColorType == PngColorType.Palette ? (trns is null ? 3 : 4) : channels;
        if (header.BitDepth == 16)
        {
            var img = new Image<ushort>(header.Width, header.Height, outChannels);
            ForEachRow(header, raw, bpp, bitsPerPixel, file, (row, y, x0, dx, w) => Store16(row, img, y, x0, dx, w));
            return new PngImage(header, null, img);
        }
        else
        {
            var img = new Image<byte>(header.Width, header.Height, outChannels);
            var pal = header.ColorType == PngColorType.Palette ? BuildPalette(palette!, trns, outChannels) : null;
            ForEachRow(header, raw, bpp, bitsPerPixel, file,
                (row, y, x0, dx, w) => Store8(row, img, header, pal, y, x0, dx, w));
            return new PngImage(header, img, null);
        }
    }

    private static PngHeader ParseHeader(ReadOnlySpan<byte> b, string? file, int pos)
    {
        if (b.Length != 13) throw new ImageFormatException($"IHDR length {b.Length} != 13", file, pos, "IHDR");
        uint w = BinaryPrimitives.ReadUInt32BigEndian(b);
        uint h = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        int depth = b[8];
        int ct = b[9];
        if (w == 0 || w > int.MaxValue) throw new ImageFormatException($"invalid width {w}", file, pos + 8, "IHDR.Width");
        if (h == 0 || h > int.MaxValue) throw new ImageFormatException($"invalid height {h}", file, pos + 12, "IHDR.Height");
        bool ok = ct switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!ok)
            throw new ImageFormatException($"invalid colour type {ct} / bit depth {depth} combination", file, pos + 16,
                "IHDR.ColorType/BitDepth");
        if (b[10] != 0) throw new ImageFormatException($"unknown compression method {b[10]}", file, pos + 18, "IHDR.Compression");
        if (b[11] != 0) throw new ImageFormatException($"unknown filter method {b[11]}", file, pos + 19, "IHDR.Filter");
        if (b[12] > 1) throw new ImageFormatException($"unknown interlace method {b[12]}", file, pos + 20, "IHDR.Interlace");
        if ((long)w * h > Array.MaxLength / 8)
            throw new ImageFormatException($"image {w}x{h} is too large", file, pos + 8, "IHDR");
        return new PngHeader((int)w, (int)h, depth, (PngColorType)ct, b[12] == 1);
    }

    private static long RawSize(PngHeader h, int bitsPerPixel)
    {
        if (!h.Interlaced) return (long)h.Height * (1 + ((long)h.Width * bitsPerPixel + 7) / 8);
        long total = 0;
        for (int p = 0; p < 7; p++)
        {
            long pw = PassExtent(h.Width, PassX0[p], PassDx[p]);
            long ph = PassExtent(h.Height, PassY0[p], PassDy[p]);
            if (pw > 0 && ph > 0) total += ph * (1 + (pw * bitsPerPixel + 7) / 8);
        }
        return total;
    }

    private static int PassExtent(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;

    private static byte[] Inflate(MemoryStream idat, long rawSize, string? file)
    {
        if (rawSize > Array.MaxLength) throw new ImageFormatException("decoded image too large", file, null, "IDAT");
        var raw = new byte[rawSize];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress, leaveOpen: true);
            int got = 0;
            while (got < raw.Length)
            {
                int n = z.Read(raw, got, raw.Length - got);
                if (n == 0) break;
                got += n;
            }
            if (got < raw.Length)
                throw new ImageFormatException($"image data ends after {got} of {raw.Length} bytes (file truncated?)",
                    file, null, "IDAT");
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException($"corrupt zlib stream: {e.Message}", file, null, "IDAT", e);
        }
        return raw;
    }

    private delegate void RowSink(ReadOnlySpan<byte> row, int y, int x0, int dx, int width);

    private static void ForEachRow(PngHeader h, byte[] raw, int bpp, int bitsPerPixel, string? file, RowSink sink)
    {
        int offset = 0;
        int passes = h.Interlaced ? 7 : 1;
        for (int p = 0; p < passes; p++)
        {
            int x0 = h.Interlaced ? PassX0[p] : 0, y0 = h.Interlaced ? PassY0[p] : 0;
            int dx = h.Interlaced ? PassDx[p] : 1, dy = h.Interlaced ? PassDy[p] : 1;
            int pw = PassExtent(h.Width, x0, dx), ph = PassExtent(h.Height, y0, dy);
            if (pw == 0 || ph == 0) continue;
            int stride = (int)(((long)pw * bitsPerPixel + 7) / 8);
            var prev = new byte[stride];
            var cur = new byte[stride];
            for (int r = 0; r < ph; r++)
            {
                byte filter = raw[offset];
                raw.AsSpan(offset + 1, stride).CopyTo(cur);
                if (filter > 4)
                    throw new ImageFormatException($"invalid filter type {filter} on row {y0 + r * dy}", file, null, "IDAT.filter");
                Unfilter(filter, cur, prev, bpp);
                sink(cur, y0 + r * dy, x0, dx, pw);
                (prev, cur) = (cur, prev);
                offset += stride + 1;
            }
        }
    }

    /// <summary>Reverses one PNG filter in place; <paramref name="prev"/> is the already-unfiltered previous row.</summary>
    internal static void Unfilter(byte filter, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp)
    {
        int n = cur.Length;
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp];
                break;
            case 2:
                for (int i = 0; i < n; i++) cur[i] += prev[i];
                break;
            case 3:
                for (int i = 0; i < bpp && i < n; i++) cur[i] += (byte)(prev[i] >> 1);
                for (int i = bpp; i < n; i++) cur[i] += (byte)((cur[i - bpp] + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < bpp && i < n; i++) cur[i] += prev[i];
                for (int i = bpp; i < n; i++) cur[i] += Paeth(cur[i - bpp], prev[i], prev[i - bpp]);
                break;
        }
    }

    internal static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    private static byte[] BuildPalette(byte[] plte, byte[]? trns, int outChannels)
    {
        var pal = new byte[256 * outChannels];
        int entries = plte.Length / 3;
        for (int i = 0; i < 256; i++)
        {
            // Indices beyond the palette decode as black (opaque), like libpng/PIL.
            if (i < entries)
            {
                pal[i * outChannels] = plte[3 * i];
                pal[i * outChannels + 1] = plte[3 * i + 1];
                pal[i * outChannels + 2] = plte[3 * i + 2];
            }
            if (outChannels == 4) pal[i * 4 + 3] = trns is not null && i < trns.Length ? trns[i] : (byte)255;
        }
        return pal;
    }

    private static void Store8(ReadOnlySpan<byte> row, Image<byte> img, PngHeader h, byte[]? pal, int y, int x0, int dx, int w)
    {
        var dst = img.Row(y);
        int depth = h.BitDepth;
        if (pal is not null)
        {
            int oc = img.Channels;
            for (int i = 0; i < w; i++)
            {
                int idx = depth == 8 ? row[i] : (row[i * depth >> 3] >> (8 - depth - (i * depth & 7))) & ((1 << depth) - 1);
                pal.AsSpan(idx * oc, oc).CopyTo(dst.Slice((x0 + i * dx) * oc, oc));
            }
            return;
        }
        if (depth < 8)
        {
            int scale = 255 / ((1 << depth) - 1);
            int mask = (1 << depth) - 1;
            for (int i = 0; i < w; i++)
                dst[x0 + i * dx] = (byte)(((row[i * depth >> 3] >> (8 - depth - (i * depth & 7))) & mask) * scale);
            return;
        }
        int c = img.Channels;
        if (dx == 1)
        {
            row[..(w * c)].CopyTo(dst);
            return;
        }
        for (int i = 0; i < w; i++)
            row.Slice(i * c, c).CopyTo(dst.Slice((x0 + i * dx) * c, c));
    }

    private static void Store16(ReadOnlySpan<byte> row, Image<ushort> img, int y, int x0, int dx, int w)
    {
        var dst = img.Row(y);
        int c = img.Channels;
        for (int i = 0; i < w; i++)
        {
            int d = (x0 + i * dx) * c, s = i * c * 2;
            for (int k = 0; k < c; k++) dst[d + k] = (ushort)(row[s + 2 * k] << 8 | row[s + 2 * k + 1]);
        }
    }
}
