using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Training;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped, as one safetensors file: the model state
/// dict, the optimiser state (TorchSharp SGD/Adam/AdamW, in PyTorch's state-dict naming), scheduler states, the states
/// of the global torch CPU generator, of named <c>torch.Generator</c>s and of named <see cref="SeededRandom"/>s, extra
/// module state dicts (e.g. an SWA average), the epoch/step counters and free-form JSON user state.
/// </summary>
/// <remarks>
/// <para>File layout (a plain safetensors file, so any safetensors reader can open it): tensors <c>model.{key}</c>,
/// <c>optimizer.state.{index}.{exp_avg|exp_avg_sq|max_exp_avg_sq|step|momentum_buffer}</c> (PyTorch's names and parameter
/// indices; <c>step</c> a float32 0-d tensor), <c>extra.{name}.{key}</c>, <c>rng.torch</c> (uint8) and
/// <c>rng.generator.{name}</c> (uint8); the <c>__metadata__</c> map holds <c>format</c>
/// (<see cref="FormatName"/>), <c>format_version</c>, <c>epoch</c>, <c>step</c>, <c>model_type</c>,
/// <c>optimizer_type</c> + <c>optimizer</c> (PyTorch's <c>param_groups</c> JSON), <c>scheduler_type</c> +
/// <c>scheduler</c>, <c>plateau</c>, <c>randoms</c> (name → state words), <c>extra_modules</c> and <c>user</c> (JSON).</para>
/// <para>CUDA generator states (<c>rng.cuda.{device}</c>, written by the libtorch-shim engine on CUDA machines) are
/// no longer captured: TorchSharp 0.107 exposes no CUDA generator state. Files that hold them are still read (the keys
/// are validated and listed by <see cref="CudaRngDevices"/>) but those states are not restored.</para>
/// <para>Files are written atomically (temp file beside the target, flushed, then renamed), so a crash leaves either
/// the previous file or the new one. Equal states give byte-identical files.</para>
/// <para>The checkpoint owns copies of the captured tensors (later training does not change it); dispose it.</para>
/// PyTorch: the <c>{"model": ..., "optimizer": ..., "scheduler": ..., "epoch": ...}</c> dict people pass to <c>torch.save</c>.
/// </remarks>
/// <example><code>
/// var parts = new TrainingComponents { Model = net, Optimizer = opt, Scheduler = sched, Randoms = { ["shuffle"] = rng } };
/// using (var ck = TrainingCheckpoint.Capture(parts, epoch, step)) ck.Save("run/last.ckpt.safetensors");
/// // later, in a fresh process with freshly built net/opt/sched/rng:
/// using var ck2 = TrainingCheckpoint.Load("run/last.ckpt.safetensors");
/// ck2.Restore(parts);
/// for (var e = ck2.Epoch + 1; e &lt;= epochs; e++) ...
/// </code></example>
public sealed partial class TrainingCheckpoint : IDisposable
{
    /// <summary>Value of the <c>format</c> metadata entry.</summary>
    public const string FormatName = "thorax.training_checkpoint";

    /// <summary>The format version this code writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.";
    private const string ExtraPrefix = "extra.";
    private const string TorchRngKey = "rng.torch";
    private const string CudaRngPrefix = "rng.cuda.";

