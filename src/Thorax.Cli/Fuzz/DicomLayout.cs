using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Thorax.Dicom;

namespace Thorax.Cli.Fuzz;

/// <summary>What a <see cref="DicomNode"/> is.</summary>
public enum DicomNodeKind
{
    /// <summary>A data element with a value (not a sequence).</summary>
    Element,
    /// <summary>A sequence element (SQ, or UN/implicit of undefined length); its items are nodes with it as parent.</summary>
    Sequence,
    /// <summary>A sequence item (FFFE,E000); its elements are nodes with it as parent.</summary>
    Item,
    /// <summary>An item or sequence delimiter (FFFE,E00D / FFFE,E0DD).</summary>
    Delimiter,
    /// <summary>Encapsulated Pixel Data (7FE0,0010) of undefined length; its offset table and fragments are children.</summary>
    Encapsulated,
    /// <summary>The first item of encapsulated Pixel Data: the Basic Offset Table.</summary>
    OffsetTable,
    /// <summary>A fragment item of encapsulated Pixel Data.</summary>
    Fragment,
}

/// <summary>One element, item, delimiter or fragment of an encoded DICOM stream, with the byte positions of its parts.</summary>
public sealed class DicomNode
{
    public DicomNodeKind Kind { get; init; }
    /// <summary>Offset of the tag.</summary>
    public int Start { get; init; }
    /// <summary>Offset just past the node (value, children and delimiter included).</summary>
    public int End { get; set; }
    public uint Tag { get; init; }
    /// <summary>Offset of the two VR bytes, or -1 (implicit VR, items, delimiters).</summary>
    public int VrAt { get; init; } = -1;
    /// <summary>The VR code as written (explicit VR); "" for implicit VR elements and items.</summary>
    public string Vr { get; init; } = "";
    public int LengthAt { get; init; }
    /// <summary>2 (explicit VR short form) or 4.</summary>
    public int LengthWidth { get; init; } = 4;
    public int ValueAt { get; init; }
    /// <summary>The declared length, or -1 for undefined length.</summary>
    public long Length { get; init; }
    public bool BigEndian { get; init; }
    /// <summary>Index of the enclosing sequence, item or encapsulated pixel data, or -1 at top level.</summary>
    public int Parent { get; init; } = -1;
    public int Depth { get; init; }
    /// <summary>True for the file meta group (always explicit VR little endian).</summary>
    public bool InMeta { get; init; }
}

/// <summary>
/// The structure of an encoded DICOM file, walked the way a conforming reader walks it (PS3.5 7 and A.4), for the
/// structure-aware fuzz mutator: the file meta group, then the data set in its transfer syntax (explicit or implicit
/// VR, little or big endian; a deflated data set is inflated first, <see cref="Data"/> then holds it plain), sequences
/// and items of defined and undefined length, and encapsulated Pixel Data's offset table and fragments. The walk stops
/// quietly at the first thing it cannot follow (mutated inputs): the nodes before it stay usable.
/// </summary>
public sealed class DicomLayout
{
    private const uint Undefined = 0xFFFFFFFF;
    private const uint ItemTag = 0xFFFEE000, ItemDelimiter = 0xFFFEE00D, SequenceDelimiter = 0xFFFEE0DD;
    private const uint PixelDataTag = 0x7FE00010;

    private DicomLayout(byte[] data) => Data = data;

    /// <summary>The stream the nodes refer to: the file, with a deflated data set inflated.</summary>
    public byte[] Data { get; }

    /// <summary>Offset of the data set (after the meta group), in <see cref="Data"/>.</summary>
    public int BodyStart { get; private set; }

    /// <summary>True when the data set was deflated in the file (<see cref="Encode"/> deflates it again).</summary>
    public bool Deflated { get; private set; }

    /// <summary>The transfer syntax the meta group declares (null: none, or not one Thorax knows).</summary>
    public TransferSyntax? Syntax { get; private set; }

    public List<DicomNode> Nodes { get; } = [];

    /// <summary>Index of the first node with <paramref name="tag"/>, or -1.</summary>
    public int Find(uint tag) => Nodes.FindIndex(n => n.Tag == tag);

