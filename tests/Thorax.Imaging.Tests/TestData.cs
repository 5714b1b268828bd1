using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Thorax.Imaging.Tests;

/// <summary>Locates golden files (tests/data/golden/imaging) and the shared real data (../shared/data).</summary>
internal static class TestData
{
    private static readonly Lazy<string?> RepoRoot = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "imaging"))) return d.FullName;
        return null;
    });

    private static readonly Lazy<string?> Shared = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    });

    public static string Golden(string relative)
    {
        string root = RepoRoot.Value ?? throw new DirectoryNotFoundException("tests/data/golden/imaging not found above " + AppContext.BaseDirectory);
        return Path.Combine(root, "tests", "data", "golden", "imaging", relative);
    }

    public static JsonElement GoldenJson(string relative) =>
        JsonDocument.Parse(File.ReadAllBytes(Golden(relative))).RootElement;

    /// <summary>../shared/data, or null when it is absent (tests then skip).</summary>
    public static string? SharedData => Shared.Value;

    public static string Sha256<T>(ReadOnlySpan<T> samples) where T : unmanaged =>
        Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(samples)));

    public static float[] Floats(JsonElement e)
    {
        var a = new float[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray()) a[i++] = v.GetSingle();
        return a;
    }

    public static double[] Doubles(JsonElement e)
    {
        var a = new double[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray()) a[i++] = v.GetDouble();
        return a;
    }

    public static int[] Ints(JsonElement e)
    {
        var a = new int[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray()) a[i++] = v.GetInt32();
        return a;
    }

    public static byte[] Bytes(JsonElement e)
    {
        var a = new byte[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray()) a[i++] = v.GetByte();
        return a;
    }
}
