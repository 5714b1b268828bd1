namespace Thorax.Data.Gaze;

/// <summary>One row of EGD-CXR <c>fixations.csv</c> (Gazepoint fixations) or <c>eye_gaze.csv</c> (raw 60 Hz gaze).</summary>
/// <param name="DicomId">DICOM_ID (44 characters for real images; 39 for calibration frames).</param>
/// <param name="SessionId">SESSION_ID, or null when absent.</param>
/// <param name="TimeSeconds">"Time (in secs)": seconds since eye-tracker initialisation.</param>
/// <param name="FpogX">FPOGX: fixation point of gaze, fraction of the 1920-pixel screen width (0 = left).</param>
/// <param name="FpogY">FPOGY: fraction of the 1080-pixel screen height (0 = top).</param>
/// <param name="FpogDurationSeconds">FPOGD fixation duration (s), or null when absent.</param>
/// <param name="XOriginal">X_ORIGINAL: column in original DICOM pixels (-1 off-image), or null when absent.</param>
/// <param name="YOriginal">Y_ORIGINAL: row in original DICOM pixels (-1 off-image), or null when absent.</param>
/// <param name="Line">1-based source line.</param>
public sealed record EgdCxrGazeRecord(string DicomId, string? SessionId, double TimeSeconds, double FpogX, double FpogY,
    double? FpogDurationSeconds, double? XOriginal, double? YOriginal, long Line)
{
    /// <summary>Length of a real MIMIC-CXR dicom_id; calibration frames use a 39-character id.</summary>
    public const int DicomIdLength = 44;

    /// <summary>True for calibration frames (id length other than 44).</summary>
    public bool IsCalibration => DicomId.Length != DicomIdLength;

    /// <summary>As a <see cref="GazePoint"/> in original image pixels (X_ORIGINAL, Y_ORIGINAL; -1 when absent).</summary>
    public GazePoint ToImagePoint() =>
        new(XOriginal ?? -1, YOriginal ?? -1, TimeSeconds, FpogDurationSeconds ?? double.NaN);
}
