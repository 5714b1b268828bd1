namespace Thorax.Dicom.Codecs;

/// <summary>
/// JPEG Lossless, non-hierarchical (process 14, ITU T.81 Annex H), managed: Huffman coding, predictors 1-7, point
/// transform, restart intervals, 2-16 bit precision, 1 or 3 interleaved components with sampling factors 1.
/// Serves both 1.2.840.10008.1.2.4.70 (selection value 1) and 1.2.840.10008.1.2.4.57 (any selection value).
/// </summary>
public sealed class JpegLosslessCodec : IPixelCodec
{
    /// <inheritdoc/>
    public string Name => "JPEG Lossless process 14 (managed)";

    /// <inheritdoc/>
    public IReadOnlyList<TransferSyntax> TransferSyntaxes { get; } = [TransferSyntax.JPEGLosslessSV1, TransferSyntax.JPEGLossless];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        if (encoded.Length < 4 || encoded[0] != 0xFF || encoded[1] != 0xD8) throw Corrupt("missing SOI marker");
        var dc = new HuffmanTable?[4];
        int precision = 0, width = 0, height = 0, restartInterval = 0;
        var compIds = Array.Empty<int>();
        int pos = 2;
        while (true)
        {
            if (pos + 4 > encoded.Length) throw Corrupt("stream ends before the scan");
            if (encoded[pos] != 0xFF) throw Corrupt($"expected a marker at byte {pos}");
            int marker = encoded[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            int len = (encoded[pos + 2] << 8) | encoded[pos + 3];
            if (len < 2 || pos + 2 + len > encoded.Length) throw Corrupt($"segment length {len} at byte {pos} runs past the end");
            var seg = encoded.Slice(pos + 4, len - 2);
            switch (marker)
            {
                case 0xC3:
                    if (seg.Length < 6) throw Corrupt("short SOF3 segment");
                    precision = seg[0];
                    height = (seg[1] << 8) | seg[2];
                    width = (seg[3] << 8) | seg[4];
                    int nf = seg[5];
                    if (seg.Length < 6 + 3 * nf || nf < 1) throw Corrupt("short SOF3 component list");
                    compIds = new int[nf];
                    for (int c = 0; c < nf; c++)
                    {
                        compIds[c] = seg[6 + 3 * c];
                        if (seg[7 + 3 * c] != 0x11)
                            throw new DicomCodecException("JPEG lossless with subsampled components is not supported.", info.TransferSyntax);
                    }
                    break;
                case 0xC4:
                    for (int p = 0; p < seg.Length;)
                    {
                        if (p + 17 > seg.Length) throw Corrupt("short DHT segment");
                        int tc = seg[p] >> 4, th = seg[p] & 15;
                        var counts = seg.Slice(p + 1, 16);
                        int total = 0;
                        foreach (var n in counts) total += n;
                        if (th > 3 || p + 17 + total > seg.Length || total > 256) throw Corrupt("bad DHT segment");
                        if (tc == 0) dc[th] = new HuffmanTable(counts, seg.Slice(p + 17, total));
                        p += 17 + total;
                    }
                    break;
                case 0xDD:
                    if (seg.Length < 2) throw Corrupt("short DRI segment");
                    restartInterval = (seg[0] << 8) | seg[1];
                    break;
                case 0xDA:
                    if (precision == 0) throw Corrupt("SOS before SOF3");
                    DecodeScan(encoded, pos + 2 + len, seg, dc, compIds, precision, width, height, restartInterval, info, destination);
                    return;
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    throw new DicomCodecException($"JPEG process SOF{marker - 0xC0} is not lossless process 14 (SOF3).", info.TransferSyntax);
                case 0xD9:
                    throw Corrupt("EOI before any scan");
            }
            pos += 2 + len;
        }
    }

