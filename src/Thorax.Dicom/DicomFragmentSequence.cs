namespace Thorax.Dicom;

/// <summary>
/// Encapsulated pixel data (PS3.5 A.4): a basic offset table (possibly empty) followed by compressed fragments.
/// Offsets are byte positions of each frame's first fragment item, relative to the first fragment item.
/// </summary>
public sealed class DicomFragmentSequence : DicomItem
{
    /// <summary>Creates encapsulated pixel data.</summary>
    /// <param name="tag">Usually <see cref="DicomTag.PixelData"/>.</param>
    /// <param name="offsetTable">Basic offset table entries (empty when absent).</param>
    /// <param name="fragments">Fragment payloads in order.</param>
    public DicomFragmentSequence(DicomTag tag, IReadOnlyList<uint> offsetTable, IReadOnlyList<ReadOnlyMemory<byte>> fragments)
        : base(tag, DicomVR.OB)
    {
        OffsetTable = offsetTable;
        Fragments = fragments;
    }

    /// <summary>Basic offset table; empty when the encoder left it out.</summary>
    public IReadOnlyList<uint> OffsetTable { get; }

    /// <summary>Fragment payloads (without item headers), in order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Fragments { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Tag} OB encapsulated ({Fragments.Count} fragments)";
}