    /// <summary>Walks <paramref name="file"/>. <paramref name="plainBody"/>: the data set is already inflated (a stream
    /// from <see cref="Data"/> after mutation) even when the syntax says deflated.</summary>
    public static DicomLayout Walk(byte[] file, bool plainBody = false, bool deflated = false)
    {
        var w = new Walker(file);
        var layout = new DicomLayout(file) { Deflated = deflated };
        int pos;
        if (file.Length >= 132 && file.AsSpan(128, 4).SequenceEqual("DICM"u8)) pos = 132;
        else if (file.Length >= 8 && file[0] == 2 && file[1] == 0 && IsVr(file[4], file[5])) pos = 0;
        else
        {
            // A bare data set: explicit VR when the first element carries a VR (as DicomFile reads it).
            w.Explicit = file.Length >= 6 && IsVr(file[4], file[5]);
            w.Run(layout, 0, file.Length);
            return layout;
        }
        w.Meta = true;
        w.Explicit = true;
        w.Run(layout, pos, file.Length, onlyGroup: 0x0002);
        w.Meta = false;
        layout.BodyStart = w.Position;
        var ts = layout.Find(0x00020010);
        if (ts >= 0)
        {
            var n = layout.Nodes[ts];
            var uid = Encoding.ASCII.GetString(file, n.ValueAt, (int)Math.Min(n.Length, file.Length - n.ValueAt)).TrimEnd('\0', ' ');
            if (TransferSyntax.TryLookup(uid, out var syntax)) layout.Syntax = syntax;
        }
        var s = layout.Syntax ?? TransferSyntax.ExplicitVRLittleEndian;
        var data = file;
        if (s.IsDeflated && !plainBody)
        {
            if (Inflate(file.AsSpan(layout.BodyStart)) is not { } body) return layout;
            data = new byte[layout.BodyStart + body.Length];
            file.AsSpan(0, layout.BodyStart).CopyTo(data);
            body.CopyTo(data, layout.BodyStart);
            var inflated = new DicomLayout(data) { Deflated = true, BodyStart = layout.BodyStart, Syntax = layout.Syntax };
            inflated.Nodes.AddRange(layout.Nodes);
            layout = inflated;
            w = new Walker(data);
        }
        w.Explicit = s.IsExplicitVR;
        w.BigEndian = s.IsBigEndian;
        w.Run(layout, layout.BodyStart, data.Length);
        return layout;
    }

    /// <summary>The file for a (mutated) copy of <see cref="Data"/>: the data set after <paramref name="bodyStart"/>
    /// deflated again when the original was.</summary>
    public byte[] Encode(byte[] data, int bodyStart)
    {
        if (!Deflated || bodyStart > data.Length) return data;
        using var ms = new MemoryStream();
        ms.Write(data, 0, bodyStart);
        using (var z = new DeflateStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data, bodyStart, data.Length - bodyStart);
        return ms.ToArray();
    }

