using System.Collections.Frozen;

namespace Thorax.Dicom;

/// <summary>How a VR's value bytes are interpreted.</summary>
public enum DicomVRKind
{
    /// <summary>Character string (AE, AS, CS, DA, DS, DT, IS, LO, LT, PN, SH, ST, TM, UC, UI, UR, UT).</summary>
    Text,
    /// <summary>Fixed-size binary numbers (AT, FL, FD, SL, SS, SV, UL, US, UV).</summary>
    Binary,
    /// <summary>"Other" byte or word streams (OB, OD, OF, OL, OV, OW, UN).</summary>
    Other,
    /// <summary>Sequence of items (SQ).</summary>
    Sequence,
}

/// <summary>
/// A DICOM value representation (PS3.5 6.2). Instances are the static fields (e.g. <see cref="US"/>);
/// compare with <c>==</c> (one instance per code).
/// </summary>
public sealed class DicomVR
{
    private DicomVR(string code, DicomVRKind kind, int unitSize, bool longLength, byte padding, bool swapInBigEndian)
    {
        Code = code;
        Kind = kind;
        UnitSize = unitSize;
        HasLongLength = longLength;
        PaddingByte = padding;
        SwapUnitSize = swapInBigEndian ? unitSize : 1;
    }

    /// <summary>Two-letter code, e.g. "US".</summary>
    public string Code { get; }

    /// <summary>Text, binary, other or sequence.</summary>
    public DicomVRKind Kind { get; }

    /// <summary>Bytes per value for binary VRs (2 for US, 8 for FD, 4 for AT), 1 for text and OB/UN.</summary>
    public int UnitSize { get; }

    /// <summary>Byte-swap unit when converting between little and big endian (1 = no swap).</summary>
    internal int SwapUnitSize { get; }

    /// <summary>True when explicit VR encoding uses 2 reserved bytes and a 32-bit length (OB, OW, SQ, UN, UT, ...).</summary>
    public bool HasLongLength { get; }

    /// <summary>Byte used to pad odd-length values: space for text (NUL for UI), NUL otherwise.</summary>
    public byte PaddingByte { get; }

    /// <summary>True for character-string VRs.</summary>
    public bool IsText => Kind == DicomVRKind.Text;

    /// <summary>True for text VRs whose values are split by '\' (all except LT, ST, UT, UR).</summary>
    public bool IsMultiValuedText => IsText && Code is not ("LT" or "ST" or "UT" or "UR");

    /// <summary>True for text VRs affected by Specific Character Set (LO, LT, PN, SH, ST, UC, UT).</summary>
    public bool UsesCharacterSet => Code is "LO" or "LT" or "PN" or "SH" or "ST" or "UC" or "UT";

