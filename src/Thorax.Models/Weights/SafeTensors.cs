using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Weights;

/// <summary>
/// Reads and writes the safetensors format in pure C#: an 8-byte little-endian header length, a UTF-8 JSON header
/// mapping each key to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the data section)
/// plus an optional <c>"__metadata__"</c> string map, then the raw little-endian tensor bytes.
/// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
/// </summary>
/// <remarks>Format: https://github.com/huggingface/safetensors (the <c>safetensors.torch.save_file</c> layout).</remarks>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads every tensor of a file into CPU tensors, in header order.</summary>
    /// <returns>A new state dict owned by the caller.</returns>
    /// <exception cref="WeightFileException">The file is truncated or its header is invalid (message names the file and key).</exception>
    public static Dictionary<string, Tensor> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <summary>Reads every tensor and the <c>__metadata__</c> map of a file.</summary>
    /// <exception cref="WeightFileException">The file is truncated or its header is invalid.</exception>
    public static (Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, "cannot read the file: " + e.Message, inner: e);
        }
        return Read(bytes, path);
    }

    /// <summary>Parses safetensors bytes held in memory.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <returns>New CPU tensors (owned by the caller) and the metadata map (empty when absent).</returns>
    /// <exception cref="WeightFileException">Truncated data, invalid JSON, unknown dtype, bad shape, or out-of-range or overlapping offsets.</exception>
    public static (Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(ReadOnlySpan<byte> data, string sourceName = "<memory>")
    {
        if (data.Length < 8) throw new WeightFileException(sourceName, $"truncated file: {data.Length} bytes, need at least 8 for the header length", byteOffset: 0);
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (headerLen > MaxHeaderBytes) throw new WeightFileException(sourceName, $"header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit", byteOffset: 0);
        if (8 + (long)headerLen > data.Length)
            throw new WeightFileException(sourceName, $"truncated file: header of {headerLen} bytes but only {data.Length - 8} follow", byteOffset: 8);
        var body = data[(8 + (int)headerLen)..];
        var entries = ParseHeader(data.Slice(8, (int)headerLen), sourceName, out var metadata);

        var dataStart = 8 + (long)headerLen;
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var e = sorted[i];
            if (e.End > body.Length)
                throw new WeightFileException(sourceName, $"data_offsets [{e.Begin}, {e.End}] run past the end of the data section ({body.Length} bytes); the file may be truncated",
                    e.Key, dataStart + e.Begin);
            if (i > 0 && e.Begin < sorted[i - 1].End && e.End > e.Begin)
                throw new WeightFileException(sourceName, $"data_offsets [{e.Begin}, {e.End}] overlap tensor '{sorted[i - 1].Key}' [{sorted[i - 1].Begin}, {sorted[i - 1].End}]",
                    e.Key, dataStart + e.Begin);
        }

        var dict = new Dictionary<string, Tensor>();
        try
        {
            foreach (var e in entries)
            {
                Tensor t;
                try
                {
                    t = TensorBytes.FromBytes(body.Slice((int)e.Begin, (int)(e.End - e.Begin)), e.ScalarType, e.Shape);
                }
                catch (ArgumentException ex)
                {
                    throw new WeightFileException(sourceName, ex.Message, e.Key, dataStart + e.Begin, ex);
                }
                dict.Add(e.Key, t);
            }
        }
        catch
        {
            dict.DisposeAll();
            throw;
        }
        return (dict, metadata);
    }

    private sealed record Entry(string Key, ScalarType ScalarType, long[] Shape, long Begin, long End);

    private static List<Entry> ParseHeader(ReadOnlySpan<byte> header, string src, out IReadOnlyDictionary<string, string> metadata)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        metadata = meta;
        var list = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        // JsonDocument checks UTF-8 only when a string is read, which would throw InvalidOperationException later.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new WeightFileException(src, "the header is not valid UTF-8", byteOffset: 8);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException ex)
        {
            throw new WeightFileException(src, "the header is not valid JSON: " + ex.Message, byteOffset: 8, inner: ex);
        }
        using (doc)
        {
            try
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new WeightFileException(src, "the header is not a JSON object", byteOffset: 8);
                foreach (var prop in doc.RootElement.EnumerateObject())
                {
                    if (prop.Name == "__metadata__")
                    {
                        if (prop.Value.ValueKind != JsonValueKind.Object) throw new WeightFileException(src, "__metadata__ must be an object of strings");
                        foreach (var m in prop.Value.EnumerateObject())
                        {
                            if (m.Value.ValueKind != JsonValueKind.String) throw new WeightFileException(src, $"__metadata__ value '{m.Name}' is not a string");
                            meta[m.Name] = m.Value.GetString()!;
                        }
                        continue;
                    }
                    if (!names.Add(prop.Name)) throw new WeightFileException(src, "the header names the tensor twice", prop.Name, byteOffset: 8);
                    list.Add(ParseEntry(prop, src));
                }
            }
            catch (InvalidOperationException ex)
            {
                // e.g. a key or string escaping a lone UTF-16 surrogate (\ud800), which has no string value
                throw new WeightFileException(src, "the header has a string that is not valid text: " + ex.Message, byteOffset: 8, inner: ex);
            }
        }
        return list;
    }

    private static Entry ParseEntry(JsonProperty prop, string src)
    {
        var key = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new WeightFileException(src, "header entry is not an object", key);
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw new WeightFileException(src, "missing string field 'dtype'", key);
        var dtype = ParseDType(dt.GetString()!) ?? throw new WeightFileException(src, $"unknown dtype '{dt.GetString()}' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)", key);
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw new WeightFileException(src, "missing array field 'shape'", key);
        var shape = new long[sh.GetArrayLength()];
        var i = 0;
        long numel = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0) throw new WeightFileException(src, "shape entries must be non-negative integers", key);
            shape[i++] = dim;
            if (dim != 0 && numel > long.MaxValue / 8 / dim)
                throw new WeightFileException(src, "shape has more elements than any file can hold", key);
            numel *= dim;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new WeightFileException(src, "missing field 'data_offsets' = [begin, end]", key);
        if (!off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw new WeightFileException(src, "data_offsets must be non-negative integers with begin <= end", key);
        var expected = numel * dtype.ElementSize();
        if (end - begin != expected)
            throw new WeightFileException(src, $"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {Name(dtype)} needs {expected}", key);
        return new Entry(key, dtype, shape, begin, end);
    }

    private static ScalarType? ParseDType(string s) => s switch
    {
        "F64" => ScalarType.Float64, "F32" => ScalarType.Float32, "F16" => ScalarType.Float16, "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64, "I32" => ScalarType.Int32, "I16" => ScalarType.Int16, "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte, "BOOL" => ScalarType.Bool, _ => null,
    };

    /// <summary>The safetensors dtype code of a dtype (<c>F32</c>, <c>BF16</c>, ...).</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "F64", ScalarType.Float32 => "F32", ScalarType.Float16 => "F16", ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64", ScalarType.Int32 => "I32", ScalarType.Int16 => "I16", ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8", ScalarType.Bool => "BOOL", _ => throw new NotSupportedException($"dtype {dtype.TorchName()} has no safetensors code"),
    };

    /// <summary>Serialises tensors (any device or layout) to safetensors bytes, in the given order.</summary>
    /// <param name="tensors">Keys and tensors, e.g. a module's <c>state_dict()</c>.</param>
    /// <param name="metadata">Optional string map stored as <c>__metadata__</c>.</param>
    public static byte[] Serialize(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var blobs = new List<(string Key, Tensor T, byte[] Bytes)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, t) in tensors)
        {
            if (k == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot be a tensor key");
            if (!keys.Add(k)) throw new ArgumentException($"duplicate tensor key '{k}'");
            blobs.Add((k, t, TensorBytes.ToBytes(t)));
        }
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (k, t, bytes) in blobs)
            {
                w.WriteStartObject(k);
                w.WriteString("dtype", Name(t.dtype));
                w.WriteStartArray("shape");
                foreach (var d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }
            w.WriteEndObject();
        }
        var header = headerStream.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        var total = 8L + padded + blobs.Sum(b => (long)b.Bytes.Length);
        var result = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        header.CopyTo(result, 8);
        for (var i = 8 + header.Length; i < 8 + padded; i++) result[i] = (byte)' ';
        var pos = 8 + padded;
        foreach (var b in blobs)
        {
            b.Bytes.CopyTo(result, pos);
            pos += b.Bytes.Length;
        }
        return result;
    }

    /// <summary>
    /// Writes tensors to <paramref name="path"/> atomically: the bytes go to a temporary file in the same folder,
    /// which then replaces the target, so readers never see a half-written file.
    /// </summary>
    /// <exception cref="WeightFileException">The file cannot be written.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var bytes = Serialize(tensors, metadata);
        var full = Path.GetFullPath(path);
        // The repository's temp-file convention (hidden, .NAME.HEX.tmp), which run-folder scans recognise and resumes remove.
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new WeightFileException(path, "cannot write the file: " + e.Message, inner: e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private static void TryDelete(string p)
    {
        try
        {
            if (File.Exists(p)) File.Delete(p);
        }
        catch (IOException)
        {
            // best effort: the original error matters more
        }
    }
}
