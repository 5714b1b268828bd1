namespace Thorax.Dicom;

/// <summary>
/// Access to the frames of a data set's Pixel Data (7FE0,0010), native or encapsulated, and their decoding to
/// stored values through a <see cref="PixelCodecRegistry"/>.
/// </summary>
public sealed class DicomPixelData
{
    private readonly DicomItem _pixelItem;
    private readonly string? _filePath;
    private List<ReadOnlyMemory<byte>[]>? _frameFragments;

    private DicomPixelData(PixelDataInfo info, DicomItem pixelItem, string? filePath)
    {
        Info = info;
        _pixelItem = pixelItem;
        _filePath = filePath;
    }

    /// <summary>Geometry and sample format of the frames.</summary>
    public PixelDataInfo Info { get; }

    /// <summary>Number of frames.</summary>
    public int FrameCount => Info.NumberOfFrames;

    /// <summary>True when the pixel data is a sequence of compressed fragments.</summary>
    public bool IsEncapsulated => _pixelItem is DicomFragmentSequence;

    /// <summary>Reads the pixel module and locates Pixel Data in <paramref name="file"/>.</summary>
    /// <exception cref="DicomFormatException">No pixel data, an inconsistent pixel module, or too little native data.</exception>
    public static DicomPixelData Create(DicomFile file) => Create(file.Dataset, file.TransferSyntax, file.FilePath);

    /// <summary>Reads the pixel module and locates Pixel Data in <paramref name="dataset"/>.</summary>
    public static DicomPixelData Create(DicomDataset dataset, TransferSyntax syntax, string? filePath = null)
    {
        if (!dataset.TryGetItem(DicomTag.PixelData, out var item))
            throw new DicomFormatException("The data set has no Pixel Data (7FE0,0010) (read header-only, or not an image).", filePath, DicomTag.PixelData);
        var info = PixelDataInfo.FromDataset(dataset, syntax, filePath);
        if (item is DicomElement native)
        {
            if (syntax.IsEncapsulated)
                throw new DicomFormatException($"Pixel Data has a defined length but {syntax.Name} requires encapsulated fragments.", filePath, DicomTag.PixelData);
            long needed = info.NativeDataBytes;
            if (native.Length < needed)
                throw new DicomFormatException(
                    $"Pixel Data holds {native.Length} bytes but {info.NumberOfFrames} frame(s) of {info.Rows}x{info.Columns}x{info.SamplesPerPixel} at {info.BitsAllocated} bits" +
                    (info.IsChromaSubsampled422 ? $" ({info.PhotometricInterpretation}: 2 stored samples per pixel)" : "") + $" need {needed}.",
                    filePath, DicomTag.PixelData);
        }
        else if (item is DicomFragmentSequence)
        {
            if (!syntax.IsEncapsulated)
                throw new DicomFormatException($"Pixel Data is encapsulated but the transfer syntax {syntax.Name} is native.", filePath, DicomTag.PixelData);
        }
        else
        {
            throw new DicomFormatException("Pixel Data is a sequence, not pixel values.", filePath, DicomTag.PixelData);
        }
        return new DicomPixelData(info, item, filePath);
    }

    /// <summary>
    /// The stored bytes of frame <paramref name="index"/>: the native slice (little endian, as the reader swapped big
    /// endian OW words), or the frame's fragments concatenated (one compressed stream). With BitsAllocated 1 frames
    /// need not start on a byte boundary: the slice is every byte that holds one of the frame's bits, so its first and
    /// last bytes may hold bits of the neighbouring frames (the frame starts at bit
    /// (index * <see cref="PixelDataInfo.NativeFrameBits"/>) mod 8 of the first byte).
    /// </summary>
    public ReadOnlyMemory<byte> GetFrameBytes(int index)
    {
        CheckIndex(index);
        if (_pixelItem is DicomElement native)
        {
            long startBit = index * Info.NativeFrameBits, endBit = startBit + Info.NativeFrameBits;
            long first = startBit / 8, last = (endBit + 7) / 8;
            return native.Data.Slice((int)first, (int)(last - first));
        }
        var parts = FrameFragments()[index];
        if (parts.Length == 1) return parts[0];
        var joined = new byte[parts.Sum(p => p.Length)];
        int at = 0;
        foreach (var p in parts)
        {
            p.Span.CopyTo(joined.AsSpan(at));
            at += p.Length;
        }
        return joined;
    }

