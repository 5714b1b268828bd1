namespace Thorax.Dicom;

/// <summary>
/// A LUT from a Modality or VOI LUT Sequence item (PS3.3 C.11.1/C.11.2): inputs below <see cref="FirstMapped"/> give
/// the first entry, inputs past the end give the last entry.
/// </summary>
public sealed class TableLut : ILutStep
{
    private readonly int[] _entries;

    /// <summary>Creates the LUT.</summary>
    /// <param name="firstMapped">Input value mapped to entry 0 (LUT Descriptor value 2).</param>
    /// <param name="bitsPerEntry">LUT Descriptor value 3; output range is [0, 2^bits - 1].</param>
    /// <param name="entries">LUT Data.</param>
    public TableLut(int firstMapped, int bitsPerEntry, int[] entries)
    {
        if (entries.Length == 0) throw new ArgumentException("A LUT needs at least one entry.", nameof(entries));
        FirstMapped = firstMapped;
        BitsPerEntry = bitsPerEntry;
        _entries = entries;
    }

    /// <summary>Input value mapped to the first entry.</summary>
    public int FirstMapped { get; }

    /// <summary>Bits per entry; outputs lie in [0, 2^BitsPerEntry - 1].</summary>
    public int BitsPerEntry { get; }

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Length;

    /// <summary>Largest possible output, 2^BitsPerEntry - 1.</summary>
    public double MaxOutput => (1L << BitsPerEntry) - 1;

    /// <inheritdoc/>
    public double Apply(double value)
    {
        long i = (long)Math.Floor(value) - FirstMapped;
        if (i <= 0) return _entries[0];
        if (i >= _entries.Length) return _entries[^1];
        return _entries[i];
    }

    /// <summary>Reads a LUT sequence item (LUT Descriptor + LUT Data).</summary>
    /// <exception cref="DicomFormatException">Descriptor or data missing or inconsistent.</exception>
    public static TableLut FromItem(DicomDataset item, bool firstMappedSigned, string? filePath = null)
    {
        if (!item.TryGetInts(DicomTag.LUTDescriptor, out var d) || d.Length != 3)
            throw new DicomFormatException("LUT Descriptor must have 3 values.", filePath, DicomTag.LUTDescriptor);
        int count = d[0] == 0 ? 65536 : d[0];
        int first = firstMappedSigned ? (short)(ushort)d[1] : (ushort)d[1];
        int bits = d[2];
        if (bits < 1 || bits > 16) throw new DicomFormatException($"LUT bits per entry {bits} outside 1..16.", filePath, DicomTag.LUTDescriptor);
        if (item.GetItem(DicomTag.LUTData) is not DicomElement data)
            throw new DicomFormatException("LUT Data is not a plain element.", filePath, DicomTag.LUTData);
        var span = data.Data.Span;
        var entries = new int[count];
        if (bits <= 8 && span.Length == count) // 8-bit entries packed one per byte (allowed for OW LUT Data)
            for (int i = 0; i < count; i++) entries[i] = span[i];
        else if (span.Length >= 2 * count)
            for (int i = 0; i < count; i++) entries[i] = span[2 * i] | (span[2 * i + 1] << 8);
        else
            throw new DicomFormatException($"LUT Data has {span.Length} bytes for {count} entries.", filePath, DicomTag.LUTData);
        return new TableLut(first, bits, entries);
    }
}