    /// <summary>The CUDA generator states in the checkpoint (<c>rng.cuda.{device}</c>), by device index.</summary>
    private IEnumerable<(int Device, Tensor State)> CudaRngStates()
    {
        foreach (var (key, t) in _tensors)
            if (key.StartsWith(CudaRngPrefix, StringComparison.Ordinal))
                yield return (int.Parse(key.AsSpan(CudaRngPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture), t);
    }

    /// <summary>CUDA devices whose generator state the checkpoint holds (only files written by the old engine on CUDA
    /// machines; never restored, see the remarks).</summary>
    public IReadOnlyList<int> CudaRngDevices => CudaRngStates().Select(x => x.Device).Order().ToList();
    private const string GeneratorPrefix = "rng.generator.";
    private const string MemorySource = "<memory>";

    private readonly Dictionary<string, Tensor> _tensors;
    private readonly Dictionary<string, string> _metadata;
    private readonly List<string> _extraModules;
    private readonly Dictionary<string, string> _randoms;
    private readonly JsonObject _user;
    private readonly JsonObject? _scheduler;
    private readonly JsonObject? _plateau;

    private TrainingCheckpoint(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata, string source)
    {
        _tensors = tensors;
        _metadata = metadata;
        SourceName = source;
        var version = ReadInt(metadata, "format_version");
        if (version > FormatVersion || version < 1)
            throw new TrainingCheckpointException(source, "__metadata__.format_version", $"format version {version} is not supported (this build reads versions 1 to {FormatVersion})");
        Epoch = ReadInt(metadata, "epoch");
        if (Epoch < 0) throw new TrainingCheckpointException(source, "__metadata__.epoch", $"epoch {Epoch} is negative");
        Step = ReadLong(metadata, "step");
        if (Step < 0) throw new TrainingCheckpointException(source, "__metadata__.step", $"step {Step} is negative");
        ModelType = metadata.GetValueOrDefault("model_type");
        OptimizerType = metadata.GetValueOrDefault("optimizer_type");
        if ((OptimizerType is null) != !metadata.ContainsKey("optimizer"))
            throw new TrainingCheckpointException(source, "__metadata__.optimizer", "'optimizer_type' and 'optimizer' must be present together");
        SchedulerType = metadata.GetValueOrDefault("scheduler_type");
        _scheduler = ReadObject(metadata, "scheduler");
        if ((SchedulerType is null) != (_scheduler is null))
            throw new TrainingCheckpointException(source, "__metadata__.scheduler", "'scheduler_type' and 'scheduler' must be present together");
        _plateau = ReadObject(metadata, "plateau");
        _user = ReadObject(metadata, "user") ?? new JsonObject();
        _extraModules = ReadStringArray(metadata, "extra_modules");
        _randoms = ReadRandoms(metadata);
        CheckTensorKeys();
    }

    /// <summary>The file this checkpoint was loaded from, or <c>&lt;memory&gt;</c>.</summary>
    public string SourceName { get; }

    /// <summary>
    /// Completed epochs when captured (equivalently the 1-based number of the last completed epoch): a resumed loop
    /// continues with epoch number <c>Epoch + 1</c>.
    /// </summary>
    public int Epoch { get; }

    /// <summary>Optimiser steps taken when captured (for per-step schedules and logging).</summary>
    public long Step { get; }

    /// <summary>The model's .NET type name when captured (informational; not checked on restore).</summary>
    public string? ModelType { get; }

    /// <summary>The optimiser's .NET type name (e.g. <c>AdamW</c>), or null when no optimiser was captured.</summary>
    public string? OptimizerType { get; }

    /// <summary>The scheduler's .NET type name (e.g. <c>CosineAnnealingLR</c>), or null.</summary>
    public string? SchedulerType { get; }

    /// <summary>True when a <see cref="Schedulers.ReduceLROnPlateau"/> state was captured.</summary>
    public bool HasPlateauScheduler => _plateau is not null;

    /// <summary>True when the global torch CPU generator state was captured.</summary>
    public bool HasTorchRng => _tensors.ContainsKey(TorchRngKey);

    /// <summary>Names of the captured extra modules.</summary>
    public IReadOnlyList<string> ExtraModuleNames => _extraModules;

    /// <summary>Names of the captured <c>torch.Generator</c>s.</summary>
    public IReadOnlyList<string> GeneratorNames =>
        _tensors.Keys.Where(k => k.StartsWith(GeneratorPrefix, StringComparison.Ordinal)).Select(k => k[GeneratorPrefix.Length..]).ToList();

    /// <summary>Names of the captured <see cref="SeededRandom"/>s.</summary>
    public IReadOnlyList<string> RandomNames => _randoms.Keys.ToList();

    /// <summary>A copy of the user state (free-form JSON given to <see cref="Capture"/>: best metric, config hash, ...).</summary>
    public JsonObject User => (JsonObject)_user.DeepClone();

    /// <summary>
    /// The model state dict (keys without the <c>model.</c> prefix), e.g. to load weights for inference with
    /// <see cref="StateDicts.Load"/>.
    /// </summary>
    /// <returns>A new dictionary of aliases of the checkpoint's tensors; the caller disposes them.</returns>
    public Dictionary<string, Tensor> ModelState() => _tensors.WithPrefixRemoved(ModelPrefix);

    /// <summary>The state dict of extra module <paramref name="name"/> (e.g. <c>swa</c>).</summary>
    /// <returns>A new dictionary of aliases; the caller disposes them.</returns>
    /// <exception cref="KeyNotFoundException">No extra module of that name was captured.</exception>
    public Dictionary<string, Tensor> ExtraModuleState(string name)
    {
        if (!_extraModules.Contains(name))
            throw new KeyNotFoundException($"checkpoint {SourceName} has no extra module '{name}' (has: {string.Join(", ", _extraModules)})");
        return _tensors.WithPrefixRemoved(ExtraPrefix + name + ".");
    }

    // ---- files ----

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically (temp file, flush, rename).</summary>
    /// <exception cref="IOException">The file cannot be written (the previous file, if any, is left intact).</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = ToBytes();
        RunFiles.Write(path, tmp =>
        {
            using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        });
    }

