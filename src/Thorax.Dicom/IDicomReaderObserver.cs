namespace Thorax.Dicom;

/// <summary>
/// Receives parse events from <see cref="DicomReader"/> in stream order. Values are passed as little-endian bytes
/// (big-endian input is swapped first). Offsets are byte positions of the element header in the parsed buffer.
/// </summary>
public interface IDicomReaderObserver
{
    /// <summary>A plain element.</summary>
    void OnElement(DicomTag tag, DicomVR vr, long offset, ReadOnlyMemory<byte> value);

    /// <summary>Start of a sequence; items follow until <see cref="OnEndSequence"/>.</summary>
    void OnBeginSequence(DicomTag tag, long offset);

    /// <summary>Start of an item of the current sequence.</summary>
    void OnBeginItem(long offset);

    /// <summary>End of the current item.</summary>
    void OnEndItem();

    /// <summary>End of the current sequence.</summary>
    void OnEndSequence();

    /// <summary>Encapsulated pixel data: the basic offset table (maybe empty) and fragment payloads.</summary>
    void OnFragmentSequence(DicomTag tag, long offset, IReadOnlyList<uint> offsetTable, IReadOnlyList<ReadOnlyMemory<byte>> fragments);
}
