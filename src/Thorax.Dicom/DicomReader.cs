using System.Buffers.Binary;

namespace Thorax.Dicom;

/// <summary>
/// Parses a DICOM data set encoded in one transfer syntax (never deflated: inflate first) and reports elements to an
/// <see cref="IDicomReaderObserver"/>. Handles defined and undefined length sequences and items, encapsulated pixel
/// data, and UN elements of undefined length (read as implicit VR little endian sequences, PS3.5 6.2.2).
/// Every bad length, truncation or nesting deeper than <see cref="MaxDepth"/> raises <see cref="DicomFormatException"/>.
/// One deviation is tolerated with a warning (<see cref="Warnings"/>): an Explicit VR Little Endian transfer syntax whose
/// data set is in fact encoded in Implicit VR (the first element's two VR bytes are not a VR, as pydicom and dcmtk's
/// <c>dcmdump -td</c> detect it); the whole data set is then read as Implicit VR Little Endian.
/// </summary>
public sealed class DicomReader
{
    /// <summary>Deepest sequence nesting accepted.</summary>
    public const int MaxDepth = 64;

    private const uint UndefinedLength = 0xFFFFFFFF;
    private static readonly DicomTag ItemTag = new(0xFFFE, 0xE000);
    private static readonly DicomTag ItemDelimitation = new(0xFFFE, 0xE00D);
    private static readonly DicomTag SequenceDelimitation = new(0xFFFE, 0xE0DD);

    private bool _explicitVR;
    private readonly bool _bigEndian;
    private readonly string? _filePath;
    private readonly long _baseOffset;
    private ReadOnlyMemory<byte> _data;
    private IDicomReaderObserver _observer = null!;
    private readonly List<string> _warnings = [];

    /// <summary>Creates a reader.</summary>
    /// <param name="syntax">Encoding of the data (explicit/implicit VR, endianness).</param>
    /// <param name="filePath">File name used in error messages, or null.</param>
    /// <param name="baseOffset">Added to buffer positions in events and errors (e.g. the size of the file meta part).</param>
    public DicomReader(TransferSyntax syntax, string? filePath = null, long baseOffset = 0)
        : this(syntax.IsExplicitVR, syntax.IsBigEndian, filePath, baseOffset) { }

    private DicomReader(bool explicitVR, bool bigEndian, string? filePath, long baseOffset)
    {
        _explicitVR = explicitVR;
        _bigEndian = bigEndian;
        _filePath = filePath;
        _baseOffset = baseOffset;
    }

    /// <summary>Deviations from the transfer syntax that were read anyway (empty for conforming data), in stream order.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>True when the data was declared explicit VR but read as implicit VR (see <see cref="Warnings"/>).</summary>
    public bool FellBackToImplicitVR { get; private set; }

    /// <summary>Allow the implicit VR fallback at the first element (default true; the file meta group turns it off).</summary>
    public bool AllowImplicitVRFallback { get; init; } = true;

    /// <summary>Parses elements from the start of <paramref name="data"/>.</summary>
    /// <param name="data">Encoded data set.</param>
    /// <param name="observer">Receives the events.</param>
    /// <param name="stopBeforePixelData">Stop (without error) at the first top-level tag at or after (7FE0,0008).</param>
    /// <param name="stopAtGroupChange">When non-null, stop before the first top-level element whose group differs
    /// (used for the file meta group 0002).</param>
    /// <returns>Number of bytes consumed.</returns>
    public int Read(ReadOnlyMemory<byte> data, IDicomReaderObserver observer, bool stopBeforePixelData = false, ushort? stopAtGroupChange = null)
    {
        _data = data;
        _observer = observer;
        int pos = 0;
        ReadDataset(ref pos, data.Length, 0, stopBeforePixelData, stopAtGroupChange, undefinedItem: false);
        return pos;
    }

