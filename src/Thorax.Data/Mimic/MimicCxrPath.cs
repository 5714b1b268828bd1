using System.Text.RegularExpressions;

namespace Thorax.Data.Mimic;

/// <summary>MIMIC-CXR(-JPG) relative image paths: <c>files/p10/p10000032/s50414267/&lt;dicom_id&gt;.jpg</c>
/// (the folder pNN is the first two digits of the subject id).</summary>
public static partial class MimicCxrPath
{
    [GeneratedRegex(@"(?:^|/)files/p(\d{2})/p(\d+)/s(\d+)/([^/]+?)(\.[A-Za-z]+)?$")]
    private static partial Regex PathPattern();

    /// <summary>Builds the relative path.</summary>
    /// <param name="subjectId">subject_id, e.g. 10000032 (8 digits).</param>
    /// <param name="studyId">study_id, e.g. 50414267.</param>
    /// <param name="dicomId">dicom_id.</param>
    /// <param name="extension">".jpg" (MIMIC-CXR-JPG) or ".dcm" (MIMIC-CXR).</param>
    public static string Build(long subjectId, long studyId, string dicomId, string extension = ".jpg")
    {
        string s = subjectId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (s.Length < 2) throw new ArgumentOutOfRangeException(nameof(subjectId), "subject id needs at least 2 digits");
        return $"files/p{s[..2]}/p{s}/s{studyId}/{dicomId}{extension}";
    }

    /// <summary>Parses a path (absolute or relative, '/' or '\\' separators) into its ids.</summary>
    /// <exception cref="DataFormatException">Not a MIMIC-CXR layout path, or the pNN folder disagrees with the subject id.</exception>
    public static (long SubjectId, long StudyId, string DicomId) Parse(string path)
    {
        var m = PathPattern().Match(path.Replace('\\', '/'));
        if (!m.Success) throw new DataFormatException($"'{path}' is not a files/pNN/pSUBJECT/sSTUDY/DICOM path");
        if (!m.Groups[2].Value.StartsWith(m.Groups[1].Value, StringComparison.Ordinal))
            throw new DataFormatException($"'{path}': folder p{m.Groups[1].Value} does not match subject p{m.Groups[2].Value}");
        return (long.Parse(m.Groups[2].Value), long.Parse(m.Groups[3].Value), m.Groups[4].Value);
    }
}
