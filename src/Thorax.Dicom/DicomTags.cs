namespace Thorax.Dicom;

/// <summary>Public access to the tag table that generated the static <see cref="DicomTag"/> fields.</summary>
public static class DicomTags
{
    /// <summary>Every known tag, in table order (as in <c>DicomTags.tsv</c>).</summary>
    public static IReadOnlyList<DicomDictionaryEntry> Known => DicomDictionary.All;

    /// <summary>Looks up a known tag's table row.</summary>
    public static bool TryGetEntry(DicomTag tag, out DicomDictionaryEntry entry) => DicomDictionary.TryGet(tag, out entry);

    /// <summary>Looks up a known tag by its PS3.6 keyword (e.g. "PatientID").</summary>
    public static bool TryGetEntry(string keyword, out DicomDictionaryEntry entry) => DicomDictionary.TryGet(keyword, out entry);

    /// <summary>The keyword of a known tag, or null.</summary>
    public static string? KeywordOf(DicomTag tag) => DicomDictionary.TryGet(tag, out var e) ? e.Keyword : null;
}