    private static byte[]? Inflate(ReadOnlySpan<byte> deflated)
    {
        try
        {
            using var z = new DeflateStream(new MemoryStream(deflated.ToArray()), CompressionMode.Decompress);
            using var o = new MemoryStream();
            var buf = new byte[65536];
            int n;
            while ((n = z.Read(buf)) > 0)
            {
                if (o.Length > 64 << 20) return null;
                o.Write(buf, 0, n);
            }
            return o.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    internal static bool IsVr(byte a, byte b) => a is >= (byte)'A' and <= (byte)'Z' && b is >= (byte)'A' and <= (byte)'Z' &&
                                                 DicomVR.TryParse(new string([(char)a, (char)b]), out _);

    internal static bool IsLongVr(string vr) => DicomVR.TryParse(vr, out var v) && v.HasLongLength;

    private sealed class StopWalk : Exception;

    private sealed class Walker(byte[] d)
    {
        public bool Explicit, BigEndian, Meta;
        public int Position;

        public void Run(DicomLayout layout, int start, int end, ushort? onlyGroup = null)
        {
            Position = start;
            try
            {
                Dataset(layout, end, -1, 0, onlyGroup, Explicit, BigEndian);
            }
            catch (StopWalk)
            {
            }
        }

        private ushort U16(int at, bool big) => big ? BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(at));
        private uint U32(int at, bool big) => big ? BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(at));
        private uint TagAt(int at, bool big) => ((uint)U16(at, big) << 16) | U16(at + 2, big);

        /// <returns>True when the data set ended at an item delimiter.</returns>
        private bool Dataset(DicomLayout L, int end, int parent, int depth, ushort? onlyGroup, bool expl, bool big)
        {
            while (Position < end)
            {
                if (end - Position < 8) throw new StopWalk();
                var start = Position;
                var tag = TagAt(start, big);
                if (onlyGroup is { } g && tag >> 16 != g) return false;
                if (tag >> 16 == 0xFFFE)
                {
                    L.Nodes.Add(new DicomNode { Kind = DicomNodeKind.Delimiter, Start = start, End = start + 8, Tag = tag, LengthAt = start + 4, ValueAt = start + 8, Length = U32(start + 4, big), BigEndian = big, Parent = parent, Depth = depth, InMeta = Meta });
                    Position += 8;
                    if (tag == ItemDelimiter) return true;
                    throw new StopWalk();
                }
                string vr;
                int lengthAt, width, valueAt, vrAt = -1;
                if (expl)
                {
                    if (!IsVr(d[start + 4], d[start + 5])) throw new StopWalk();
                    vr = Encoding.ASCII.GetString(d, start + 4, 2);
                    vrAt = start + 4;
                    if (IsLongVr(vr))
                    {
                        if (end - start < 12) throw new StopWalk();
                        (lengthAt, width, valueAt) = (start + 8, 4, start + 12);
                    }
                    else (lengthAt, width, valueAt) = (start + 6, 2, start + 8);
                }
                else
                {
                    vr = ""; // not written; a value that opens with an item tag is taken for a sequence below
                    (lengthAt, width, valueAt) = (start + 4, 4, start + 8);
                }
                long length = width == 2 ? U16(lengthAt, big) : U32(lengthAt, big);
                if (length == Undefined)
                {
                    Position = valueAt;
                    if (tag == PixelDataTag && depth == 0 && vr is "OB" or "OW" or "UN" or "")
                    {
                        var idx = Add(L, DicomNodeKind.Encapsulated, start, tag, vrAt, vr, lengthAt, width, valueAt, -1, big, parent, depth);
                        Fragments(L, end, idx, big);
                        L.Nodes[idx].End = Position;
                    }
                    else if (vr == "SQ" || !expl || vr == "UN")
                    {
                        var idx = Add(L, DicomNodeKind.Sequence, start, tag, vrAt, vr, lengthAt, width, valueAt, -1, big, parent, depth);
                        // UN of undefined length: an implicit VR little endian sequence inside any syntax.
                        var inner = vr == "UN" && expl;
                        Sequence(L, end, -1, idx, depth, inner ? false : expl, inner ? false : big);
                        L.Nodes[idx].End = Position;
                    }
                    else throw new StopWalk();
                    continue;
                }
                if (length > end - valueAt) throw new StopWalk();
                var isSeq = vr == "SQ" || (!expl && length >= 8 && TagAt(valueAt, big) == ItemTag);
                if (isSeq)
                {
                    var idx = Add(L, DicomNodeKind.Sequence, start, tag, vrAt, vr, lengthAt, width, valueAt, length, big, parent, depth);
                    Position = valueAt;
                    Sequence(L, end, valueAt + (int)length, idx, depth, expl, big);
                    L.Nodes[idx].End = Position;
                    continue;
                }
                var e = Add(L, DicomNodeKind.Element, start, tag, vrAt, vr, lengthAt, width, valueAt, length, big, parent, depth);
                Position = valueAt + (int)length;
                L.Nodes[e].End = Position;
            }
            return false;
        }

        private void Sequence(DicomLayout L, int end, int definedEnd, int seq, int depth, bool expl, bool big)
        {
            if (depth > 32) throw new StopWalk();
            var seqEnd = definedEnd >= 0 ? definedEnd : end;
            while (true)
            {
                if (definedEnd >= 0 && Position == definedEnd) return;
                if (seqEnd - Position < 8) throw new StopWalk();
                var start = Position;
                var tag = TagAt(start, big);
                var len = U32(start + 4, big);
                if (tag == SequenceDelimiter)
                {
                    L.Nodes.Add(new DicomNode { Kind = DicomNodeKind.Delimiter, Start = start, End = start + 8, Tag = tag, LengthAt = start + 4, ValueAt = start + 8, Length = len, BigEndian = big, Parent = seq, Depth = depth + 1, InMeta = Meta });
                    Position += 8;
                    return;
                }
                if (tag != ItemTag) throw new StopWalk();
                var item = Add(L, DicomNodeKind.Item, start, tag, -1, "", start + 4, 4, start + 8, len == Undefined ? -1 : len, big, seq, depth + 1);
                Position = start + 8;
                if (len == Undefined)
                {
                    if (!Dataset(L, seqEnd, item, depth + 1, null, expl, big)) throw new StopWalk();
                }
                else
                {
                    if (len > seqEnd - Position) throw new StopWalk();
                    Dataset(L, Position + (int)len, item, depth + 1, null, expl, big);
                }
                L.Nodes[item].End = Position;
            }
        }

        private void Fragments(DicomLayout L, int end, int pixel, bool big)
        {
            var first = true;
            while (true)
            {
                if (end - Position < 8) throw new StopWalk();
                var start = Position;
                var tag = TagAt(start, big);
                var len = U32(start + 4, big);
                if (tag == SequenceDelimiter)
                {
                    L.Nodes.Add(new DicomNode { Kind = DicomNodeKind.Delimiter, Start = start, End = start + 8, Tag = tag, LengthAt = start + 4, ValueAt = start + 8, Length = len, BigEndian = big, Parent = pixel, Depth = 1 });
                    Position += 8;
                    return;
                }
                if (tag != ItemTag || len > end - start - 8) throw new StopWalk();
                var n = Add(L, first ? DicomNodeKind.OffsetTable : DicomNodeKind.Fragment, start, tag, -1, "", start + 4, 4, start + 8, len, big, pixel, 1);
                Position = start + 8 + (int)len;
                L.Nodes[n].End = Position;
                first = false;
            }
        }

        private int Add(DicomLayout L, DicomNodeKind kind, int start, uint tag, int vrAt, string vr, int lengthAt, int width, int valueAt, long length, bool big, int parent, int depth)
        {
            L.Nodes.Add(new DicomNode
            {
                Kind = kind, Start = start, End = valueAt, Tag = tag, VrAt = vrAt, Vr = vr, LengthAt = lengthAt, LengthWidth = width,
                ValueAt = valueAt, Length = length, BigEndian = big, Parent = parent, Depth = depth, InMeta = Meta,
            });
            return L.Nodes.Count - 1;
        }
    }
}
