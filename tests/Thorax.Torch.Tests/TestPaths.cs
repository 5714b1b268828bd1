namespace Thorax.TorchTests;

/// <summary>Locates the repository's committed test data and the shared real data beside the repository.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Golden(string relative) => Path.Combine(RepoRoot, "tests", "data", "golden", relative);

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Thorax.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (Thorax.slnx) not found above " + AppContext.BaseDirectory);
    }
}