    /// <summary>The checkpoint as safetensors bytes (what <see cref="Save"/> writes).</summary>
    public byte[] ToBytes() => SafeTensors.Serialize(_tensors, _metadata);

    /// <summary>Reads a checkpoint file written by <see cref="Save"/>.</summary>
    /// <returns>A new checkpoint owned by the caller (dispose it).</returns>
    /// <exception cref="TrainingCheckpointException">
    /// The file is missing, unreadable, truncated, not a Thorax training checkpoint, from a newer format version, or
    /// has a malformed entry; the message names the file and the entry.
    /// </exception>
    public static TrainingCheckpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new TrainingCheckpointException(path, null, "file not found");
        Dictionary<string, Tensor> tensors;
        IReadOnlyDictionary<string, string> meta;
        try
        {
            (tensors, meta) = SafeTensors.LoadWithMetadata(path);
        }
        catch (WeightFileException e)
        {
            throw new TrainingCheckpointException(path, e.TensorKey, "not a readable safetensors file (truncated or corrupt?): " + e.Message, e);
        }
        return FromParts(tensors, meta, path);
    }

    /// <summary>Parses checkpoint bytes held in memory (see <see cref="Load"/>).</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="TrainingCheckpointException">As for <see cref="Load"/>.</exception>
    public static TrainingCheckpoint FromBytes(ReadOnlySpan<byte> data, string sourceName = MemorySource)
    {
        Dictionary<string, Tensor> tensors;
        IReadOnlyDictionary<string, string> meta;
        try
        {
            (tensors, meta) = SafeTensors.Read(data, sourceName);
        }
        catch (WeightFileException e)
        {
            throw new TrainingCheckpointException(sourceName, e.TensorKey, "not a readable safetensors file (truncated or corrupt?): " + e.Message, e);
        }
        return FromParts(tensors, meta, sourceName);
    }

    private static TrainingCheckpoint FromParts(Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> meta, string source)
    {
        try
        {
            if (!meta.TryGetValue("format", out var format))
                throw new TrainingCheckpointException(source, "__metadata__.format",
                    "not a Thorax training checkpoint: the safetensors metadata has no 'format' entry (a plain weight file? read it with SafeTensors.Load)");
            if (format != FormatName)
                throw new TrainingCheckpointException(source, "__metadata__.format", $"not a Thorax training checkpoint: format is '{format}', expected '{FormatName}'");
            return new TrainingCheckpoint(tensors, new Dictionary<string, string>(meta, StringComparer.Ordinal), source);
        }
        catch
        {
            tensors.DisposeAll();
            throw;
        }
    }

    /// <summary>Frees the checkpoint's tensors. Safe to call twice.</summary>
    public void Dispose() => _tensors.DisposeAll();

    // ---- metadata parsing ----

    private int ReadInt(Dictionary<string, string> m, string key)
    {
        if (!m.TryGetValue(key, out var s)) throw new TrainingCheckpointException(SourceName, "__metadata__." + key, "required entry is missing");
        if (!int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw new TrainingCheckpointException(SourceName, "__metadata__." + key, $"expected an integer, got '{s}'");
        return v;
    }

    private long ReadLong(Dictionary<string, string> m, string key)
    {
        if (!m.TryGetValue(key, out var s)) throw new TrainingCheckpointException(SourceName, "__metadata__." + key, "required entry is missing");
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw new TrainingCheckpointException(SourceName, "__metadata__." + key, $"expected an integer, got '{s}'");
        return v;
    }

    private JsonNode? ReadJson(Dictionary<string, string> m, string key)
    {
        if (!m.TryGetValue(key, out var s)) return null;
        try
        {
            return JsonNode.Parse(s) ?? throw new TrainingCheckpointException(SourceName, "__metadata__." + key, "is JSON null");
        }
        catch (JsonException e)
        {
            throw new TrainingCheckpointException(SourceName, "__metadata__." + key, $"invalid JSON at line {e.LineNumber}, byte {e.BytePositionInLine}: {e.Message}", e);
        }
    }

    private JsonObject? ReadObject(Dictionary<string, string> m, string key) => ReadJson(m, key) switch
    {
        null => null,
        JsonObject o => o,
        var other => throw new TrainingCheckpointException(SourceName, "__metadata__." + key, $"expected a JSON object, got {other.GetValueKind()}"),
    };

    private List<string> ReadStringArray(Dictionary<string, string> m, string key)
    {
        var node = ReadJson(m, key);
        if (node is null) return new List<string>();
        if (node is not JsonArray a) throw new TrainingCheckpointException(SourceName, "__metadata__." + key, "expected a JSON array of names");
        var list = new List<string>();
        foreach (var x in a)
        {
            if (x is not JsonValue v || !v.TryGetValue<string>(out var name) || name.Length == 0 || name.Contains('.'))
                throw new TrainingCheckpointException(SourceName, "__metadata__." + key, $"expected non-empty names without '.', got {x?.ToJsonString() ?? "null"}");
            list.Add(name);
        }
        return list;
    }

    private Dictionary<string, string> ReadRandoms(Dictionary<string, string> m)
    {
        var r = new Dictionary<string, string>(StringComparer.Ordinal);
        var o = ReadObject(m, "randoms");
        if (o is null) return r;
        var probe = new SeededRandom(0UL);
        foreach (var (name, node) in o)
        {
            var key = "__metadata__.randoms." + name;
            if (node is not JsonValue v || !v.TryGetValue<string>(out var state))
                throw new TrainingCheckpointException(SourceName, key, "expected a state string");
            try
            {
                probe.SetStateString(state);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new TrainingCheckpointException(SourceName, key, "invalid SeededRandom state: " + e.Message, e);
            }
            r[name] = state;
        }
        return r;
    }

    private void CheckTensorKeys()
    {
        var hasOptimizer = OptimizerType is not null;
        foreach (var key in _tensors.Keys)
        {
            var t = _tensors[key];
            if (key.StartsWith(ModelPrefix, StringComparison.Ordinal)) continue;
            if (key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            {
                if (!hasOptimizer) throw new TrainingCheckpointException(SourceName, key, "optimizer state tensor without 'optimizer_type'/'optimizer' metadata");
                continue;
            }
            if (key.StartsWith(ExtraPrefix, StringComparison.Ordinal))
            {
                var rest = key.AsSpan(ExtraPrefix.Length);
                var dot = rest.IndexOf('.');
                if (dot <= 0 || !_extraModules.Contains(rest[..dot].ToString()))
                    throw new TrainingCheckpointException(SourceName, key, "belongs to no extra module listed in 'extra_modules'");
                continue;
            }
            if (key.StartsWith(CudaRngPrefix, StringComparison.Ordinal)
                && !int.TryParse(key.AsSpan(CudaRngPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                throw new TrainingCheckpointException(SourceName, key, "a CUDA generator state key must end in the device index (rng.cuda.0)");
            if (key == TorchRngKey || key.StartsWith(CudaRngPrefix, StringComparison.Ordinal)
                || (key.StartsWith(GeneratorPrefix, StringComparison.Ordinal) && key.Length > GeneratorPrefix.Length))
            {
                if (t.dtype != ScalarType.Byte || t.Dimensions != 1)
                    throw new TrainingCheckpointException(SourceName, key, $"a generator state must be a 1-d uint8 tensor, got {t.Describe()}");
                continue;
            }
            throw new TrainingCheckpointException(SourceName, key, "unknown entry (expected model.*, optimizer.state.*, extra.*, rng.torch, rng.cuda.* or rng.generator.*)");
        }
    }
}
