using System.Collections.Frozen;

namespace Thorax.Dicom;

/// <summary>Lookup of the known tags (generated from <c>DicomTags.tsv</c>): keyword, VR, VM and name.</summary>
internal static partial class DicomDictionary
{
    // Nested so that it initialises after Entries (declared in the generated partial file).
    private static class Index
    {
        public static readonly FrozenDictionary<DicomTag, DicomDictionaryEntry> ByTag =
            Entries.ToFrozenDictionary(e => e.Tag);

        public static readonly FrozenDictionary<string, DicomDictionaryEntry> ByKeyword =
            Entries.ToFrozenDictionary(e => e.Keyword, StringComparer.Ordinal);
    }

    /// <summary>All entries in table order.</summary>
    public static IReadOnlyList<DicomDictionaryEntry> All => Entries;

    public static bool TryGet(DicomTag tag, out DicomDictionaryEntry entry) => Index.ByTag.TryGetValue(tag, out entry!);

    public static bool TryGet(string keyword, out DicomDictionaryEntry entry) => Index.ByKeyword.TryGetValue(keyword, out entry!);

    /// <summary>The VR to assume when reading implicit VR data: the first listed VR, UL for group lengths,
    /// LO for private creators, UN otherwise.</summary>
    public static DicomVR ImplicitVR(DicomTag tag)
    {
        if (tag.IsGroupLength) return DicomVR.UL;
        if (tag.IsPrivateCreator) return DicomVR.LO;
        if (Index.ByTag.TryGetValue(tag, out var e))
        {
            var code = e.VR;
            int bar = code.IndexOf('|');
            if (bar >= 0)
            {
                // OB|OW: pixel data in implicit VR is OW; US|OW (LUT data) likewise read as words.
                code = code.Contains("OW", StringComparison.Ordinal) ? "OW" : code[..bar];
            }
            return code == "NONE" ? DicomVR.UN : DicomVR.Parse(code);
        }
        return DicomVR.UN;
    }
}