    /// <summary>Decodes frame <paramref name="index"/> to stored values (see <see cref="PixelFrame"/>).</summary>
    /// <param name="index">0-based frame index.</param>
    /// <param name="codecs">Codecs to use; <see cref="PixelCodecRegistry.Default"/> when null.</param>
    /// <exception cref="DicomFormatException">Corrupt compressed data.</exception>
    /// <exception cref="DicomCodecException">No codec, or its native library is not installed.</exception>
    public PixelFrame DecodeFrame(int index, PixelCodecRegistry? codecs = null)
    {
        CheckIndex(index);
        var bytes = GetFrameBytes(index);
        if (_pixelItem is not DicomElement)
        {
            // The output is sized from Rows x Columns x Samples x bytes before the codec reads its own header: a corrupt
            // Rows of 60673 made a 127 KB JPEG file allocate 474 MiB (thorax fuzz). Bound it by what the compressed
            // bytes can hold.
            var limit = MaxDecodedFrameBytes(bytes.Length);
            if (Info.FrameSizeBytes > limit)
                throw new DicomFormatException(
                    $"The data set declares {Info.Columns}x{Info.Rows}x{Info.SamplesPerPixel} frames of {Info.FrameSizeBytes} bytes, more than " +
                    $"{bytes.Length} bytes of compressed data can hold (at most {limit}); Rows or Columns is corrupt.", _filePath, DicomTag.Rows);
        }
        var output = new byte[Info.FrameSizeBytes];
        if (_pixelItem is DicomElement)
        {
            // Big endian OW values were swapped to little endian words over the whole value by the reader (before any
            // frame is cut out: odd-sized 8-bit frames share words), so native bytes are in little endian order here.
            // (Until issue 18 8-bit OW frames were swapped a second time here, which dcmtk and GDCM do not do.)
            if (Info.BitsAllocated == 1) UnpackBits(bytes.Span, (int)(index * Info.NativeFrameBits % 8), output);
            else if (Info.IsChromaSubsampled422) Upsample422(bytes.Span, output);
            else if (Info.SamplesPerPixel > 1 && Info.PlanarConfiguration == 1) Interleave(bytes.Span, output);
            else bytes.Span.CopyTo(output);
        }
        else
        {
            var codec = (codecs ?? PixelCodecRegistry.Default).GetCodec(Info.TransferSyntax);
            try
            {
                codec.Decode(bytes.Span, Info, output);
            }
            catch (DicomFormatException ex)
            {
                throw ex.WithFilePath(_filePath);
            }
            catch (DicomCodecException ex)
            {
                throw ex.WithFilePath(_filePath);
            }
        }
        StoredValues.Normalize(output, Info);
        return new PixelFrame(Info, output);
    }

    /// <summary>
    /// The most bytes a compressed frame of <paramref name="compressedBytes"/> bytes may declare: 1024 per compressed
    /// byte (JPEG codes an 8x8 block in at least one bit; RLE repeats at most 128 bytes per 2), never less than 256 MiB.
    /// </summary>
    public static long MaxDecodedFrameBytes(int compressedBytes) => Math.Max(256L << 20, 1024L * compressedBytes);

