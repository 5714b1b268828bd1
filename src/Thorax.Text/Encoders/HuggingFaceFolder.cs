using System.Text.Json;
using Thorax.Models.Weights;
using static TorchSharp.torch;

namespace Thorax.Text.Encoders;

/// <summary>A parsed Hugging Face <c>config.json</c> with typed, file-and-field-naming accessors.</summary>
public sealed class HfConfigJson
{
    private readonly JsonElement _root;

    private HfConfigJson(JsonElement root, string source)
    {
        _root = root;
        Source = source;
    }

    /// <summary>The file it came from.</summary>
    public string Source { get; }

    /// <summary>Reads and parses a config.json.</summary>
    /// <exception cref="TextFormatException">Missing file or not a JSON object.</exception>
    public static HfConfigJson Read(string path)
    {
        if (!File.Exists(path)) throw new TextFormatException(path, "config.json not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    public static HfConfigJson Parse(string json, string source)
    {
        try
        {
            var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new TextFormatException(source, "config.json is not a JSON object");
            return new HfConfigJson(doc.RootElement.Clone(), source);
        }
        catch (JsonException e)
        {
            throw new TextFormatException(source, $"not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>True when the field is present and not null.</summary>
    public bool Has(string field) => _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>A required positive (or, with <paramref name="min"/>, bounded) integer field.</summary>
    public int Int(string field, int? fallback = null, int min = 1)
    {
        if (!_root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new TextFormatException(Source, $"field '{field}' is missing");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            throw new TextFormatException(Source, $"field '{field}' must be an integer, found {v.GetRawText()}");
        if (i < min) throw new TextFormatException(Source, $"field '{field}' = {i} must be at least {min}");
        return i;
    }

    /// <summary>A number field.</summary>
    public double Double(string field, double? fallback = null)
    {
        if (!_root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new TextFormatException(Source, $"field '{field}' is missing");
        if (v.ValueKind != JsonValueKind.Number)
            throw new TextFormatException(Source, $"field '{field}' must be a number, found {v.GetRawText()}");
        return v.GetDouble();
    }

    /// <summary>A string field.</summary>
    public string String(string field, string? fallback = null)
    {
        if (!_root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new TextFormatException(Source, $"field '{field}' is missing");
        if (v.ValueKind != JsonValueKind.String)
            throw new TextFormatException(Source, $"field '{field}' must be a string, found {v.GetRawText()}");
        return v.GetString()!;
    }

    /// <summary>A boolean field.</summary>
    public bool Bool(string field, bool fallback)
    {
        if (!_root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TextFormatException(Source, $"field '{field}' must be true or false, found {v.GetRawText()}"),
        };
    }
}

/// <summary>Files of a Hugging Face model folder.</summary>
public static class HuggingFaceFolder
{
    /// <summary>The weights file of a folder: model.safetensors, else pytorch_model.bin.</summary>
    /// <exception cref="TextFormatException">The folder is missing or has neither file (sharded checkpoints are named
    /// as unsupported).</exception>
    public static string WeightsFile(string folder)
    {
        if (!Directory.Exists(folder)) throw new TextFormatException(folder, "model folder not found");
        foreach (var name in new[] { "model.safetensors", "pytorch_model.bin" })
        {
            var p = Path.Combine(folder, name);
            if (File.Exists(p)) return p;
        }
        if (File.Exists(Path.Combine(folder, "model.safetensors.index.json")) || File.Exists(Path.Combine(folder, "pytorch_model.bin.index.json")))
            throw new TextFormatException(folder, "sharded checkpoints (*.index.json) are not supported; save the model as one file");
        throw new TextFormatException(folder, "no weights: expected model.safetensors or pytorch_model.bin");
    }

    /// <summary>
    /// Reads a weights file and keeps the keys of one sub-model: keys under <paramref name="prefix"/> lose it (a
    /// checkpoint of a model with heads, e.g. <c>bert.encoder.layer.0...</c>), keys starting with one of
    /// <paramref name="ignoredPrefixes"/> (heads, decoders) are dropped, and <paramref name="rename"/> maps legacy names.
    /// Dropped keys are returned so a caller can report them; every other key must then fit the module exactly.
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path, string? prefix, IReadOnlyList<string> ignoredPrefixes,
        out List<string> dropped, Func<string, string>? rename = null)
    {
        var raw = StateDicts.ReadFile(path);
        dropped = [];
        var hasPrefix = prefix is not null && raw.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        var sd = new Dictionary<string, Tensor>();
        foreach (var (k0, t) in raw)
        {
            var k = hasPrefix && k0.StartsWith(prefix!, StringComparison.Ordinal) ? k0[prefix!.Length..] : k0;
            if (ignoredPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
            {
                dropped.Add(k0);
                t.Dispose();
                continue;
            }
            if (rename is not null) k = rename(k);
            if (!sd.TryAdd(k, t))
                throw new TextFormatException(path, $"two entries map to key '{k}' (one is '{k0}')");
        }
        return sd;
    }
}
