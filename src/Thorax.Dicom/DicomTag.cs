using System.Globalization;

namespace Thorax.Dicom;

/// <summary>
/// A DICOM attribute tag (group, element). Ordered by group then element, as elements appear in a data set.
/// Well-known tags are static fields generated from <c>DicomTags.tsv</c> (e.g. <see cref="PixelData"/>).
/// </summary>
/// <param name="Group">Group number, e.g. 0x0028 for the image pixel module.</param>
/// <param name="Element">Element number within the group.</param>
public readonly partial record struct DicomTag(ushort Group, ushort Element) : IComparable<DicomTag>
{
    /// <summary>The tag as one 32-bit value, group in the high 16 bits.</summary>
    public uint Value => ((uint)Group << 16) | Element;

    /// <summary>True for tags in odd groups (private data elements), except the reserved groups 1, 3, 5, 7 and 0xFFFF.</summary>
    public bool IsPrivate => (Group & 1) == 1 && Group > 0x0008 && Group != 0xFFFF;

    /// <summary>True for private creator elements (gggg,0010)-(gggg,00FF) in an odd group.</summary>
    public bool IsPrivateCreator => IsPrivate && Element >= 0x0010 && Element <= 0x00FF;

    /// <summary>True for group length elements (gggg,0000).</summary>
    public bool IsGroupLength => Element == 0x0000;

    /// <summary>Creates a tag from its 32-bit value (group in the high 16 bits).</summary>
    public static DicomTag FromValue(uint value) => new((ushort)(value >> 16), (ushort)(value & 0xFFFF));

    /// <summary>Parses "(gggg,eeee)", "gggg,eeee" or "ggggeeee" (hexadecimal).</summary>
    /// <exception cref="FormatException">The text is not a tag.</exception>
    public static DicomTag Parse(string text)
    {
        if (TryParse(text, out var tag)) return tag;
        throw new FormatException($"'{text}' is not a DICOM tag; expected (gggg,eeee).");
    }

    /// <summary>Tries to parse "(gggg,eeee)", "gggg,eeee" or "ggggeeee".</summary>
    public static bool TryParse(string? text, out DicomTag tag)
    {
        tag = default;
        if (text is null) return false;
        var t = text.Trim().TrimStart('(').TrimEnd(')').Replace(",", "", StringComparison.Ordinal);
        if (t.Length != 8) return false;
        if (!uint.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)) return false;
        tag = FromValue(v);
        return true;
    }

    /// <inheritdoc/>
    public int CompareTo(DicomTag other) => Value.CompareTo(other.Value);

    /// <summary>Ordering by group then element.</summary>
    public static bool operator <(DicomTag a, DicomTag b) => a.Value < b.Value;

    /// <summary>Ordering by group then element.</summary>
    public static bool operator >(DicomTag a, DicomTag b) => a.Value > b.Value;

    /// <summary>Ordering by group then element.</summary>
    public static bool operator <=(DicomTag a, DicomTag b) => a.Value <= b.Value;

    /// <summary>Ordering by group then element.</summary>
    public static bool operator >=(DicomTag a, DicomTag b) => a.Value >= b.Value;

    /// <summary>Formats as "(gggg,eeee)" in upper-case hexadecimal.</summary>
    public override string ToString() => $"({Group:X4},{Element:X4})";
}
