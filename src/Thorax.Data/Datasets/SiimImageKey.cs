namespace Thorax.Data.Datasets;

/// <summary>How <see cref="SiimDataset"/> matches image files to the RLE table's ImageId.</summary>
public enum SiimImageKey
{
    /// <summary>The file name without extension is the ImageId (the Kaggle layout <c>&lt;SOPInstanceUID&gt;.dcm</c>).</summary>
    FileStem,
    /// <summary>The DICOM SOP Instance UID (0008,0018) is the ImageId (reads every header once at construction).</summary>
    SopInstanceUid,
}
