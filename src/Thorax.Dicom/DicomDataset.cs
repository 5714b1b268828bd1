using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Thorax.Dicom;

/// <summary>
/// An ordered collection of DICOM items keyed by tag (private tags included). Text is decoded with the encoding
/// named by this data set's Specific Character Set, or inherited from the enclosing data set for sequence items.
/// Accessors come as triples: <c>GetX</c> (throws <see cref="DicomDataException"/>), <c>TryGetX</c> and
/// <c>GetXOrDefault</c>.
/// </summary>
public sealed class DicomDataset : IEnumerable<DicomItem>
{
    private readonly SortedList<DicomTag, DicomItem> _items = [];
    private Encoding? _ownEncoding;

    /// <summary>Creates an empty data set; <paramref name="parent"/> supplies the inherited character set.</summary>
    public DicomDataset(DicomDataset? parent = null) => Parent = parent;

    /// <summary>The data set containing the sequence this item belongs to, or null at top level.</summary>
    public DicomDataset? Parent { get; }

    /// <summary>Encoding used for text values (from Specific Character Set, else the parent's, else ASCII).</summary>
    public Encoding TextEncoding => _ownEncoding ?? Parent?.TextEncoding ?? Encoding.ASCII;

    /// <summary>Number of top-level items.</summary>
    public int Count => _items.Count;

    /// <summary>True when the tag is present.</summary>
    public bool Contains(DicomTag tag) => _items.ContainsKey(tag);

    /// <summary>Adds or replaces an item; returns this data set.</summary>
    public DicomDataset AddOrUpdate(DicomItem item)
    {
        _items[item.Tag] = item;
        if (item.Tag == DicomTag.SpecificCharacterSet && item is DicomElement e)
            _ownEncoding = DicomCharacterSet.ToEncoding(Encoding.ASCII.GetString(e.Data.Span));
        return this;
    }

    /// <summary>Adds or replaces a text element (padded to even length).</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, DicomVR vr, string value) =>
        AddOrUpdate(DicomElement.FromText(tag, vr, value, vr.UsesCharacterSet ? TextEncoding : Encoding.ASCII));

    /// <summary>Adds or replaces a binary numeric element (US, SS, UL, SL, FL, FD, OW).</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, DicomVR vr, params double[] values) =>
        AddOrUpdate(DicomElement.FromNumbers(tag, vr, values));

    /// <summary>Removes an item if present; returns this data set.</summary>
    public DicomDataset Remove(DicomTag tag)
    {
        _items.Remove(tag);
        if (tag == DicomTag.SpecificCharacterSet) _ownEncoding = null;
        return this;
    }

    /// <summary>The item with this tag.</summary>
    /// <exception cref="DicomDataException">The tag is absent.</exception>
    public DicomItem GetItem(DicomTag tag) =>
        _items.TryGetValue(tag, out var item) ? item : throw Missing(tag);

    /// <summary>Tries to get the item with this tag.</summary>
    public bool TryGetItem(DicomTag tag, [NotNullWhen(true)] out DicomItem? item) => _items.TryGetValue(tag, out item);

    // ---- strings -------------------------------------------------------------------------------------------

    /// <summary>The element's value as one string (text trimmed; binary values formatted invariantly and joined by '\').</summary>
    /// <exception cref="DicomDataException">Absent, or a sequence / encapsulated pixel data.</exception>
    public string GetString(DicomTag tag) =>
        TryGetString(tag, out var s) ? s : throw (Contains(tag) ? NotConvertible(tag, "string") : Missing(tag));

    /// <summary>Tries to read the element's value as one string.</summary>
    public bool TryGetString(DicomTag tag, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (!_items.TryGetValue(tag, out var item) || item is not DicomElement e) return false;
        if (e.VR.IsText)
        {
            value = e.GetText(EncodingFor(e));
            return true;
        }
        if (e.VR == DicomVR.AT)
        {
            var parts = new List<string>();
            var span = e.Data.Span;
            for (int i = 0; i + 4 <= span.Length; i += 4)
                parts.Add(new DicomTag(BitConverter.ToUInt16(span[i..]), BitConverter.ToUInt16(span[(i + 2)..])).ToString());
            value = string.Join('\\', parts);
            return true;
        }
        if (e.VR.Kind == DicomVRKind.Binary || e.VR == DicomVR.OW || e.VR == DicomVR.OF || e.VR == DicomVR.OD)
        {
            int n = e.Data.Length / e.VR.UnitSize;
            var parts = new string[n];
            for (int i = 0; i < n; i++)
            {
                e.TryGetDouble(i, Encoding.ASCII, out var d);
                parts[i] = d.ToString("R", CultureInfo.InvariantCulture);
            }
            value = string.Join('\\', parts);
            return true;
        }
        value = Convert.ToHexString(e.Data.Span);
        return true;
    }

    /// <summary>The element's value as one string, or <paramref name="defaultValue"/> when absent.</summary>
    public string? GetStringOrDefault(DicomTag tag, string? defaultValue = null) =>
        TryGetString(tag, out var s) ? s : defaultValue;

    /// <summary>The element's values: text split at '\', binary values formatted invariantly.</summary>
    public string[] GetStrings(DicomTag tag) =>
        TryGetStrings(tag, out var s) ? s : throw (Contains(tag) ? NotConvertible(tag, "strings") : Missing(tag));

    /// <summary>Tries to read the element's values as strings.</summary>
    public bool TryGetStrings(DicomTag tag, [NotNullWhen(true)] out string[]? values)
    {
        values = null;
        if (!_items.TryGetValue(tag, out var item) || item is not DicomElement e) return false;
        if (e.VR.IsText)
        {
            values = e.Data.IsEmpty ? [] : e.GetTextValues(EncodingFor(e));
            return true;
        }
        if (!TryGetString(tag, out var joined)) return false;
        values = joined.Length == 0 ? [] : joined.Split('\\');
        return true;
    }