    /// <returns>True when the data set ended at an item delimiter (only possible when <paramref name="undefinedItem"/>).</returns>
    private bool ReadDataset(ref int pos, int end, int depth, bool stopBeforePixelData, ushort? onlyGroup, bool undefinedItem)
    {
        var span = _data.Span;
        while (pos < end)
        {
            if (end - pos < 8)
            {
                // Trailing zero padding at top level is tolerated.
                if (depth == 0 && span[pos..end].IndexOfAnyExcept((byte)0) < 0) { pos = end; return false; }
                throw Error($"Truncated element header: {end - pos} bytes left, 8 needed.", null, pos);
            }
            int start = pos;
            var tag = new DicomTag(U16(span, pos), U16(span, pos + 2));
            if (onlyGroup is { } g && tag.Group != g) return false;
            if (stopBeforePixelData && depth == 0 && tag.Value >= 0x7FE00008) return false;
            if (tag.Group == 0xFFFE)
            {
                uint dl = U32(span, pos + 4);
                pos += 8;
                if (tag == ItemDelimitation && undefinedItem) return true;
                throw Error($"Unexpected delimiter {tag} (length {dl}) inside a data set.", tag, start);
            }

            DicomVR vr;
            uint length;
            bool explicitHere = _explicitVR;
            if (explicitHere && depth == 0 && start == 0 && AllowImplicitVRFallback && !_bigEndian && onlyGroup is null &&
                !DicomVR.TryParse(span[pos + 4], span[pos + 5], out _) && LooksImplicit(span, pos, end))
            {
                // Explicit VR declared, implicit VR written (seen in the wild; pydicom and dcmtk -td read it with a warning).
                _explicitVR = explicitHere = false;
                FellBackToImplicitVR = true;
                _warnings.Add($"The transfer syntax declares explicit VR, but the data set is encoded in implicit VR: the first " +
                              $"element {tag} has 0x{span[pos + 4]:X2}{span[pos + 5]:X2} where its VR should be; read as Implicit VR Little Endian" +
                              (_filePath is null ? "." : $" (file '{_filePath}', offset {_baseOffset + start})."));
            }
            if (explicitHere)
            {
                if (!DicomVR.TryParse(span[pos + 4], span[pos + 5], out vr!))
                    throw Error($"Invalid VR bytes 0x{span[pos + 4]:X2}{span[pos + 5]:X2} in explicit VR data.", tag, start);
                if (vr.HasLongLength)
                {
                    if (end - pos < 12) throw Error("Truncated element header (long form needs 12 bytes).", tag, start);
                    length = U32(span, pos + 8);
                    pos += 12;
                }
                else
                {
                    length = U16(span, pos + 6);
                    pos += 8;
                }
            }
            else
            {
                vr = DicomDictionary.ImplicitVR(tag);
                length = U32(span, pos + 4);
                pos += 8;
            }

            if (length == UndefinedLength)
            {
                if (tag == DicomTag.PixelData && depth == 0 && (vr == DicomVR.OB || vr == DicomVR.OW || vr == DicomVR.UN))
                {
                    ReadFragments(ref pos, end, tag, start);
                }
                else if (vr == DicomVR.SQ || !explicitHere)
                {
                    ReadSequence(ref pos, end, tag, start, depth, definedEnd: -1);
                }
                else if (vr == DicomVR.UN)
                {
                    // UN with undefined length: a sequence encoded in implicit VR little endian.
                    var inner = new DicomReader(false, false, _filePath, _baseOffset) { _data = _data, _observer = _observer };
                    inner.ReadSequence(ref pos, end, tag, start, depth, definedEnd: -1);
                }
                else
                {
                    throw Error($"Undefined length is not allowed for VR {vr}.", tag, start);
                }
                continue;
            }

            if (length > (uint)(end - pos))
                throw Error($"Value length {length} runs past the end of the {(depth == 0 ? "data" : "item")} ({end - pos} bytes left).", tag, start);
            if ((length & 1) != 0)
                throw Error($"Odd value length {length}; DICOM values have even length.", tag, start);
            int len = (int)length;
            // Implicit VR, tag not in the dictionary: a value that starts with an item tag is a sequence.
            if (!explicitHere && vr == DicomVR.UN && len >= 8 && U16(span, pos) == 0xFFFE && U16(span, pos + 2) == 0xE000)
                vr = DicomVR.SQ;
            if (vr == DicomVR.SQ)
            {
                ReadSequence(ref pos, end, tag, start, depth, definedEnd: pos + len);
                continue;
            }
            var value = _data.Slice(pos, len);
            pos += len;
            if (_bigEndian && value.Length > 0)
                value = SwapToLittleEndian(value, vr == DicomVR.AT ? 2 : vr.SwapUnitSize);
            _observer.OnElement(tag, vr, _baseOffset + start, value);
        }
        return false;
    }