    /// <summary>Application Entity.</summary>
    public static readonly DicomVR AE = new("AE", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Age String.</summary>
    public static readonly DicomVR AS = new("AS", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Attribute Tag (two 16-bit words).</summary>
    public static readonly DicomVR AT = new("AT", DicomVRKind.Binary, 4, false, 0, false);
    /// <summary>Code String.</summary>
    public static readonly DicomVR CS = new("CS", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Date.</summary>
    public static readonly DicomVR DA = new("DA", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Decimal String.</summary>
    public static readonly DicomVR DS = new("DS", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Date Time.</summary>
    public static readonly DicomVR DT = new("DT", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Floating Point Single.</summary>
    public static readonly DicomVR FL = new("FL", DicomVRKind.Binary, 4, false, 0, true);
    /// <summary>Floating Point Double.</summary>
    public static readonly DicomVR FD = new("FD", DicomVRKind.Binary, 8, false, 0, true);
    /// <summary>Integer String.</summary>
    public static readonly DicomVR IS = new("IS", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Long String.</summary>
    public static readonly DicomVR LO = new("LO", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Long Text.</summary>
    public static readonly DicomVR LT = new("LT", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Other Byte.</summary>
    public static readonly DicomVR OB = new("OB", DicomVRKind.Other, 1, true, 0, false);
    /// <summary>Other Double.</summary>
    public static readonly DicomVR OD = new("OD", DicomVRKind.Other, 8, true, 0, true);
    /// <summary>Other Float.</summary>
    public static readonly DicomVR OF = new("OF", DicomVRKind.Other, 4, true, 0, true);
    /// <summary>Other Long.</summary>
    public static readonly DicomVR OL = new("OL", DicomVRKind.Other, 4, true, 0, true);
    /// <summary>Other 64-bit Very Long.</summary>
    public static readonly DicomVR OV = new("OV", DicomVRKind.Other, 8, true, 0, true);
    /// <summary>Other Word.</summary>
    public static readonly DicomVR OW = new("OW", DicomVRKind.Other, 2, true, 0, true);
    /// <summary>Person Name.</summary>
    public static readonly DicomVR PN = new("PN", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Short String.</summary>
    public static readonly DicomVR SH = new("SH", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Signed Long.</summary>
    public static readonly DicomVR SL = new("SL", DicomVRKind.Binary, 4, false, 0, true);
    /// <summary>Sequence of Items.</summary>
    public static readonly DicomVR SQ = new("SQ", DicomVRKind.Sequence, 1, true, 0, false);
    /// <summary>Signed Short.</summary>
    public static readonly DicomVR SS = new("SS", DicomVRKind.Binary, 2, false, 0, true);
    /// <summary>Short Text.</summary>
    public static readonly DicomVR ST = new("ST", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Signed 64-bit Very Long.</summary>
    public static readonly DicomVR SV = new("SV", DicomVRKind.Binary, 8, true, 0, true);
    /// <summary>Time.</summary>
    public static readonly DicomVR TM = new("TM", DicomVRKind.Text, 1, false, 0x20, false);
    /// <summary>Unlimited Characters.</summary>
    public static readonly DicomVR UC = new("UC", DicomVRKind.Text, 1, true, 0x20, false);
    /// <summary>Unique Identifier (padded with NUL).</summary>
    public static readonly DicomVR UI = new("UI", DicomVRKind.Text, 1, false, 0x00, false);
    /// <summary>Unsigned Long.</summary>
    public static readonly DicomVR UL = new("UL", DicomVRKind.Binary, 4, false, 0, true);
    /// <summary>Unknown.</summary>
    public static readonly DicomVR UN = new("UN", DicomVRKind.Other, 1, true, 0, false);
    /// <summary>Universal Resource Identifier.</summary>
    public static readonly DicomVR UR = new("UR", DicomVRKind.Text, 1, true, 0x20, false);
    /// <summary>Unsigned Short.</summary>
    public static readonly DicomVR US = new("US", DicomVRKind.Binary, 2, false, 0, true);
    /// <summary>Unlimited Text.</summary>
    public static readonly DicomVR UT = new("UT", DicomVRKind.Text, 1, true, 0x20, false);
    /// <summary>Unsigned 64-bit Very Long.</summary>
    public static readonly DicomVR UV = new("UV", DicomVRKind.Binary, 8, true, 0, true);

    private static readonly FrozenDictionary<string, DicomVR> ByCode = new[]
    {
        AE, AS, AT, CS, DA, DS, DT, FL, FD, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI,
        UL, UN, UR, US, UT, UV,
    }.ToFrozenDictionary(v => v.Code, StringComparer.Ordinal);

    /// <summary>Every defined VR.</summary>
    public static IEnumerable<DicomVR> All => ByCode.Values;

    /// <summary>Looks up a VR by its two-letter code.</summary>
    public static bool TryParse(string code, out DicomVR vr) => ByCode.TryGetValue(code, out vr!);

    /// <summary>Looks up a VR by its two ASCII bytes as found in explicit VR data.</summary>
    internal static bool TryParse(byte b0, byte b1, out DicomVR vr)
    {
        vr = null!;
        if (b0 < 'A' || b0 > 'Z' || b1 < 'A' || b1 > 'Z') return false;
        Span<char> s = [(char)b0, (char)b1];
        return ByCode.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(s, out vr!);
    }

    /// <summary>Looks up a VR by its two-letter code.</summary>
    /// <exception cref="ArgumentException">Unknown code.</exception>
    public static DicomVR Parse(string code) =>
        TryParse(code, out var vr) ? vr : throw new ArgumentException($"Unknown DICOM VR '{code}'.", nameof(code));

    /// <inheritdoc/>
    public override string ToString() => Code;
}
