namespace Thorax.Pipelines.Lungs;

/// <summary>One frontal MIMIC-CXR-JPG image selected for CXLSeg.</summary>
/// <param name="DicomId">dicom_id (the JPEG's file stem).</param>
/// <param name="SubjectId">subject_id.</param>
/// <param name="StudyId">study_id.</param>
/// <param name="ViewPosition">PA or AP (as spelled in the metadata).</param>
/// <param name="ImagePath">Relative path, <c>files/pNN/pSUBJECT/sSTUDY/DICOM.jpg</c>: the source image under the
/// MIMIC root and the segmented image under the output root (CXLSeg <c>DicomPath</c>).</param>
/// <param name="MaskPath">Relative mask path, <c>files/.../DICOM-mask.jpg</c> (CXLSeg <c>DicomPathMask</c>).</param>
/// <param name="MetadataFields">The image's row of the MIMIC metadata CSV, verbatim, in its header's order.</param>
/// <param name="Labels">The 14 CheXpert cells of the image's study in <see cref="Thorax.Data.Mimic.ChexpertLabels.Names"/>
/// order, as MIMIC writes them ("1.0", "0.0", "-1.0" or "" for blank); all blank when the study has no label row.</param>
public sealed record CxlSegImage(
    string DicomId, long SubjectId, long StudyId, string ViewPosition, string ImagePath, string MaskPath,
    IReadOnlyList<string> MetadataFields, IReadOnlyList<string> Labels);
