using System.Buffers.Binary;
using System.Text;
using Thorax.Dicom;

namespace Thorax.Cli.Fuzz;

/// <summary>
/// A DICOM mutator that knows the encoding (the <c>dicom-structure</c> fuzz family; the blind byte mutator stays the
/// <c>dicom</c> family). Per case it takes a seed, often re-encoded first in another transfer syntax
/// (<see cref="DicomTranscoder"/>: every one Thorax reads, so each codec also gets the other codecs' streams and each
/// data set encoding gets every seed), walks its elements (<see cref="DicomLayout"/>) and applies one to three of:
/// length fields (zero, odd, off by two, to the end and past it, undefined, 2 and 4 GiB), VRs (another valid one, in
/// place or with the header re-encoded in the other length form, or invalid bytes), tags (pixel attributes, item and
/// delimiter tags, the meta group's, private, out of order), whole nodes (delete, duplicate, swap with the next),
/// values of the attributes that size the pixel buffers (Rows, Columns, Bits Allocated/Stored, High Bit, Samples per
/// Pixel, Number of Frames, Photometric Interpretation, Planar Configuration, rescale and window values), encapsulated
/// Pixel Data (offset table entries, adding or dropping the table, splitting, truncating, deleting, duplicating and
/// reordering fragments, bit flips inside one fragment only, removing the sequence delimiter) and the Transfer Syntax
/// UID (another syntax's or an unknown one, with the data set left as it is). Half of the edits that change a size fix
/// the enclosing lengths (items, sequences, the meta group length), so that they reach the code behind the parser.
/// Deterministic for a given <see cref="Random"/>.
/// </summary>
public sealed class DicomStructureMutator
{
    private const uint ItemTag = 0xFFFEE000;
    private static readonly TransferSyntax[] Syntaxes = [.. TransferSyntax.All.OrderBy(t => t.Uid, StringComparer.Ordinal)];
    private static readonly string[] OtherUids = ["1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.201", "1.2.3", "", "1.2.840.10008.1.2.1.98", "1.2.840.10008.1.2.4.50.1"];
    private static readonly string[] Vrs =
        ["OB", "OW", "SQ", "UN", "US", "UL", "SS", "SL", "CS", "DS", "IS", "LO", "UT", "AT", "FD", "FL", "OF", "OD", "UI", "SV", "UV", "OV", "UC", "UR"];
    private static readonly byte[][] BadVrs = ["ZZ"u8.ToArray(), [0, 0], "ob"u8.ToArray(), [0xFF, 0xFF], "O\0"u8.ToArray()];
    private static readonly uint[] Tags =
    [
        0x7FE00010, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280102, 0x00280103, 0x00280002, 0x00280008,
        0x00280004, 0x00280006, 0x00281052, 0x00281053, 0x00281050, 0x00281051, 0x00283010, 0x00020010, 0x00020000,
        0x00080005, 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0x00090010, 0x00091001, 0x00000000, 0xFFFFFFFF, 0x7FE00008,
        0x7FE00009, 0x00540081, 0x00281201, 0x00281101,
    ];

    /// <summary>Attributes that size or interpret the pixel data, with their VR's kind: 'u' US, 's' IS, 'c' CS, 'd' DS.</summary>
    private static readonly Dictionary<uint, char> PixelAttributes = new()
    {
        [0x00280010] = 'u', [0x00280011] = 'u', [0x00280100] = 'u', [0x00280101] = 'u', [0x00280102] = 'u',
        [0x00280103] = 'u', [0x00280002] = 'u', [0x00280006] = 'u', [0x00280008] = 's', [0x00280004] = 'c',
        [0x00281052] = 'd', [0x00281053] = 'd', [0x00281050] = 'd', [0x00281051] = 'd', [0x00080005] = 'c',
    };

    private static readonly ushort[] U16Values = [0, 1, 2, 3, 4, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 64, 255, 0x7FFF, 0x8000, 0xFFFF];
    private static readonly string[] IsValues = ["0", "-1", "1", "2", "3", "4", "7", "1000", "99999999", "2147483648", "1.5", "", "NaN", " 3", "3\\4", "+2"];
    private static readonly string[] CsValues =
    [
        "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_RCT", "YBR_ICT",
        "PALETTE COLOR", "ARGB", "", "MONOCHROME2\\RGB", "ISO_IR 192", "ISO 2022 IR 87", "GB18030", "monochrome2",
    ];
    private static readonly string[] DsValues = ["0", "-1", "1e308", "-1e308", "1e-308", "NaN", "inf", "-0", "1\\2", "", "abc", "4096", "-32768", "0.5", "1e5"];
    private static readonly uint[] Lengths32 = [0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0x7FFFFFFE, 0x10000000];

