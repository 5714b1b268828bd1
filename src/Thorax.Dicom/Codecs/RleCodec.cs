using System.Buffers.Binary;

namespace Thorax.Dicom.Codecs;

/// <summary>
/// RLE Lossless (PS3.5 Annex G), managed: a 64-byte header of up to 15 segment offsets, one PackBits segment per
/// byte plane (most significant byte first) of each sample.
/// </summary>
public sealed class RleCodec : IPixelCodec
{
    /// <inheritdoc/>
    public string Name => "RLE Lossless (managed)";

    /// <inheritdoc/>
    public IReadOnlyList<TransferSyntax> TransferSyntaxes { get; } = [TransferSyntax.RLELossless];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        if (encoded.Length < 64) throw Corrupt($"RLE frame is {encoded.Length} bytes, shorter than its 64-byte header.");
        int bps = info.BytesPerSample, spp = info.SamplesPerPixel;
        int expectedSegments = bps * spp;
        uint segments = BinaryPrimitives.ReadUInt32LittleEndian(encoded);
        if (segments != expectedSegments)
            throw Corrupt($"RLE header lists {segments} segments; {spp} sample(s) of {info.BitsAllocated} bits need {expectedSegments}.");
        int pixels = info.Rows * info.Columns;
        var plane = new byte[pixels];
        for (int seg = 0; seg < segments; seg++)
        {
            uint start = BinaryPrimitives.ReadUInt32LittleEndian(encoded[(4 + 4 * seg)..]);
            uint end = seg + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(encoded[(8 + 4 * seg)..]) : (uint)encoded.Length;
            if (start < 64 || start > end || end > encoded.Length)
                throw Corrupt($"RLE segment {seg} spans bytes {start}..{end} of a {encoded.Length}-byte frame.");
            DecodeSegment(encoded[(int)start..(int)end], plane, seg);
            int sample = seg / bps, byteInSample = bps - 1 - seg % bps;
            int stride = spp * bps, offset = sample * bps + byteInSample;
            for (int p = 0; p < pixels; p++) destination[p * stride + offset] = plane[p];
        }
    }

    /// <summary>PackBits: n in 0..127 copies n+1 literal bytes, n in -127..-1 repeats the next byte 1-n times, -128 is a no-op.</summary>
    private static void DecodeSegment(ReadOnlySpan<byte> src, Span<byte> dst, int segment)
    {
        int i = 0, o = 0;
        while (o < dst.Length)
        {
            if (i >= src.Length) throw Corrupt($"RLE segment {segment} ends after {o} of {dst.Length} bytes.");
            sbyte n = (sbyte)src[i++];
            if (n >= 0)
            {
                int count = n + 1;
                if (i + count > src.Length) throw Corrupt($"RLE segment {segment} literal run passes the end of the segment.");
                if (o + count > dst.Length) count = dst.Length - o;
                src.Slice(i, count).CopyTo(dst[o..]);
                i += n + 1;
                o += count;
            }
            else if (n != -128)
            {
                int count = 1 - n;
                if (i >= src.Length) throw Corrupt($"RLE segment {segment} replicate run has no value byte.");
                if (o + count > dst.Length) count = dst.Length - o;
                dst.Slice(o, count).Fill(src[i++]);
                o += count;
            }
        }
    }

    private static DicomFormatException Corrupt(string problem) => new("Corrupt RLE data: " + problem, tag: DicomTag.PixelData);
}