    private void ReadSequence(ref int pos, int end, DicomTag tag, int start, int depth, int definedEnd)
    {
        if (depth + 1 > MaxDepth) throw Error($"Sequences nested deeper than {MaxDepth} levels.", tag, start);
        var span = _data.Span;
        int seqEnd = definedEnd >= 0 ? definedEnd : end;
        _observer.OnBeginSequence(tag, _baseOffset + start);
        while (true)
        {
            if (definedEnd >= 0 && pos == definedEnd) break;
            if (seqEnd - pos < 8) throw Error("Sequence is truncated: missing item or sequence delimiter.", tag, pos);
            int itemStart = pos;
            var itemTag = new DicomTag(U16(span, pos), U16(span, pos + 2));
            uint itemLength = U32(span, pos + 4);
            pos += 8;
            if (itemTag == SequenceDelimitation)
            {
                if (definedEnd >= 0) throw Error("Sequence delimiter inside a defined-length sequence.", tag, itemStart);
                break;
            }
            if (itemTag != ItemTag) throw Error($"Expected an item tag (FFFE,E000) in sequence, found {itemTag}.", tag, itemStart);
            _observer.OnBeginItem(_baseOffset + itemStart);
            if (itemLength == UndefinedLength)
            {
                if (!ReadDataset(ref pos, seqEnd, depth + 1, false, null, undefinedItem: true))
                    throw Error("Item of undefined length is missing its item delimiter.", tag, itemStart);
            }
            else
            {
                if (itemLength > (uint)(seqEnd - pos) || (itemLength & 1) != 0)
                    throw Error($"Item length {itemLength} is odd or runs past the end of the sequence ({seqEnd - pos} bytes left).", tag, itemStart);
                int itemEnd = pos + (int)itemLength;
                ReadDataset(ref pos, itemEnd, depth + 1, false, null, undefinedItem: false);
            }
            _observer.OnEndItem();
        }
        _observer.OnEndSequence();
    }

    private void ReadFragments(ref int pos, int end, DicomTag tag, int start)
    {
        var span = _data.Span;
        var offsets = new List<uint>();
        var fragments = new List<ReadOnlyMemory<byte>>();
        bool first = true;
        while (true)
        {
            if (end - pos < 8) throw Error("Encapsulated pixel data is truncated: missing sequence delimiter.", tag, pos);
            int itemStart = pos;
            var itemTag = new DicomTag(U16(span, pos), U16(span, pos + 2));
            uint len = U32(span, pos + 4);
            pos += 8;
            if (itemTag == SequenceDelimitation) break;
            if (itemTag != ItemTag) throw Error($"Expected a fragment item (FFFE,E000), found {itemTag}.", tag, itemStart);
            if (len > (uint)(end - pos)) throw Error($"Fragment length {len} runs past the end of the data ({end - pos} bytes left).", tag, itemStart);
            if ((len & 1) != 0) throw Error($"Odd fragment length {len}.", tag, itemStart);
            if (first)
            {
                if (len % 4 != 0) throw Error($"Basic offset table length {len} is not a multiple of 4.", tag, itemStart);
                for (int i = 0; i < len; i += 4) offsets.Add(U32(span, pos + i));
                first = false;
            }
            else
            {
                fragments.Add(_data.Slice(pos, (int)len));
            }
            pos += (int)len;
        }
        if (first) throw Error("Encapsulated pixel data has no basic offset table item.", tag, start);
        _observer.OnFragmentSequence(tag, _baseOffset + start, offsets, fragments);
    }

    /// <summary>True when the element at <paramref name="at"/> reads as an implicit VR element: a 32-bit length that fits
    /// (or is undefined) followed by the next element's header or the end.</summary>
    private bool LooksImplicit(ReadOnlySpan<byte> s, int at, int end)
    {
        uint length = U32(s, at + 4);
        if (length == UndefinedLength) return true;
        return length <= (uint)(end - at - 8);
    }

    private ushort U16(ReadOnlySpan<byte> s, int at) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);

    private uint U32(ReadOnlySpan<byte> s, int at) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

    private static ReadOnlyMemory<byte> SwapToLittleEndian(ReadOnlyMemory<byte> value, int unit)
    {
        if (unit <= 1 || value.Length % unit != 0) return value;
        var copy = value.ToArray();
        for (int i = 0; i < copy.Length; i += unit) copy.AsSpan(i, unit).Reverse();
        return copy;
    }

    private DicomFormatException Error(string problem, DicomTag? tag, long pos) =>
        new(problem, _filePath, tag, _baseOffset + pos);
}
