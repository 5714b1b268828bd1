using System.Text.Json;

namespace Thorax.Data.Tests;

/// <summary>Locates ../shared/data (real sample files, never copied) and the committed golden files.</summary>
internal static class TestData
{
    private static readonly Lazy<string?> SharedRoot = new(() => FindUp(d =>
    {
        string candidate = Path.Combine(d, "shared", "data");
        return Directory.Exists(candidate) ? candidate : null;
    }));

    private static readonly Lazy<string?> RepoRoot = new(() => FindUp(d =>
        Directory.Exists(Path.Combine(d, "tests", "data", "golden")) ? d : null));

    /// <summary>Full path of a file under ../shared/data, or null when the shared folder is absent.</summary>
    public static string? Shared(string relative)
    {
        if (SharedRoot.Value is null) return null;
        string p = Path.Combine(SharedRoot.Value, relative);
        return File.Exists(p) || Directory.Exists(p) ? p : null;
    }

    /// <summary>Skips the test when the shared file is absent; returns its path.</summary>
    public static string RequireShared(string relative)
    {
        string? p = Shared(relative);
        Skip.If(p is null, $"real data '../shared/data/{relative}' not found next to the repository; test skipped");
        return p!;
    }

    /// <summary>Parses a golden JSON file from tests/data/golden/data.</summary>
    public static JsonDocument Golden(string name)
    {
        string root = RepoRoot.Value ?? throw new DirectoryNotFoundException("tests/data/golden not found above " + AppContext.BaseDirectory);
        string p = Path.Combine(root, "tests", "data", "golden", "data", name);
        return JsonDocument.Parse(File.ReadAllText(p));
    }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static string? FindUp(Func<string, string?> probe)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string? hit = probe(d.FullName);
            if (hit is not null) return hit;
        }
        return null;
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("thx-data-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
