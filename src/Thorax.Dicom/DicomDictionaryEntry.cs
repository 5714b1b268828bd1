namespace Thorax.Dicom;

/// <summary>One row of the tag table <c>DicomTags.tsv</c>.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Keyword">PS3.6 keyword, e.g. "PatientID".</param>
/// <param name="VR">Value representation code(s); several alternatives are separated by '|', e.g. "US|SS".</param>
/// <param name="VM">Value multiplicity, e.g. "1", "2", "1-n".</param>
/// <param name="Name">PS3.6 name.</param>
public sealed record DicomDictionaryEntry(DicomTag Tag, string Keyword, string VR, string VM, string Name);
