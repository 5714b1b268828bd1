namespace Thorax.Dicom.Codecs;

/// <summary>
/// Sequential DCT JPEG with Huffman coding (ITU T.81 processes 1, 2 and 4: SOF0/SOF1), managed, for 8-bit and
/// 12-bit precision. Samples come out exactly as IJG libjpeg's accurate integer IDCT (ISLOW) produces them
/// (see <see cref="JpegIslowIdct"/>). Handles one or more components, interleaved or in separate scans, restart
/// intervals and partial edge blocks. Components must all have the same sampling factors (no upsampling); three
/// components are converted from YCbCr to RGB when libjpeg would convert them (as <see cref="TurboJpegCodec"/>'s
/// 8-bit output is), with libjpeg's fixed-point arithmetic. <see cref="TurboJpegCodec"/> hands 12-bit frames to this codec,
/// because libjpeg-turbo 2.x decodes 8-bit samples only.
/// </summary>
public sealed class JpegDctCodec : IPixelCodec
{
    private static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <inheritdoc/>
    public string Name => "JPEG sequential DCT 8/12-bit (managed, libjpeg ISLOW)";

    /// <inheritdoc/>
    public IReadOnlyList<TransferSyntax> TransferSyntaxes { get; } = [TransferSyntax.JPEGBaseline8Bit, TransferSyntax.JPEGExtended12Bit];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        if (encoded.Length < 4 || encoded[0] != 0xFF || encoded[1] != 0xD8) throw Corrupt("missing SOI marker", 0);
        var state = new DecoderState();
        int pos = 2;
        while (true)
        {
            if (pos + 2 > encoded.Length)
            {
                if (state.Frame is not null && state.AllComponentsDecoded) break; // EOI missing after complete scans
                throw Corrupt("the stream ends before all components were decoded", pos);
            }
            if (encoded[pos] != 0xFF) throw Corrupt($"expected a marker, found 0x{encoded[pos]:X2}", pos);
            int marker = encoded[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker == 0xD9) break; // EOI
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; } // stray RSTn / TEM: no segment
            if (pos + 4 > encoded.Length) throw Corrupt($"marker 0xFF{marker:X2} without a length", pos);
            int len = (encoded[pos + 2] << 8) | encoded[pos + 3];
            if (len < 2 || pos + 2 + len > encoded.Length) throw Corrupt($"segment 0xFF{marker:X2} length {len} runs past the end", pos);
            var seg = encoded.Slice(pos + 4, len - 2);
            int next = pos + 2 + len;
            switch (marker)
            {
                case 0xC0 or 0xC1:
                    if (state.Frame is not null) throw Corrupt("second SOF marker", pos);
                    state.Frame = ReadFrame(seg, pos, info);
                    break;
                case 0xC4:
                    ReadHuffmanTables(seg, pos, state);
                    break;
                case 0xDB:
                    ReadQuantTables(seg, pos, state);
                    break;
                case 0xDD:
                    if (seg.Length < 2) throw Corrupt("short DRI segment", pos);
                    state.RestartInterval = (seg[0] << 8) | seg[1];
                    break;
                case 0xDA:
                    if (state.Frame is null) throw Corrupt("SOS before SOF", pos);
                    next = DecodeScan(encoded, next, seg, pos, state);
                    break;
                case 0xE0:
                    if (seg.StartsWith("JFIF\0"u8)) state.SawJfif = true;
                    break;
                case 0xEE:
                    if (seg.Length >= 12 && seg.StartsWith("Adobe"u8)) state.AdobeTransform = seg[11];
                    break;
                case 0xDC:
                    break; // DNL: ignored, a zero frame height is rejected at SOF
                case >= 0xC2 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    throw new DicomCodecException(
                        $"JPEG process SOF{marker - 0xC0} is not supported by the managed sequential DCT decoder (SOF0/SOF1 only).",
                        info.TransferSyntax);
            }
            pos = next;
        }
        var frame = state.Frame ?? throw Corrupt("no SOF0/SOF1 frame header before EOI", pos);
        if (!state.AllComponentsDecoded) throw Corrupt("EOI before every component was coded in a scan", pos);
        if (frame.Components.Length == 3 && IsYCbCr(state, frame)) ConvertYCbCrToRgb(frame);
        WriteOutput(frame, info, destination);
    }

    /// <summary>
    /// libjpeg's guess of a 3-component stream's colour space (<c>jpeg_read_header</c> defaults): a JFIF marker means
    /// YCbCr; else an Adobe marker's transform flag decides (0 = RGB); else component ids 'R','G','B' mean RGB and
    /// anything else YCbCr.
    /// </summary>
    private static bool IsYCbCr(DecoderState state, Frame frame)
    {
        if (state.SawJfif) return true;
        if (state.AdobeTransform >= 0) return state.AdobeTransform != 0;
        var c = frame.Components;
        return !(c[0].Id == 'R' && c[1].Id == 'G' && c[2].Id == 'B');
    }

    /// <summary>
    /// YCbCr to RGB in place, as libjpeg's <c>ycc_rgb_convert</c>: 16-bit fixed-point tables of 1.402 Cr, 1.772 Cb,
    /// -0.34414 Cb - 0.71414 Cr (rounded as libjpeg rounds them), added to Y and clamped to the sample range.
    /// </summary>
    private static void ConvertYCbCrToRgb(Frame frame)
    {
        const int ScaleBits = 16;
        const long Half = 1L << (ScaleBits - 1);
        const long FixCrR = 91881, FixCbB = 116130, FixCrG = 46802, FixCbG = 22554; // round(x * 2^16)
        int max = (1 << frame.Precision) - 1, center = 1 << (frame.Precision - 1);
        var crR = new int[max + 1];
        var cbB = new int[max + 1];
        var crG = new long[max + 1];
        var cbG = new long[max + 1];
        for (int i = 0; i <= max; i++)
        {
            long x = i - center;
            crR[i] = (int)((FixCrR * x + Half) >> ScaleBits);
            cbB[i] = (int)((FixCbB * x + Half) >> ScaleBits);
            crG[i] = -FixCrG * x;
            cbG[i] = -FixCbG * x + Half;
        }
        ushort[] p0 = frame.Components[0].Plane, p1 = frame.Components[1].Plane, p2 = frame.Components[2].Plane;
        for (int i = 0; i < p0.Length; i++)
        {
            int y = p0[i], cb = p1[i], cr = p2[i];
            p0[i] = (ushort)Math.Clamp(y + crR[cr], 0, max);
            p1[i] = (ushort)Math.Clamp(y + (int)((cbG[cb] + crG[cr]) >> ScaleBits), 0, max);
            p2[i] = (ushort)Math.Clamp(y + cbB[cb], 0, max);
        }
    }

    private static Frame ReadFrame(ReadOnlySpan<byte> seg, int pos, PixelDataInfo info)
    {
        if (seg.Length < 6) throw Corrupt("short SOF segment", pos);
        int precision = seg[0], height = (seg[1] << 8) | seg[2], width = (seg[3] << 8) | seg[4], nf = seg[5];
        if (precision is not (8 or 12)) throw Corrupt($"sample precision {precision} (a DCT process allows 8 or 12)", pos);
        if (nf < 1 || nf > 4 || seg.Length < 6 + 3 * nf) throw Corrupt($"bad SOF component count {nf}", pos);
        if (nf is not (1 or 3))
            throw new DicomCodecException($"JPEG with {nf} components is not supported (1 or 3).", info.TransferSyntax);
        if (width == 0 || height == 0) throw Corrupt($"frame size {width}x{height}", pos);
        if (width != info.Columns || height != info.Rows || nf != info.SamplesPerPixel)
            throw new DicomFormatException(
                $"JPEG frame is {width}x{height}x{nf} but the data set says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}.",
                tag: DicomTag.PixelData);
        if (precision > 8 * info.BytesPerSample)
            throw new DicomFormatException($"JPEG precision {precision} exceeds BitsAllocated {info.BitsAllocated}.", tag: DicomTag.BitsAllocated);
        var comps = new Component[nf];
        for (int i = 0; i < nf; i++)
        {
            int h = seg[7 + 3 * i] >> 4, v = seg[7 + 3 * i] & 15, tq = seg[8 + 3 * i];
            if (h is < 1 or > 4 || v is < 1 or > 4 || tq > 3) throw Corrupt($"bad SOF parameters for component {i}", pos);
            comps[i] = new Component(seg[6 + 3 * i], h, v, tq);
        }
        foreach (var c in comps)
            if (c.H != comps[0].H || c.V != comps[0].V)
                throw new DicomCodecException("JPEG with subsampled components is not supported by the managed DCT decoder.", info.TransferSyntax);
        int hmax = comps[0].H, vmax = comps[0].V;
        int mcusX = (width + 8 * hmax - 1) / (8 * hmax), mcusY = (height + 8 * vmax - 1) / (8 * vmax);
        int planeWidth = mcusX * 8 * hmax, planeHeight = mcusY * 8 * vmax;
        foreach (var c in comps) c.Plane = new ushort[(long)planeWidth * planeHeight];
        return new Frame(precision, width, height, comps, mcusX, mcusY, planeWidth, new JpegIslowIdct(precision));
    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> seg, int pos, DecoderState state)
    {
        for (int p = 0; p < seg.Length;)
        {
            if (p + 17 > seg.Length) throw Corrupt("short DHT segment", pos);
            int tc = seg[p] >> 4, th = seg[p] & 15;
            var counts = seg.Slice(p + 1, 16);
            int total = 0;
            foreach (var n in counts) total += n;
            if (tc > 1 || th > 3 || total > 256 || p + 17 + total > seg.Length) throw Corrupt("bad DHT segment", pos);
            (tc == 0 ? state.Dc : state.Ac)[th] = new HuffmanTable(counts, seg.Slice(p + 17, total));
            p += 17 + total;
        }
    }

    private static void ReadQuantTables(ReadOnlySpan<byte> seg, int pos, DecoderState state)
    {
        for (int p = 0; p < seg.Length;)
        {
            int pq = seg[p] >> 4, tq = seg[p] & 15;
            int size = pq == 0 ? 64 : 128;
            if (pq > 1 || tq > 3 || p + 1 + size > seg.Length) throw Corrupt("bad DQT segment", pos);
            var table = new ushort[64];
            for (int k = 0; k < 64; k++)
                table[ZigZag[k]] = pq == 0 ? seg[p + 1 + k] : (ushort)((seg[p + 1 + 2 * k] << 8) | seg[p + 2 + 2 * k]);
            state.Quant[tq] = table;
            p += 1 + size;
        }
    }

    /// <summary>Decodes one scan starting at <paramref name="start"/>; returns the position of the marker after it.</summary>
    private static int DecodeScan(ReadOnlySpan<byte> data, int start, ReadOnlySpan<byte> sos, int sosPos, DecoderState state)
    {
        var frame = state.Frame!;
        int ns = sos.Length > 0 ? sos[0] : 0;
        if (ns < 1 || ns > 4 || sos.Length < 1 + 2 * ns + 3) throw Corrupt("bad SOS segment", sosPos);
        var comps = new Component[ns];
        var dcTables = new HuffmanTable[ns];
        var acTables = new HuffmanTable[ns];
        var quants = new ushort[ns][];
        for (int i = 0; i < ns; i++)
        {
            int id = sos[1 + 2 * i];
            comps[i] = Array.Find(frame.Components, c => c.Id == id) ?? throw Corrupt($"scan names unknown component {id}", sosPos);
            if (comps[i].Decoded) throw Corrupt($"component {id} is coded in two scans", sosPos);
            int td = sos[2 + 2 * i] >> 4, ta = sos[2 + 2 * i] & 15;
            dcTables[i] = (td < 4 ? state.Dc[td] : null) ?? throw Corrupt($"scan uses undefined DC Huffman table {td}", sosPos);
            acTables[i] = (ta < 4 ? state.Ac[ta] : null) ?? throw Corrupt($"scan uses undefined AC Huffman table {ta}", sosPos);
            quants[i] = state.Quant[comps[i].Tq] ?? throw Corrupt($"component {id} uses undefined quantisation table {comps[i].Tq}", sosPos);
        }
        int ss = sos[1 + 2 * ns], se = sos[2 + 2 * ns], ah = sos[3 + 2 * ns] >> 4, al = sos[3 + 2 * ns] & 15;
        if (ss != 0 || se != 63 || ah != 0 || al != 0) throw Corrupt($"sequential scan with Ss={ss} Se={se} Ah={ah} Al={al}", sosPos);

        // An interleaved scan codes MCUs of H x V blocks per component; a single-component scan codes single blocks
        // over the component's own extent (ceil(width * H / Hmax / 8) blocks per row, with equal sampling = ceil(width / 8)).
        int unitsX, unitsY;
        if (ns == 1)
        {
            unitsX = (frame.Width + 7) / 8;
            unitsY = (frame.Height + 7) / 8;
        }
        else
        {
            unitsX = frame.McusX;
            unitsY = frame.McusY;
        }
        long totalUnits = (long)unitsX * unitsY;
        int interval = state.RestartInterval;
        var bits = new JpegBitReader(data, start);
        try
        {
            DecodeUnits(ref bits, frame, comps, dcTables, acTables, quants, unitsX, totalUnits, interval);
        }
        catch (DicomFormatException ex) when (ex.Problem == HuffmanTable.InvalidCodeProblem)
        {
            throw Corrupt("invalid Huffman code", bits.Position);
        }
        foreach (var c in comps) c.Decoded = true;
        return NextMarker(data, bits.Position);
    }

    private static void DecodeUnits(ref JpegBitReader bits, Frame frame, Component[] comps, HuffmanTable[] dcTables, HuffmanTable[] acTables,
        ushort[][] quants, int unitsX, long totalUnits, int interval)
    {
        int ns = comps.Length;
        long unitsY = totalUnits / unitsX;
        var preds = new int[ns];
        Span<short> block = stackalloc short[64];
        int stride = frame.PlaneWidth;
        for (long unit = 0; unit < totalUnits; unit++)
        {
            if (interval > 0 && unit > 0 && unit % interval == 0)
            {
                if (bits.Overrun) throw Corrupt("entropy-coded data ends early", bits.Position);
                if (!bits.Restart()) throw Corrupt($"missing restart marker before MCU {unit}", bits.Position);
                Array.Clear(preds);
            }
            int ux = (int)(unit % unitsX), uy = (int)(unit / unitsX);
            for (int i = 0; i < ns; i++)
            {
                var comp = comps[i];
                int bw = ns == 1 ? 1 : comp.H, bh = ns == 1 ? 1 : comp.V;
                for (int by = 0; by < bh; by++)
                {
                    for (int bx = 0; bx < bw; bx++)
                    {
                        DecodeBlock(ref bits, dcTables[i], acTables[i], ref preds[i], block, frame.Precision);
                        int x0 = (ux * bw + bx) * 8, y0 = (uy * bh + by) * 8;
                        frame.Idct.Transform(block, quants[i], comp.Plane, y0 * stride + x0, stride);
                    }
                }
            }
            // Bits are read as zeros past the data: stop as soon as a whole MCU row was decoded from nothing.
            if (ux == unitsX - 1 && bits.Overrun) throw Corrupt($"entropy-coded data ends before MCU row {uy + 1} of {unitsY}", bits.Position);
        }
        if (bits.Overrun) throw Corrupt("entropy-coded data ends before the last MCU", bits.Position);
    }

    private static void DecodeBlock(ref JpegBitReader bits, HuffmanTable dc, HuffmanTable ac, ref int pred, scoped Span<short> block, int precision)
    {
        block.Clear();
        int maxCategory = precision + 3; // DC differences need up to precision + 3 bits (T.81 F.1.2.1)
        int s = dc.Decode(ref bits);
        if (s > maxCategory) throw Corrupt($"DC difference category {s} exceeds {maxCategory}", bits.Position);
        pred += Extend(bits.Read(s), s);
        block[0] = (short)pred;
        for (int k = 1; k < 64; k++)
        {
            int rs = ac.Decode(ref bits);
            int r = rs >> 4;
            s = rs & 15;
            if (s == 0)
            {
                if (r != 15) break; // EOB
                k += 15; // ZRL: sixteen zeros
                continue;
            }
            k += r;
            if (k > 63) throw Corrupt("AC coefficient run past the end of the block", bits.Position);
            if (s > precision + 2) throw Corrupt($"AC coefficient category {s} exceeds {precision + 2}", bits.Position);
            block[ZigZag[k]] = (short)Extend(bits.Read(s), s);
        }
    }

    /// <summary>T.81 F.2.2.1 EXTEND: the s-bit magnitude code <paramref name="v"/> as a signed value.</summary>
    private static int Extend(int v, int s) => s == 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v;

    /// <summary>
    /// Position of the next marker at or after <paramref name="pos"/>, skipping the scan's unread bytes, stuffed
    /// 0xFF00 pairs, fill bytes and RSTn markers. The bit reader never moves past a marker, so the search cannot skip one.
    /// </summary>
    private static int NextMarker(ReadOnlySpan<byte> data, int pos)
    {
        for (int p = pos; p + 1 < data.Length; p++)
        {
            if (data[p] != 0xFF) continue;
            byte n = data[p + 1];
            if (n == 0x00) { p++; continue; }
            if (n == 0xFF || n is >= 0xD0 and <= 0xD7) continue;
            return p;
        }
        return data.Length;
    }

    private static void WriteOutput(Frame frame, PixelDataInfo info, Span<byte> destination)
    {
        int nc = frame.Components.Length, bps = info.BytesPerSample;
        long needed = (long)frame.Width * frame.Height * nc * bps;
        if (destination.Length < needed) throw new ArgumentException($"Destination needs {needed} bytes.", nameof(destination));
        for (int y = 0; y < frame.Height; y++)
        {
            for (int c = 0; c < nc; c++)
            {
                var src = frame.Components[c].Plane.AsSpan(y * frame.PlaneWidth, frame.Width);
                int rowStart = y * frame.Width * nc;
                if (bps == 1)
                {
                    for (int x = 0; x < frame.Width; x++) destination[rowStart + x * nc + c] = (byte)src[x];
                }
                else
                {
                    for (int x = 0; x < frame.Width; x++)
                    {
                        int at = (rowStart + x * nc + c) * bps;
                        destination[at] = (byte)src[x];
                        destination[at + 1] = (byte)(src[x] >> 8);
                        for (int b = 2; b < bps; b++) destination[at + b] = 0;
                    }
                }
            }
        }
    }

    private static DicomFormatException Corrupt(string problem, int offset) =>
        new($"Corrupt JPEG stream: {problem} (at byte {offset} of the frame's JPEG data)", tag: DicomTag.PixelData);

    private sealed class Component(int id, int h, int v, int tq)
    {
        public int Id { get; } = id;
        public int H { get; } = h;
        public int V { get; } = v;
        public int Tq { get; } = tq;
        public ushort[] Plane { get; set; } = [];
        public bool Decoded { get; set; }
    }

    private sealed record Frame(int Precision, int Width, int Height, Component[] Components, int McusX, int McusY, int PlaneWidth, JpegIslowIdct Idct);

    private sealed class DecoderState
    {
        public HuffmanTable?[] Dc { get; } = new HuffmanTable?[4];
        public HuffmanTable?[] Ac { get; } = new HuffmanTable?[4];
        public ushort[]?[] Quant { get; } = new ushort[]?[4];
        public int RestartInterval { get; set; }
        public bool SawJfif { get; set; }
        public int AdobeTransform { get; set; } = -1;
        public Frame? Frame { get; set; }
        public bool AllComponentsDecoded => Frame is not null && Array.TrueForAll(Frame.Components, c => c.Decoded);
    }
}