    private readonly IReadOnlyList<FuzzSeed> _seeds;
    private readonly Dictionary<(int Seed, int Syntax), DicomLayout?> _variants = [];

    public DicomStructureMutator(IReadOnlyList<FuzzSeed> seeds) => _seeds = seeds;

    /// <summary>Transfer syntaxes a case may be re-encoded in (every one <see cref="TransferSyntax"/> knows).</summary>
    public static IReadOnlyList<TransferSyntax> TransferSyntaxes => Syntaxes;

    /// <summary>One mutated input from seed <paramref name="seedIndex"/>.</summary>
    public byte[] Mutate(Random rng, int seedIndex)
    {
        // A third of the cases start from the seed re-encoded in another transfer syntax: half of them one of the same
        // kind (native pixels under another native encoding, fragments under another codec's syntax), the others any.
        var syntax = rng.Next(3) == 0 ? rng.Next(Syntaxes.Length) : -1;
        var original = Variant(seedIndex, -1);
        if (syntax >= 0 && rng.Next(2) == 0 && original?.Syntax is { } own)
        {
            var alike = Enumerable.Range(0, Syntaxes.Length).Where(k => Syntaxes[k].IsEncapsulated == own.IsEncapsulated).ToArray();
            syntax = alike[rng.Next(alike.Length)];
        }
        var layout = syntax >= 0 ? Variant(seedIndex, syntax) ?? original : original;
        if (layout is null || layout.Nodes.Count == 0) return _seeds[seedIndex].Bytes;
        var data = layout.Data;
        var current = layout;
        var rounds = syntax >= 0 && rng.Next(4) == 0 ? 0 : 1 + (rng.Next(3) == 0 ? rng.Next(1, 3) : 0);
        for (var r = 0; r < rounds; r++)
        {
            if (r > 0) current = DicomLayout.Walk(data, plainBody: true, deflated: layout.Deflated);
            if (current.Nodes.Count == 0) break;
            data = MutateOnce(rng, current);
        }
        return layout.Deflated ? layout.Encode(data, DicomLayout.Walk(data, plainBody: true, deflated: true).BodyStart) : data;
    }

    private DicomLayout? Variant(int seed, int syntax)
    {
        if (_variants.TryGetValue((seed, syntax), out var cached)) return cached;
        DicomLayout? layout = null;
        try
        {
            var bytes = _seeds[seed].Bytes;
            if (syntax >= 0) bytes = DicomTranscoder.Encode(DicomFile.Parse(bytes, _seeds[seed].Name), Syntaxes[syntax]);
            layout = DicomLayout.Walk(bytes);
        }
        catch (DicomException)
        {
            // A seed Thorax cannot parse is still mutated as it is.
        }
        return _variants[(seed, syntax)] = layout;
    }

    private static byte[] MutateOnce(Random rng, DicomLayout L)
    {
        var frags = L.Nodes.Select((n, i) => (n, i)).Where(x => x.n.Kind is DicomNodeKind.Fragment or DicomNodeKind.OffsetTable).Select(x => x.i).ToArray();
        var pick = rng.Next(10);
        if (pick == 9 && frags.Length == 0) pick = rng.Next(9);
        return pick switch
        {
            0 or 1 => Length(rng, L),
            2 => Vr(rng, L),
            3 => Tag(rng, L),
            4 => NodeOp(rng, L),
            5 or 6 => Value(rng, L),
            7 => Syntax(rng, L),
            8 when frags.Length > 0 && rng.Next(2) == 0 => Fragment(rng, L, frags),
            8 => Value(rng, L),
            _ => Fragment(rng, L, frags),
        };
    }

    private static int Any(Random rng, DicomLayout L, Func<DicomNode, bool> where)
    {
        var candidates = new List<int>();
        for (var i = 0; i < L.Nodes.Count; i++) if (where(L.Nodes[i])) candidates.Add(i);
        return candidates.Count == 0 ? -1 : candidates[rng.Next(candidates.Count)];
    }

