namespace Thorax.Dicom;

/// <summary>Observer that builds a <see cref="DicomDataset"/> tree from reader events.</summary>
public sealed class DicomDatasetBuilder : IDicomReaderObserver
{
    private readonly Stack<DicomDataset> _datasets = new();
    private readonly Stack<DicomSequence> _sequences = new();

    /// <summary>Creates a builder filling <paramref name="root"/> (a new data set when null).</summary>
    public DicomDatasetBuilder(DicomDataset? root = null)
    {
        Dataset = root ?? new DicomDataset();
        _datasets.Push(Dataset);
    }

    /// <summary>The data set being built.</summary>
    public DicomDataset Dataset { get; }

    /// <inheritdoc/>
    public void OnElement(DicomTag tag, DicomVR vr, long offset, ReadOnlyMemory<byte> value) =>
        _datasets.Peek().AddOrUpdate(new DicomElement(tag, vr, value));

    /// <inheritdoc/>
    public void OnBeginSequence(DicomTag tag, long offset)
    {
        var seq = new DicomSequence(tag);
        _datasets.Peek().AddOrUpdate(seq);
        _sequences.Push(seq);
    }

    /// <inheritdoc/>
    public void OnBeginItem(long offset)
    {
        var item = new DicomDataset(_datasets.Peek());
        _sequences.Peek().Add(item);
        _datasets.Push(item);
    }

    /// <inheritdoc/>
    public void OnEndItem() => _datasets.Pop();

    /// <inheritdoc/>
    public void OnEndSequence() => _sequences.Pop();

    /// <inheritdoc/>
    public void OnFragmentSequence(DicomTag tag, long offset, IReadOnlyList<uint> offsetTable, IReadOnlyList<ReadOnlyMemory<byte>> fragments) =>
        _datasets.Peek().AddOrUpdate(new DicomFragmentSequence(tag, offsetTable, fragments));
}
