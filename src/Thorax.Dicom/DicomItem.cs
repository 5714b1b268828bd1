namespace Thorax.Dicom;

/// <summary>One entry of a <see cref="DicomDataset"/>: an element, a sequence or encapsulated pixel data.</summary>
public abstract class DicomItem
{
    /// <summary>Creates the item.</summary>
    private protected DicomItem(DicomTag tag, DicomVR vr)
    {
        Tag = tag;
        VR = vr;
    }

    /// <summary>The tag.</summary>
    public DicomTag Tag { get; }

    /// <summary>The value representation (SQ for sequences, OB for encapsulated pixel data).</summary>
    public DicomVR VR { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Tag} {VR}";
}