    /// <summary>PS3.5 8.1.1/8.2: pixel cells are concatenated starting at the least significant bit of each byte.</summary>
    private static void UnpackBits(ReadOnlySpan<byte> packed, int firstBit, Span<byte> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            int bit = firstBit + i;
            values[i] = (byte)((packed[bit >> 3] >> (bit & 7)) & 1);
        }
    }

    /// <summary>Y1 Y2 Cb Cr per pixel pair to Y Cb Cr per pixel (chroma repeated for both pixels of the pair, no
    /// colour conversion: the same stored values a YBR_FULL frame holds).</summary>
    private void Upsample422(ReadOnlySpan<byte> stored, Span<byte> output)
    {
        int bps = Info.BytesPerSample;
        long pairs = (long)Info.Rows * Info.Columns / 2;
        for (long p = 0; p < pairs; p++)
        {
            var src = stored.Slice((int)(p * 4 * bps), 4 * bps);
            var dst = output.Slice((int)(p * 6 * bps), 6 * bps);
            var y1 = src[..bps];
            var y2 = src.Slice(bps, bps);
            var cbcr = src.Slice(2 * bps, 2 * bps);
            y1.CopyTo(dst);
            cbcr.CopyTo(dst[bps..]);
            y2.CopyTo(dst[(3 * bps)..]);
            cbcr.CopyTo(dst[(4 * bps)..]);
        }
    }

    private void Interleave(ReadOnlySpan<byte> planar, Span<byte> interleaved)
    {
        int bps = Info.BytesPerSample, spp = Info.SamplesPerPixel;
        int pixels = Info.Rows * Info.Columns;
        for (int s = 0; s < spp; s++)
            for (int p = 0; p < pixels; p++)
                planar.Slice((s * pixels + p) * bps, bps).CopyTo(interleaved.Slice((p * spp + s) * bps, bps));
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Info.NumberOfFrames)
            throw new ArgumentOutOfRangeException(nameof(index), $"Frame {index} requested; the image has {Info.NumberOfFrames}.");
    }

    private List<ReadOnlyMemory<byte>[]> FrameFragments() => _frameFragments ??= SplitFrames((DicomFragmentSequence)_pixelItem);

    private List<ReadOnlyMemory<byte>[]> SplitFrames(DicomFragmentSequence seq)
    {
        int frames = Info.NumberOfFrames;
        var frags = seq.Fragments;
        if (frags.Count == 0) throw Error("Encapsulated Pixel Data has no fragments.");
        if (frames == 1) return [[.. frags]];
        var result = new List<ReadOnlyMemory<byte>[]>(frames);
        if (seq.OffsetTable.Count > 0)
        {
            if (seq.OffsetTable.Count != frames)
                throw Error($"Basic offset table has {seq.OffsetTable.Count} entries for {frames} frames.");
            // Item offsets relative to the first fragment item (each item = 8-byte header + payload).
            var itemOffsets = new long[frags.Count + 1];
            for (int i = 0; i < frags.Count; i++) itemOffsets[i + 1] = itemOffsets[i] + 8 + frags[i].Length;
            for (int f = 0; f < frames; f++)
            {
                long start = seq.OffsetTable[f];
                long end = f + 1 < frames ? seq.OffsetTable[f + 1] : itemOffsets[^1];
                int first = Array.IndexOf(itemOffsets, start);
                if (first < 0 || first >= frags.Count || end <= start)
                    throw Error($"Basic offset table entry {f} ({start}) does not point at a fragment.");
                var list = new List<ReadOnlyMemory<byte>>();
                for (int i = first; i < frags.Count && itemOffsets[i] < end; i++) list.Add(frags[i]);
                result.Add([.. list]);
            }
            return result;
        }
        if (frags.Count == frames)
        {
            foreach (var f in frags) result.Add([f]);
            return result;
        }
        // No offset table and several fragments per frame: a new frame starts at each fragment that opens with the
        // codec's start-of-image marker (JPEG and JPEG-LS SOI FF D8; JPEG 2000 SOC + SIZ FF 4F FF 51). Only the marker
        // of this transfer syntax counts: FF 4F can occur inside JPEG-LS entropy-coded data cut at a fragment boundary.
        // RLE frames have no marker (PS3.5 A.4.2 puts each in one fragment, handled above).
        byte[]? marker = FrameStartMarker(Info.TransferSyntax);
        if (marker is null)
            throw Error($"Cannot split {frags.Count} fragments into {frames} frames without a basic offset table ({Info.TransferSyntax.Name} frames have no start marker).");
        List<ReadOnlyMemory<byte>>? current = null;
        foreach (var f in frags)
        {
            bool starts = f.Span.StartsWith(marker);
            if (starts || current is null)
            {
                if (current is not null) result.Add([.. current]);
                current = [];
            }
            current.Add(f);
        }
        result.Add([.. current!]);
        if (result.Count != frames)
            throw Error($"Cannot split {frags.Count} fragments into {frames} frames without a basic offset table.");
        return result;
    }

    /// <summary>Bytes every frame of this encapsulated syntax starts with, or null when there is no such marker.</summary>
    private static byte[]? FrameStartMarker(TransferSyntax syntax) => syntax.Uid switch
    {
        "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" or "1.2.840.10008.1.2.4.92" or "1.2.840.10008.1.2.4.93"
            or "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => [0xFF, 0x4F, 0xFF, 0x51],
        "1.2.840.10008.1.2.5" => null,
        _ => [0xFF, 0xD8],
    };

    private DicomFormatException Error(string problem) => new(problem, _filePath, DicomTag.PixelData);
}