    private static void DecodeScan(ReadOnlySpan<byte> data, int start, ReadOnlySpan<byte> sos, HuffmanTable?[] dc, int[] compIds,
        int precision, int width, int height, int restartInterval, PixelDataInfo info, Span<byte> destination)
    {
        if (precision < 2 || precision > 16) throw Corrupt($"precision {precision} outside 2..16");
        if (width != info.Columns || height != info.Rows || compIds.Length != info.SamplesPerPixel)
            throw new DicomFormatException(
                $"JPEG lossless frame is {width}x{height}x{compIds.Length} but the data set says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}.",
                tag: DicomTag.PixelData);
        if (precision > 8 * info.BytesPerSample)
            throw new DicomFormatException($"JPEG precision {precision} exceeds BitsAllocated {info.BitsAllocated}.", tag: DicomTag.BitsAllocated);
        int ns = sos.Length > 0 ? sos[0] : 0;
        if (ns != compIds.Length || sos.Length < 1 + 2 * ns + 3)
            throw new DicomCodecException("JPEG lossless with non-interleaved (multi-scan) components is not supported.", info.TransferSyntax);
        var tables = new HuffmanTable[ns];
        for (int i = 0; i < ns; i++)
        {
            int td = sos[2 + 2 * i] >> 4;
            tables[i] = (td < 4 ? dc[td] : null) ?? throw Corrupt($"scan uses undefined Huffman table {td}");
        }
        int predictor = sos[1 + 2 * ns];
        int pt = sos[3 + 2 * ns] & 15;
        if (predictor < 1 || predictor > 7) throw Corrupt($"invalid predictor (selection value) {predictor}");
        if (pt >= precision) throw Corrupt($"point transform {pt} not below precision {precision}");

        int bps = info.BytesPerSample;
        int mask = (1 << precision) - 1;
        int initial = 1 << (precision - pt - 1);
        var prev = new int[width * ns];
        var cur = new int[width * ns];
        if (restartInterval % width != 0)
            throw new DicomCodecException($"JPEG lossless restart interval {restartInterval} is not a whole number of rows of {width}.", info.TransferSyntax);
        int rowsPerInterval = restartInterval / width;
        var bits = new JpegBitReader(data, start);
        for (int y = 0; y < height; y++)
        {
            // The first line of the image and of each restart interval predicts from the left only (H.1.2.1).
            bool firstLine = y == 0;
            if (rowsPerInterval > 0 && y > 0 && y % rowsPerInterval == 0)
            {
                if (!bits.Restart()) throw Corrupt("missing restart marker");
                firstLine = true;
            }
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < ns; c++)
                {
                    int t = tables[c].Decode(ref bits);
                    int diff;
                    if (t == 0) diff = 0;
                    else if (t == 16) diff = 32768;
                    else if (t > 16) throw Corrupt($"difference category {t} > 16");
                    else
                    {
                        diff = bits.Read(t);
                        if (diff < 1 << (t - 1)) diff -= (1 << t) - 1;
                    }
                    int i = x * ns + c;
                    int pred;
                    if (firstLine)
                        pred = x == 0 ? initial : cur[i - ns];
                    else if (x == 0)
                        pred = prev[i];
                    else
                    {
                        int ra = cur[i - ns], rb = prev[i], rc = prev[i - ns];
                        pred = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }
                    cur[i] = (pred + diff) & 0xFFFF;
                }
            }
            if (bits.Overrun) throw Corrupt("entropy-coded data ends before the last row");
            // Write the row: value << Pt, masked to the precision.
            if (bps == 1)
            {
                var row = destination.Slice(y * width * ns, width * ns);
                for (int i = 0; i < row.Length; i++) row[i] = (byte)((cur[i] << pt) & mask);
            }
            else
            {
                var row = destination.Slice(y * width * ns * bps, width * ns * bps);
                for (int i = 0; i < width * ns; i++)
                {
                    int v = (cur[i] << pt) & mask;
                    row[i * bps] = (byte)v;
                    row[i * bps + 1] = (byte)(v >> 8);
                }
            }
            (prev, cur) = (cur, prev);
        }
    }

    private static DicomFormatException Corrupt(string problem) => new("Corrupt JPEG lossless stream: " + problem, tag: DicomTag.PixelData);
}