    private static byte[] Length(Random rng, DicomLayout L)
    {
        var i = Any(rng, L, _ => true);
        var n = L.Nodes[i];
        var d = (byte[])L.Data.Clone();
        long len = n.Length < 0 ? n.End - n.ValueAt : n.Length;
        var rest = d.Length - n.ValueAt;
        long v = rng.Next(11) switch
        {
            0 => 0,
            1 => len + 1,
            2 => Math.Max(0, len - 2),
            3 => len + 2,
            4 => len + 8,
            5 => rest,
            6 => rest + 2,
            7 => rest - 1,
            8 => n.LengthWidth == 2 ? (rng.Next(2) == 0 ? 0xFFFF : 0xFFFE) : Lengths32[rng.Next(Lengths32.Length)],
            9 => n.LengthWidth == 2 ? 0x8000 : 0xFFFFFFFF,
            _ => len * 2,
        };
        WriteLength(d, n, (uint)Math.Clamp(v, 0, n.LengthWidth == 2 ? 0xFFFF : uint.MaxValue));
        return d;
    }

    private static byte[] Vr(Random rng, DicomLayout L)
    {
        var i = Any(rng, L, n => n.VrAt >= 0);
        if (i < 0) return Length(rng, L);
        var n = L.Nodes[i];
        var d = L.Data;
        if (rng.Next(4) == 0)
        {
            var bad = BadVrs[rng.Next(BadVrs.Length)];
            var c = (byte[])d.Clone();
            bad.CopyTo(c, n.VrAt);
            return c;
        }
        var vr = Vrs[rng.Next(Vrs.Length)];
        if (rng.Next(2) == 0)
        {
            var c = (byte[])d.Clone();
            Encoding.ASCII.GetBytes(vr).CopyTo(c, n.VrAt);
            return c;
        }
        // Re-encode the header in the new VR's length form, value unchanged (fixing enclosing lengths when it grows).
        var longForm = DicomLayout.IsLongVr(vr);
        long length = n.Length < 0 ? 0xFFFFFFFF : n.Length;
        var header = new byte[longForm ? 12 : 8];
        d.AsSpan(n.Start, 4).CopyTo(header);
        Encoding.ASCII.GetBytes(vr).CopyTo(header, 4);
        if (longForm) Write32(header, 8, (uint)length, n.BigEndian);
        else Write16(header, 6, (ushort)Math.Min(length, 0xFFFF), n.BigEndian);
        return Splice(L, i, n.Start, n.ValueAt - n.Start, header, rng.Next(2) == 0);
    }

    private static byte[] Tag(Random rng, DicomLayout L)
    {
        var i = Any(rng, L, _ => true);
        var n = L.Nodes[i];
        var d = (byte[])L.Data.Clone();
        uint tag;
        if (rng.Next(4) == 0)
        {
            // Out of order: the tag of an earlier or later node at the same level.
            var j = Any(rng, L, m => m.Parent == n.Parent && m.Kind != DicomNodeKind.Delimiter);
            tag = j < 0 ? Tags[0] : L.Nodes[j].Tag;
        }
        else tag = Tags[rng.Next(Tags.Length)];
        Write16(d, n.Start, (ushort)(tag >> 16), n.BigEndian);
        Write16(d, n.Start + 2, (ushort)tag, n.BigEndian);
        return d;
    }

    private static byte[] NodeOp(Random rng, DicomLayout L)
    {
        var i = Any(rng, L, n => !n.InMeta || rng.Next(4) == 0);
        if (i < 0) return Length(rng, L);
        var n = L.Nodes[i];
        var fix = rng.Next(2) == 0;
        switch (rng.Next(3))
        {
            case 0: // delete
                return Splice(L, i, n.Start, n.End - n.Start, [], fix);
            case 1: // duplicate
                return Splice(L, i, n.End, 0, L.Data.AsSpan(n.Start, n.End - n.Start).ToArray(), fix);
            default: // swap with the next sibling
            {
                var j = L.Nodes.FindIndex(i + 1, m => m.Parent == n.Parent && m.Start >= n.End);
                if (j < 0) return Splice(L, i, n.Start, n.End - n.Start, [], fix);
                var m = L.Nodes[j];
                var d = (byte[])L.Data.Clone();
                var a = L.Data.AsSpan(n.Start, n.End - n.Start).ToArray();
                var gap = L.Data.AsSpan(n.End, m.Start - n.End).ToArray();
                var b = L.Data.AsSpan(m.Start, m.End - m.Start).ToArray();
                b.CopyTo(d, n.Start);
                gap.CopyTo(d, n.Start + b.Length);
                a.CopyTo(d, n.Start + b.Length + gap.Length);
                return d;
            }
        }
    }

