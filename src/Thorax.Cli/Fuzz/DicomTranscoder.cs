using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Thorax.Dicom;

namespace Thorax.Cli.Fuzz;

/// <summary>
/// Re-encodes a parsed DICOM file in any transfer syntax's data set encoding (implicit or explicit VR, little or big
/// endian, deflated), for the structure-aware fuzz mutator: seeds written in one syntax become seeds of every other.
/// Values are written as read (the reader gives little endian values; big endian output swaps them per VR unit).
/// Pixel Data keeps its form: native values under an encapsulated syntax, or fragments under a native one, are
/// deliberate mismatches the reader must refuse by name. DicomWriter writes only Explicit VR Little Endian and
/// encapsulated syntaxes; this encoder exists for the fuzzer.
/// </summary>
public static class DicomTranscoder
{
    /// <summary>The Part 10 file of <paramref name="file"/> with its meta group declaring <paramref name="syntax"/> and
    /// its data set encoded accordingly.</summary>
    public static byte[] Encode(DicomFile file, TransferSyntax syntax)
    {
        using var body = new MemoryStream();
        foreach (var item in file.Dataset)
            if (item.Tag.Group != 0x0002) Write(body, item, syntax.IsExplicitVR, syntax.IsBigEndian);
        using var meta = new MemoryStream();
        foreach (var item in file.FileMetaInfo)
        {
            if (item.Tag == DicomTag.FileMetaInformationGroupLength || item.Tag == DicomTag.TransferSyntaxUID) continue;
            if (item.Tag > DicomTag.TransferSyntaxUID) break;
            Write(meta, item, true, false);
        }
        Write(meta, new DicomElement(DicomTag.TransferSyntaxUID, DicomVR.UI, Uid(syntax.Uid)), true, false);
        foreach (var item in file.FileMetaInfo)
            if (item.Tag > DicomTag.TransferSyntaxUID) Write(meta, item, true, false);

        using var o = new MemoryStream();
        o.Write(new byte[128]);
        o.Write("DICM"u8);
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)meta.Length);
        Write(o, new DicomElement(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, groupLength), true, false);
        meta.WriteTo(o);
        if (syntax.IsDeflated)
        {
            using var z = new DeflateStream(o, CompressionLevel.Fastest, leaveOpen: true);
            body.WriteTo(z);
        }
        else body.WriteTo(o);
        return o.ToArray();
    }

    private static byte[] Uid(string uid)
    {
        var b = Encoding.ASCII.GetBytes(uid);
        return b.Length % 2 == 0 ? b : [.. b, 0];
    }

    private static void Write(Stream s, DicomItem item, bool explicitVR, bool bigEndian)
    {
        switch (item)
        {
            case DicomElement e:
            {
                var value = e.Data.ToArray();
                var unit = e.VR == DicomVR.AT ? 2 : e.VR.IsText || e.VR.Code is "OB" or "UN" or "SQ" ? 1 : e.VR.UnitSize;
                if (bigEndian && unit > 1 && value.Length % unit == 0)
                    for (var i = 0; i < value.Length; i += unit) value.AsSpan(i, unit).Reverse();
                var vr = e.VR;
                if (explicitVR && !vr.HasLongLength && value.Length > 0xFFFF) vr = DicomVR.UN;
                Header(s, e.Tag, vr, (uint)value.Length, explicitVR, bigEndian);
                s.Write(value);
                break;
            }
            case DicomSequence q:
                Header(s, q.Tag, DicomVR.SQ, 0xFFFFFFFF, explicitVR, bigEndian);
                foreach (var child in q.Items)
                {
                    Tag(s, 0xFFFE, 0xE000, bigEndian);
                    U32(s, 0xFFFFFFFF, bigEndian);
                    foreach (var ci in child) Write(s, ci, explicitVR, bigEndian);
                    Tag(s, 0xFFFE, 0xE00D, bigEndian);
                    U32(s, 0, bigEndian);
                }
                Tag(s, 0xFFFE, 0xE0DD, bigEndian);
                U32(s, 0, bigEndian);
                break;
            case DicomFragmentSequence f:
                Header(s, f.Tag, DicomVR.OB, 0xFFFFFFFF, explicitVR, bigEndian);
                Tag(s, 0xFFFE, 0xE000, bigEndian);
                U32(s, (uint)(f.OffsetTable.Count * 4), bigEndian);
                foreach (var off in f.OffsetTable) U32(s, off, bigEndian);
                foreach (var frag in f.Fragments)
                {
                    Tag(s, 0xFFFE, 0xE000, bigEndian);
                    U32(s, (uint)frag.Length, bigEndian);
                    s.Write(frag.Span);
                }
                Tag(s, 0xFFFE, 0xE0DD, bigEndian);
                U32(s, 0, bigEndian);
                break;
        }
    }

    private static void Header(Stream s, DicomTag tag, DicomVR vr, uint length, bool explicitVR, bool bigEndian)
    {
        Tag(s, tag.Group, tag.Element, bigEndian);
        if (!explicitVR)
        {
            U32(s, length, bigEndian);
            return;
        }
        s.WriteByte((byte)vr.Code[0]);
        s.WriteByte((byte)vr.Code[1]);
        if (vr.HasLongLength)
        {
            s.WriteByte(0);
            s.WriteByte(0);
            U32(s, length, bigEndian);
        }
        else
        {
            Span<byte> b = stackalloc byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)length);
            else BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)length);
            s.Write(b);
        }
    }

    private static void Tag(Stream s, ushort group, ushort element, bool bigEndian)
    {
        Span<byte> b = stackalloc byte[4];
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b, group);
            BinaryPrimitives.WriteUInt16BigEndian(b[2..], element);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b, group);
            BinaryPrimitives.WriteUInt16LittleEndian(b[2..], element);
        }
        s.Write(b);
    }

    private static void U32(Stream s, uint v, bool bigEndian)
    {
        Span<byte> b = stackalloc byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        s.Write(b);
    }
}
