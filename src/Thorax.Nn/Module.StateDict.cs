namespace Thorax.Nn;

public abstract partial class Module
{
    /// <summary>
    /// The persistent state: every parameter and persistent buffer under its dotted PyTorch key
    /// (<c>features.norm0.running_mean</c>, <c>...num_batches_tracked</c> as an int64 0-d tensor).
    /// </summary>
    /// <returns>
    /// A new dictionary of detached aliases (sharing memory with the module's tensors, so in-place changes show
    /// through); the caller owns it and should dispose it.
    /// </returns>
    public StateDict StateDict()
    {
        var d = new StateDict();
        foreach (var (key, tensor) in StateEntries()) d.Add(key, tensor.Detach());
        return d;
    }

    private IEnumerable<(string Key, Tensor Tensor)> StateEntries()
    {
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var n in m._paramOrder)
                if (m._params[n] is { } p) yield return (Join(prefix, n), p);
            foreach (var n in m._bufferOrder)
                if (m._buffers[n] is { } b && !m._nonPersistent.Contains(n)) yield return (Join(prefix, n), b);
        }
    }

    /// <summary>
    /// Copies tensors from <paramref name="stateDict"/> into this module's parameters and buffers in place, matching
    /// by dotted key (so optimisers holding the parameters keep working). Floating-point values are converted to the
    /// module tensor's dtype and device; a shape difference, or a floating/non-floating dtype difference, is a mismatch.
    /// </summary>
    /// <param name="stateDict">Keys and tensors, e.g. from <see cref="SafeTensors.Load(string)"/> or <see cref="TorchCheckpoint"/>.</param>
    /// <param name="strict">
    /// True: any missing key, unexpected key or mismatch throws <see cref="StateDictException"/> listing them all,
    /// and nothing is copied. False: matching entries are copied and the rest reported in the result.
    /// </param>
    /// <returns>The keys that were not loaded (all empty after a successful strict load).</returns>
    /// <remarks>PyTorch: <c>Module.load_state_dict(state_dict, strict)</c>.</remarks>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var entries = StateEntries().ToList();
        var own = new HashSet<string>(entries.Select(e => e.Key), StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatches = new List<StateDictMismatch>();
        var toCopy = new List<(Tensor Dst, Tensor Src)>();
        foreach (var (key, dst) in entries)
        {
            if (!stateDict.TryGetValue(key, out var src))
            {
                missing.Add(key);
                continue;
            }
            var ds = dst.Shape;
            var ss = src.Shape;
            var dd = dst.DType;
            var sd = src.DType;
            var kindOk = dd == sd || (dd.IsFloatingPoint() && sd.IsFloatingPoint());
            if (!ds.AsSpan().SequenceEqual(ss) || !kindOk)
            {
                mismatches.Add(new StateDictMismatch(key, $"[{string.Join(", ", ds)}] {dd.TorchName()}", $"[{string.Join(", ", ss)}] {sd.TorchName()}"));
                continue;
            }
            toCopy.Add((dst, src));
        }
        var unexpected = stateDict.Keys.Where(k => !own.Contains(k)).ToList();
        var result = new LoadStateDictResult(missing, unexpected, mismatches);
        if (strict && !result.IsComplete) throw new StateDictException(GetType().Name, result);
        using (Torch.NoGrad())
        {
            foreach (var (dst, src) in toCopy) dst.Copy_(src);
        }
        return result;
    }
}
