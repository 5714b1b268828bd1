namespace Thorax.Synthetic;

/// <summary>Image-level class in the EGD-CXR style (master_sheet one-hot columns Normal, CHF, pneumonia).</summary>
public enum FindingClass
{
    /// <summary>No cardiopulmonary abnormality (a pneumothorax may still be present; it is labelled separately).</summary>
    Normal,
    /// <summary>Congestive heart failure: enlarged heart, vascular congestion, perihilar haze, sometimes effusions.</summary>
    HeartFailure,
    /// <summary>Pneumonia: patchy air-space opacity in one lung zone.</summary>
    Pneumonia,
}

/// <summary>Patient side. Images are PA views: the patient's right is on the image's left.</summary>
public enum BodySide
{
    /// <summary>Patient's right (image left).</summary>
    Right,
    /// <summary>Patient's left (image right).</summary>
    Left,
}

/// <summary>Where the pleural air collects.</summary>
public enum PneumothoraxLocation
{
    /// <summary>Over the lung apex.</summary>
    Apical,
    /// <summary>Along the lateral chest wall.</summary>
    Lateral,
    /// <summary>At the lung base / costophrenic region.</summary>
    Basal,
}

/// <summary>Pneumothorax size class (rim depth about 1.5%, 3.5% and 7% of the image width, the large
/// one with global lung retraction toward the hilum).</summary>
public enum PneumothoraxSize
{
    /// <summary>Thin apical/lateral rim.</summary>
    Small,
    /// <summary>Clear rim.</summary>
    Moderate,
    /// <summary>Lung retracted toward the hilum.</summary>
    Large,
}

/// <summary>Spurious cue planted by <see cref="SynthOptions.Shortcut"/>.</summary>
public enum ShortcutKind
{
    /// <summary>No planted cue.</summary>
    None,
    /// <summary>A bright square marker in the top-right corner.</summary>
    CornerMarker,
    /// <summary>A burned-in text token ("PORTABLE") in the top-left corner.</summary>
    TextToken,
    /// <summary>A hospital-specific tone curve (lifted blacks, compressed highlights).</summary>
    IntensityCurve,
    /// <summary>A chest tube (on the pneumothorax side when the label is positive).</summary>
    Device,
}

/// <summary>Which label a shortcut cue is correlated with.</summary>
public enum ShortcutTarget
{
    /// <summary>Pneumothorax present.</summary>
    Pneumothorax,
    /// <summary>Class is not <see cref="FindingClass.Normal"/>.</summary>
    Abnormal,
}

/// <summary>Dataset split.</summary>
public enum DatasetSplit
{
    /// <summary>Training split (the only split where a shortcut is correlated with the label).</summary>
    Train,
    /// <summary>Validation split.</summary>
    Validation,
    /// <summary>Test split.</summary>
    Test,
}

/// <summary>Support devices drawn on the image.</summary>
[Flags]
public enum SupportDevices
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Pleural drain with a radio-opaque stripe entering the lateral chest wall.</summary>
    ChestTube = 1,
    /// <summary>ECG electrodes with lead wires.</summary>
    EcgLeads = 2,
}

/// <summary>How a study is stored as DICOM (chosen per study from the seed so datasets mix encodings; see
/// <see cref="SynthOptions.Dicom"/>).</summary>
public enum StudyEncoding
{
    /// <summary>Explicit VR little endian, 16-bit words holding 12 bits.</summary>
    Uncompressed12,
    /// <summary>Explicit VR little endian, 8 bits.</summary>
    Uncompressed8,
    /// <summary>JPEG Baseline (Process 1, 1.2.840.10008.1.2.4.50), 8 bits, one fragment, lossy
    /// (<see cref="SynthOptions.JpegQuality"/>).</summary>
    JpegBaseline8,
    /// <summary>No DICOM file (<see cref="DicomOutput.None"/>).</summary>
    None,
}

/// <summary>Which DICOM encodings a dataset contains (<c>--dicom</c>).</summary>
public enum DicomOutput
{
    /// <summary>Per study, uncompressed 12-bit, uncompressed 8-bit or JPEG Baseline 8-bit, each with probability 1/3.</summary>
    Mixed,
    /// <summary>Per study, uncompressed 12-bit or uncompressed 8-bit, each with probability 1/2.</summary>
    Uncompressed,
    /// <summary>Every study JPEG Baseline 8-bit.</summary>
    Jpeg,
    /// <summary>No DICOM files.</summary>
    None,
}