    private static byte[] Value(Random rng, DicomLayout L)
    {
        var i = Any(rng, L, n => n.Kind == DicomNodeKind.Element && PixelAttributes.ContainsKey(n.Tag));
        if (i < 0) return Length(rng, L);
        var n = L.Nodes[i];
        var kind = PixelAttributes[n.Tag];
        if (kind == 'u' && n.Length >= 2)
        {
            var d = (byte[])L.Data.Clone();
            Write16(d, n.ValueAt, U16Values[rng.Next(U16Values.Length)], n.BigEndian);
            return d;
        }
        var text = kind switch
        {
            's' => IsValues[rng.Next(IsValues.Length)],
            'c' => CsValues[rng.Next(CsValues.Length)],
            'd' => DsValues[rng.Next(DsValues.Length)],
            _ => U16Values[rng.Next(U16Values.Length)].ToString(),
        };
        var bytes = Encoding.ASCII.GetBytes(text.Length % 2 == 0 ? text : text + " ");
        return ReplaceValue(L, i, bytes, rng.Next(4) != 0);
    }

    private static byte[] Syntax(Random rng, DicomLayout L)
    {
        var i = L.Find(0x00020010);
        if (i < 0) return Tag(rng, L);
        var uid = rng.Next(5) == 0 ? OtherUids[rng.Next(OtherUids.Length)] : Syntaxes[rng.Next(Syntaxes.Length)].Uid;
        var bytes = Encoding.ASCII.GetBytes(uid);
        if (bytes.Length % 2 == 1) bytes = [.. bytes, 0];
        return ReplaceValue(L, i, bytes, rng.Next(5) != 0);
    }

    private static byte[] Fragment(Random rng, DicomLayout L, int[] frags)
    {
        if (frags.Length == 0) return Length(rng, L);
        var fix = rng.Next(2) == 0;
        var bot = frags.FirstOrDefault(f => L.Nodes[f].Kind == DicomNodeKind.OffsetTable, -1);
        var fragments = frags.Where(f => L.Nodes[f].Kind == DicomNodeKind.Fragment).ToArray();
        var n = L.Nodes[fragments.Length > 0 ? fragments[rng.Next(fragments.Length)] : frags[0]];
        var ni = L.Nodes.IndexOf(n);
        switch (rng.Next(9))
        {
            case 0 when bot >= 0 && L.Nodes[bot].Length >= 4: // one offset table entry
            {
                var b = L.Nodes[bot];
                var d = (byte[])L.Data.Clone();
                var k = rng.Next((int)b.Length / 4);
                var total = fragments.Length == 0 ? 0 : L.Nodes[fragments[^1]].End - L.Nodes[fragments[0]].Start;
                uint v = rng.Next(6) switch
                {
                    0 => 0,
                    1 => (uint)rng.Next(1, 64) * 2,
                    2 => (uint)total,
                    3 => (uint)total + 8,
                    4 => 0xFFFFFFF0,
                    _ => fragments.Length == 0 ? 0 : (uint)(L.Nodes[fragments[rng.Next(fragments.Length)]].Start - L.Nodes[fragments[0]].Start),
                };
                Write32(d, b.ValueAt + 4 * k, v, b.BigEndian);
                return d;
            }
            case 1 when bot >= 0: // a new offset table: empty, one entry per fragment, or one junk entry more
            {
                var b = L.Nodes[bot];
                byte[] table;
                switch (rng.Next(3))
                {
                    case 0: table = []; break;
                    case 1:
                        table = new byte[fragments.Length * 4];
                        for (var f = 0; f < fragments.Length; f++)
                            Write32(table, 4 * f, (uint)(L.Nodes[fragments[f]].Start - L.Nodes[fragments[0]].Start), b.BigEndian);
                        break;
                    default:
                        table = new byte[b.Length + 4];
                        L.Data.AsSpan(b.ValueAt, (int)b.Length).CopyTo(table);
                        Write32(table, (int)b.Length, (uint)rng.Next(), b.BigEndian);
                        break;
                }
                return ReplaceValue(L, bot, table, true);
            }
            case 2 when n.Length >= 4: // split a fragment in two
            {
                var at = 2 * rng.Next(1, (int)n.Length / 2);
                var header = new byte[8];
                Write16(header, 0, 0xFFFE, n.BigEndian);
                Write16(header, 2, 0xE000, n.BigEndian);
                Write32(header, 4, (uint)(n.Length - at), n.BigEndian);
                var d = Splice(L, ni, n.ValueAt + at, 0, header, fix);
                Write32(d, n.LengthAt, (uint)at, n.BigEndian);
                return d;
            }
            case 3 when n.Length >= 2: // truncate a fragment, its length kept consistent
            {
                var keep = 2 * rng.Next((int)n.Length / 2);
                var d = Splice(L, ni, n.ValueAt + keep, (int)n.Length - keep, [], fix);
                Write32(d, n.LengthAt, (uint)keep, n.BigEndian);
                return d;
            }
            case 4: // bit flips inside one fragment (the codec gets a damaged stream in an intact container)
            {
                var d = (byte[])L.Data.Clone();
                if (n.Length == 0) return d;
                for (var k = 1 + rng.Next(8); k > 0; k--) d[n.ValueAt + rng.Next((int)n.Length)] ^= (byte)(1 << rng.Next(8));
                return d;
            }
            case 5: // delete a fragment (or the offset table)
                return Splice(L, ni, n.Start, n.End - n.Start, [], fix);
            case 6: // duplicate a fragment
                return Splice(L, ni, n.End, 0, L.Data.AsSpan(n.Start, n.End - n.Start).ToArray(), fix);
            case 7 when fragments.Length >= 2: // swap two fragments
            {
                var a = L.Nodes[fragments[0]];
                var b = L.Nodes[fragments[1 + rng.Next(fragments.Length - 1)]];
                var bytes = new List<byte>();
                bytes.AddRange(L.Data.AsSpan(0, a.Start).ToArray());
                bytes.AddRange(L.Data.AsSpan(b.Start, b.End - b.Start).ToArray());
                bytes.AddRange(L.Data.AsSpan(a.End, b.Start - a.End).ToArray());
                bytes.AddRange(L.Data.AsSpan(a.Start, a.End - a.Start).ToArray());
                bytes.AddRange(L.Data.AsSpan(b.End).ToArray());
                return bytes.ToArray();
            }
            default: // drop the sequence delimiter (data follows, or the file ends)
            {
                var delim = L.Nodes.FindIndex(m => m.Kind == DicomNodeKind.Delimiter && m.Parent >= 0 && L.Nodes[m.Parent].Kind == DicomNodeKind.Encapsulated);
                if (delim < 0) return Length(rng, L);
                var m = L.Nodes[delim];
                return Splice(L, delim, m.Start, 8, [], false);
            }
        }
    }

