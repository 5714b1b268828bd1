namespace Thorax.Dicom;

/// <summary>A sequence (VR SQ): an ordered list of nested data sets (items).</summary>
public sealed class DicomSequence : DicomItem
{
    private readonly List<DicomDataset> _items;

    /// <summary>Creates a sequence with the given items.</summary>
    public DicomSequence(DicomTag tag, IEnumerable<DicomDataset>? items = null) : base(tag, DicomVR.SQ) =>
        _items = items is null ? [] : [.. items];

    /// <summary>The items, in order.</summary>
    public IReadOnlyList<DicomDataset> Items => _items;

    /// <summary>Appends an item.</summary>
    public DicomSequence Add(DicomDataset item)
    {
        _items.Add(item);
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Tag} SQ ({_items.Count} items)";
}
