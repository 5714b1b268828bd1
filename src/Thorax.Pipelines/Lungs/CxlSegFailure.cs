namespace Thorax.Pipelines.Lungs;

/// <summary>An image that could not be read or decoded; it was skipped and listed in <c>failures.csv</c>.</summary>
/// <param name="ImagePath">Relative source path, <c>files/pNN/.../DICOM.jpg</c>.</param>
/// <param name="DicomId">dicom_id.</param>
/// <param name="Error">Exception type and message, on one line.</param>
public sealed record CxlSegFailure(string ImagePath, string DicomId, string Error)
{
    /// <summary>Header of the failure CSVs.</summary>
    public const string CsvHeader = "DicomPath,dicom_id,error";
}
