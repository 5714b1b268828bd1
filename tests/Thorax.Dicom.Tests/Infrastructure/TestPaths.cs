using System.Text.Json;

namespace Thorax.Dicom.Tests.Infrastructure;

/// <summary>Locates the repository (golden files) and ../shared/data from the test output folder.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "tests", "data", "golden", "dicom"))) return dir.FullName;
        throw new DirectoryNotFoundException("Repository root with tests/data/golden/dicom not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => Root.Value;

    public static string Golden(string name) => Path.Combine(RepoRoot, "tests", "data", "golden", "dicom", name);

    public static string Corpus(string name) => Path.Combine(RepoRoot, "tests", "data", "golden", "dicom", "corpus", name);

    /// <summary>Byte-order twins and dcmtk/GDCM decodes made by tools/golden/dicom/make_twins.sh.</summary>
    public static string Twin(string name) => Path.Combine(RepoRoot, "tests", "data", "golden", "dicom", "twins", name);

    /// <summary>../shared/data/siim next to the repository, or null when absent.</summary>
    public static string? SiimDir()
    {
        for (var dir = new DirectoryInfo(RepoRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "siim");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    public const string SiimMissing = "../shared/data/siim is not present next to the repository; real SIIM DICOM tests skipped.";

    public static string[] SiimFiles() =>
        SiimDir() is { } d ? Directory.GetFiles(d, "*.dcm").OrderBy(f => f, StringComparer.Ordinal).ToArray() : [];

    public static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    public static IEnumerable<JsonElement> CorpusEntries() => ReadJson(Golden("corpus.json")).EnumerateArray();
}