    // ---- integers ------------------------------------------------------------------------------------------

    /// <summary>Value <paramref name="index"/> as an int (US, SS, UL, SL, IS...).</summary>
    /// <exception cref="DicomDataException">Absent, empty, not integral, or out of int range.</exception>
    public int GetInt(DicomTag tag, int index = 0) =>
        TryGetInt(tag, out var v, index) ? v : throw (Contains(tag) ? NotConvertible(tag, $"int (value {index})") : Missing(tag));

    /// <summary>Tries to read value <paramref name="index"/> as an int.</summary>
    public bool TryGetInt(DicomTag tag, out int value, int index = 0)
    {
        value = 0;
        if (!_items.TryGetValue(tag, out var item) || item is not DicomElement e) return false;
        if (!e.TryGetInt64(index, EncodingFor(e), out var l) || l < int.MinValue || l > int.MaxValue) return false;
        value = (int)l;
        return true;
    }

    /// <summary>Value <paramref name="index"/> as an int, or <paramref name="defaultValue"/> when absent or unreadable.</summary>
    public int GetIntOrDefault(DicomTag tag, int defaultValue, int index = 0) =>
        TryGetInt(tag, out var v, index) ? v : defaultValue;

    /// <summary>All values as ints.</summary>
    public int[] GetInts(DicomTag tag) =>
        TryGetInts(tag, out var v) ? v : throw (Contains(tag) ? NotConvertible(tag, "int[]") : Missing(tag));

    /// <summary>Tries to read all values as ints.</summary>
    public bool TryGetInts(DicomTag tag, [NotNullWhen(true)] out int[]? values)
    {
        values = null;
        if (!_items.TryGetValue(tag, out var item) || item is not DicomElement e) return false;
        int n = e.ValueCount(EncodingFor(e));
        var result = new int[n];
        for (int i = 0; i < n; i++)
            if (!TryGetInt(tag, out result[i], i)) return false;
        values = result;
        return true;
    }

    // ---- doubles -------------------------------------------------------------------------------------------

    /// <summary>Value <paramref name="index"/> as a double (DS, IS, FL, FD or any binary integer).</summary>
    /// <exception cref="DicomDataException">Absent, empty or not numeric.</exception>
    public double GetDouble(DicomTag tag, int index = 0) =>
        TryGetDouble(tag, out var v, index) ? v : throw (Contains(tag) ? NotConvertible(tag, $"double (value {index})") : Missing(tag));

    /// <summary>Tries to read value <paramref name="index"/> as a double.</summary>
    public bool TryGetDouble(DicomTag tag, out double value, int index = 0)
    {
        value = 0;
        return _items.TryGetValue(tag, out var item) && item is DicomElement e && e.TryGetDouble(index, EncodingFor(e), out value);
    }

    /// <summary>Value <paramref name="index"/> as a double, or <paramref name="defaultValue"/> when absent or unreadable.</summary>
    public double GetDoubleOrDefault(DicomTag tag, double defaultValue, int index = 0) =>
        TryGetDouble(tag, out var v, index) ? v : defaultValue;

    /// <summary>All values as doubles (e.g. PixelSpacing: row spacing then column spacing, mm).</summary>
    public double[] GetDoubles(DicomTag tag) =>
        TryGetDoubles(tag, out var v) ? v : throw (Contains(tag) ? NotConvertible(tag, "double[]") : Missing(tag));

    /// <summary>Tries to read all values as doubles.</summary>
    public bool TryGetDoubles(DicomTag tag, [NotNullWhen(true)] out double[]? values)
    {
        values = null;
        if (!_items.TryGetValue(tag, out var item) || item is not DicomElement e) return false;
        var enc = EncodingFor(e);
        int n = e.ValueCount(enc);
        var result = new double[n];
        for (int i = 0; i < n; i++)
            if (!e.TryGetDouble(i, enc, out result[i])) return false;
        values = result;
        return true;
    }

    // ---- sequences -----------------------------------------------------------------------------------------

    /// <summary>The sequence with this tag.</summary>
    /// <exception cref="DicomDataException">Absent or not a sequence.</exception>
    public DicomSequence GetSequence(DicomTag tag) =>
        TryGetSequence(tag, out var s) ? s : throw (Contains(tag) ? NotConvertible(tag, "sequence") : Missing(tag));

    /// <summary>Tries to get the sequence with this tag.</summary>
    public bool TryGetSequence(DicomTag tag, [NotNullWhen(true)] out DicomSequence? sequence)
    {
        sequence = _items.TryGetValue(tag, out var item) ? item as DicomSequence : null;
        return sequence is not null;
    }

    /// <summary>The sequence with this tag, or null.</summary>
    public DicomSequence? GetSequenceOrDefault(DicomTag tag) => TryGetSequence(tag, out var s) ? s : null;

    /// <summary>Items in ascending tag order.</summary>
    public IEnumerator<DicomItem> GetEnumerator() => _items.Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Encoding EncodingFor(DicomElement e) => e.VR.UsesCharacterSet ? TextEncoding : Encoding.ASCII;

    private static DicomDataException Missing(DicomTag tag) =>
        new($"Required element {tag} {DicomTags.KeywordOf(tag)} is absent.", tag);

    private DicomDataException NotConvertible(DicomTag tag, string what) =>
        new($"Element {tag} {DicomTags.KeywordOf(tag)} ({_items[tag].VR}) cannot be read as {what}.", tag);
}