    /// <summary>Replaces a node's value; with <paramref name="fix"/> its length and the enclosing lengths follow.</summary>
    private static byte[] ReplaceValue(DicomLayout L, int i, byte[] value, bool fix)
    {
        var n = L.Nodes[i];
        var old = (int)Math.Max(0, n.Length);
        if (n.LengthWidth == 2 && value.Length > 0xFFFF) value = value[..0xFFFE];
        var d = Splice(L, i, n.ValueAt, old, value, fix);
        if (fix) WriteLength(d, n, (uint)value.Length);
        return d;
    }

    /// <summary>Replaces <paramref name="remove"/> bytes at <paramref name="at"/> by <paramref name="insert"/>; with
    /// <paramref name="fixParents"/> the defined lengths of the node's enclosing items and sequences, and the meta group
    /// length for a meta element, change by the difference.</summary>
    private static byte[] Splice(DicomLayout L, int node, int at, int remove, byte[] insert, bool fixParents)
    {
        var src = L.Data;
        remove = Math.Clamp(remove, 0, src.Length - at);
        var d = new byte[src.Length - remove + insert.Length];
        src.AsSpan(0, at).CopyTo(d);
        insert.CopyTo(d, at);
        src.AsSpan(at + remove).CopyTo(d.AsSpan(at + insert.Length));
        var delta = insert.Length - remove;
        if (!fixParents || delta == 0) return d;
        var n = L.Nodes[node];
        for (var p = n.Parent; p >= 0; p = L.Nodes[p].Parent)
        {
            var parent = L.Nodes[p];
            if (parent.Length >= 0 && parent.LengthAt < at) WriteLength(d, parent, (uint)Math.Max(0, parent.Length + delta));
        }
        if (n.InMeta && L.Find(0x00020000) is var g and >= 0 && L.Nodes[g].Length == 4 && L.Nodes[g].ValueAt < at)
        {
            var gl = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(L.Nodes[g].ValueAt));
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(L.Nodes[g].ValueAt), (uint)(gl + delta));
        }
        return d;
    }

    private static void WriteLength(byte[] d, DicomNode n, uint v)
    {
        if (n.LengthWidth == 2) Write16(d, n.LengthAt, (ushort)Math.Min(v, 0xFFFF), n.BigEndian);
        else Write32(d, n.LengthAt, v, n.BigEndian);
    }

    private static void Write16(byte[] d, int at, ushort v, bool big)
    {
        if (at + 2 > d.Length) return;
        if (big) BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(at), v);
    }

    private static void Write32(byte[] d, int at, uint v, bool big)
    {
        if (at + 4 > d.Length) return;
        if (big) BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at), v);
    }
}
