using System.Runtime.CompilerServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// Locates and decodes the weight-file goldens under tests/data/golden/nn (written by tools/golden/nn/make_nn_goldens.py
/// with PyTorch 1.13): first above the test assembly's folder, then above this source file's folder (for a harness
/// built outside the repository), or at <c>$THORAX_GOLDEN_NN</c> when that is set.
/// </summary>
internal static class WeightGolden
{
    private static readonly Lazy<string> DirLazy = new(Locate);

    public static string Dir => DirLazy.Value;

    public static string PathOf(string name) => Path.Combine(Dir, name);

    public static JsonDocument Json(string name) => JsonDocument.Parse(File.ReadAllBytes(PathOf(name)));

    private static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("THORAX_GOLDEN_NN");
        if (!string.IsNullOrEmpty(env))
            return Directory.Exists(env) ? env : throw new DirectoryNotFoundException($"THORAX_GOLDEN_NN={env} does not exist");
        var starts = new[] { AppContext.BaseDirectory, SourceDirectory() };
        foreach (var start in starts)
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "tests", "data", "golden", "nn");
                if (Directory.Exists(p)) return p;
            }
        }
        throw new DirectoryNotFoundException("tests/data/golden/nn not found above " + string.Join(" or ", starts) + "; set THORAX_GOLDEN_NN");
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path) ?? ".";

    /// <summary>A unique path in the temp folder (the caller deletes it).</summary>
    public static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"thorax-weights-{Guid.NewGuid():N}{extension}");

    /// <summary>
    /// Writes a copy of the zip (torch.save) file <paramref name="source"/> to <paramref name="target"/>, each entry
    /// stored uncompressed with the bytes <paramref name="edit"/> returns for it (name, bytes).
    /// </summary>
    public static void RewriteZip(string source, string target, Func<string, byte[], byte[]> edit)
    {
        using var src = System.IO.Compression.ZipFile.OpenRead(source);
        using var dst = System.IO.Compression.ZipFile.Open(target, System.IO.Compression.ZipArchiveMode.Create);
        foreach (var e in src.Entries)
        {
            using var ms = new MemoryStream();
            using (var s = e.Open()) s.CopyTo(ms);
            var data = edit(e.FullName, ms.ToArray());
            using var w = dst.CreateEntry(e.FullName, System.IO.Compression.CompressionLevel.NoCompression).Open();
            w.Write(data);
        }
    }

    /// <summary>Decodes <c>{"shape", "dtype", "b64"}</c> (little-endian raw bytes) into a new CPU tensor owned by the caller.</summary>
    public static Tensor Decode(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var bytes = Convert.FromBase64String(e.GetProperty("b64").GetString()!);
        var dtype = e.GetProperty("dtype").GetString() switch
        {
            "float32" => ScalarType.Float32,
            "float64" => ScalarType.Float64,
            "int64" => ScalarType.Int64,
            "bool" => ScalarType.Bool,
            var d => throw new NotSupportedException("golden dtype " + d),
        };
        var t = torch.empty(shape, dtype);
        Assert.Equal(t.bytes.Length, bytes.Length);
        bytes.CopyTo(t.bytes);
        return t;
    }

    /// <summary>Asserts equal shape and |a − e| ≤ atol + rtol·|e| elementwise, naming the first failing element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.Equal(expected.shape, actual.shape);
        var ev = Doubles(expected);
        var av = Doubles(actual);
        for (var i = 0; i < ev.Length; i++)
        {
            var ok = double.IsInfinity(ev[i]) ? ev[i] == av[i] : Math.Abs(av[i] - ev[i]) <= atol + rtol * Math.Abs(ev[i]);
            Assert.True(ok, $"{what}[{i}]: expected {ev[i]:R}, got {av[i]:R}");
        }
    }

    /// <summary>Asserts shape, PyTorch dtype name and exact values against a tensors.json entry <c>{"shape", "dtype", "values"}</c>.</summary>
    public static void AssertExact(JsonElement e, Tensor t, string key)
    {
        Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), t.shape);
        Assert.Equal(e.GetProperty("dtype").GetString(), DTypeName(t.dtype));
        var values = e.GetProperty("values").EnumerateArray().ToArray();
        if (torch.is_floating_point(t))
            Assert.Equal(values.Select(v => v.GetDouble()).ToArray(), Doubles(t));
        else
            Assert.Equal(values.Select(v => v.GetInt64()).ToArray(), Longs(t));
    }

    /// <summary>Asserts two tensors have the same dtype, shape and bytes.</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {expected.dtype} vs {actual.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(", ", expected.shape)}] vs [{string.Join(", ", actual.shape)}]");
        using var e = expected.detach().contiguous();
        using var a = actual.detach().contiguous();
        Assert.True(e.bytes.SequenceEqual(a.bytes), $"{what}: values differ");
    }

    // (TorchSharp's data<T>().ToArray() throws on an empty tensor, hence the numel check.)
    public static double[] Doubles(Tensor t)
    {
        if (t.numel() == 0) return Array.Empty<double>();
        using var d = t.detach().to(ScalarType.Float64).contiguous();
        return d.data<double>().ToArray();
    }

    public static long[] Longs(Tensor t)
    {
        if (t.numel() == 0) return Array.Empty<long>();
        using var d = t.detach().to(ScalarType.Int64).contiguous();
        return d.data<long>().ToArray();
    }

    /// <summary>PyTorch's name of a dtype (independent of the library's own naming, so tests check it).</summary>
    public static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float64 => "torch.float64", ScalarType.Float32 => "torch.float32", ScalarType.Float16 => "torch.float16",
        ScalarType.BFloat16 => "torch.bfloat16", ScalarType.Int64 => "torch.int64", ScalarType.Int32 => "torch.int32",
        ScalarType.Int16 => "torch.int16", ScalarType.Int8 => "torch.int8", ScalarType.Byte => "torch.uint8",
        ScalarType.Bool => "torch.bool", _ => throw new NotSupportedException(t.ToString()),
    };

    /// <summary>Thread-local count of live TorchSharp tensors (to check that failed reads free what they made).</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
}
