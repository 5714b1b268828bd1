using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Weights;

/// <summary>
/// State dicts of TorchSharp modules with PyTorch's key names (<c>features.norm0.running_mean</c>,
/// <c>...num_batches_tracked</c>): loading that names every missing, unexpected or mis-shaped key, reading any weight
/// file Thorax knows, and disposing dictionaries of tensors.
/// </summary>
public static class StateDicts
{
    /// <summary>
    /// Copies tensors from <paramref name="stateDict"/> into the module's parameters and persistent buffers in place,
    /// matching by dotted key (optimisers holding the parameters keep working). Floating-point values are converted
    /// to the module tensor's dtype and device; a shape difference, or a floating/non-floating dtype difference, is a
    /// mismatch.
    /// </summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="stateDict">Keys and tensors, e.g. from <see cref="SafeTensors.Load(string)"/> or <see cref="TorchCheckpoint"/>.</param>
    /// <param name="strict">
    /// True: any missing key, unexpected key or mismatch throws <see cref="StateDictException"/> listing them all, and
    /// nothing is copied. False: matching entries are copied and the rest reported in the result.
    /// </param>
    /// <param name="source">What the dictionary came from (a file path), named in the exception.</param>
    /// <returns>The keys that were not loaded (all empty after a successful strict load).</returns>
    /// <remarks>PyTorch: <c>Module.load_state_dict(state_dict, strict)</c>; TorchSharp's own <c>load_state_dict</c>
    /// reports keys but not shapes, and copies nothing on a shape mismatch without saying which.</remarks>
    public static LoadStateDictResult Load(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = module.state_dict();
        var missing = new List<string>();
        var mismatches = new List<StateDictMismatch>();
        var toCopy = new List<(Tensor Dst, Tensor Src)>();
        foreach (var (key, dst) in own)
        {
            if (!stateDict.TryGetValue(key, out var src))
            {
                missing.Add(key);
                continue;
            }
            var kindOk = dst.dtype == src.dtype || (dst.dtype.IsFloatingPoint() && src.dtype.IsFloatingPoint());
            if (!dst.shape.AsSpan().SequenceEqual(src.shape) || !kindOk)
            {
                mismatches.Add(new StateDictMismatch(key, dst.Describe(), src.Describe()));
                continue;
            }
            toCopy.Add((dst, src));
        }
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var result = new LoadStateDictResult(missing, unexpected, mismatches);
        if (strict && !result.IsComplete) throw new StateDictException(source is null ? module.GetName() : $"{module.GetName()} from {source}", result);
        using (torch.no_grad())
        {
            foreach (var (dst, src) in toCopy) dst.copy_(src);
        }
        return result;
    }

    /// <summary>
    /// Reads the weights of a file by its format: safetensors (<c>.safetensors</c>), a <c>torch.save</c> zip file
    /// (a plain state dict, or a dict holding one under <c>model</c>, <c>state_dict</c> or <paramref name="key"/>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="key">For torch.save files: the top-level entry holding the state dict (default: the root when it
    /// is a state dict, else <c>model</c>, then <c>state_dict</c>).</param>
    /// <returns>A new dictionary of CPU tensors owned by the caller (dispose with <see cref="DisposeAll"/>).</returns>
    /// <exception cref="WeightFileException">The file is unreadable, of an unknown format, or holds no state dict; the
    /// message names the file and the entry.</exception>
    public static Dictionary<string, Tensor> ReadFile(string path, string? key = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new WeightFileException(path, "file not found");
        Span<byte> head = stackalloc byte[9];
        int got;
        long length;
        using (var fs = File.OpenRead(path))
        {
            length = fs.Length;
            got = fs.ReadAtLeast(head, 9, throwOnEndOfStream: false);
        }
        // safetensors first: an 8-byte little-endian header size, then the JSON header. Its first byte is any value
        // (a header of 128 + 256k bytes starts with 0x80, the pickle opcode of a legacy torch.save).
        if (got == 9 && head[8] == (byte)'{' && System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(head) is var n && n >= 2 && n <= (ulong)(length - 8))
        {
            if (key is not null) throw new WeightFileException(path, $"a safetensors file has no entries like '{key}'; omit the key");
            return SafeTensors.Load(path);
        }
        if (got >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K') return ReadTorchSave(path, key);
        if (got >= 2 && head[0] == 0x80) return TorchCheckpoint.LoadStateDict(path, key); // legacy pickle: a named error
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || got == 8)
        {
            if (key is not null) throw new WeightFileException(path, $"a safetensors file has no entries like '{key}'; omit the key");
            return SafeTensors.Load(path);
        }
        throw new WeightFileException(path, "unknown weight format (expected safetensors or a torch.save zip file)", byteOffset: 0);
    }

    private static Dictionary<string, Tensor> ReadTorchSave(string path, string? key)
    {
        using var root = TorchCheckpoint.Load(path);
        if (key is null && root.Kind == CheckpointValueKind.Dict)
        {
            if (IsStateDict(root)) return root.ToStateDict();
            foreach (var k in new[] { "model", "state_dict" })
                if (root.TryGet(k, out var sub) && sub.Kind == CheckpointValueKind.Dict && IsStateDict(sub))
                    return sub.ToStateDict();
            throw new WeightFileException(path, "the checkpoint is a dict but neither its root nor its 'model' or 'state_dict' entry is a state dict; name the entry that holds one");
        }
        if (key is null) throw new WeightFileException(path, $"the checkpoint root is a {root.Kind}, not a state dict");
        if (root.Kind != CheckpointValueKind.Dict || !root.TryGet(key, out var node))
            throw new WeightFileException(path, $"the checkpoint has no top-level key '{key}'", key);
        try
        {
            return node.ToStateDict();
        }
        catch (InvalidOperationException e)
        {
            throw new WeightFileException(path, $"entry '{key}' is not a state dict: " + e.Message, key, inner: e);
        }
    }

    private static bool IsStateDict(CheckpointValue v) =>
        v.AsDict().Count > 0 && v.AsDict().All(e => e.Key.Kind == CheckpointValueKind.String && e.Value.Kind == CheckpointValueKind.Tensor);

    /// <summary>Reads <paramref name="path"/> (see <see cref="ReadFile"/>) and loads it into <paramref name="module"/>.</summary>
    /// <exception cref="WeightFileException">The file cannot be read.</exception>
    /// <exception cref="StateDictException">Strict loading found keys that do not fit; the message names the file.</exception>
    public static LoadStateDictResult LoadFile(nn.Module module, string path, bool strict = true, string? key = null)
    {
        var sd = ReadFile(path, key);
        try
        {
            return Load(module, sd, strict, path);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    /// <summary>Disposes every tensor of the dictionary and clears it. Safe to call twice.</summary>
    public static void DisposeAll(this IDictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }

    /// <summary>A new dictionary with the entries whose key starts with <paramref name="prefix"/>, the prefix removed
    /// (aliases sharing memory; the caller disposes them).</summary>
    public static Dictionary<string, Tensor> WithPrefixRemoved(this IReadOnlyDictionary<string, Tensor> tensors, string prefix)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in tensors)
            if (k.StartsWith(prefix, StringComparison.Ordinal)) d.Add(k[prefix.Length..], t.alias());
        return d;
    }
}
