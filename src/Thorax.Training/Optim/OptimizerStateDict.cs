using System.Globalization;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Training.Optim;

/// <summary>
/// The state of a TorchSharp <c>SGD</c>, <c>Adam</c> or <c>AdamW</c> optimiser in PyTorch's <c>state_dict()</c>
/// structure: <see cref="State"/> maps a parameter index (counted across groups in order) to named tensors
/// (<c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>, <c>momentum_buffer</c>) and
/// <see cref="ParamGroups"/> holds each group's hyperparameters (PyTorch names) and parameter indices. For checkpoint
/// files it converts to a flat tensor dictionary (keys <c>state.{index}.{name}</c>, optionally prefixed) plus a JSON
/// text of the groups (<c>{"param_groups":[{"lr":...,"betas":[...],"params":[0,1]}]}</c>).
/// </summary>
/// <remarks>
/// <para>TorchSharp's own <c>state_dict()</c> returns the live per-parameter state objects and a TorchSharp-only
/// binary format; this class reads those objects' fields (<c>SGD.State.momentum_buffer</c>; <c>Adam.State</c> /
/// <c>AdamW.State</c> <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>) and writes them back.</para>
/// <para>As in PyTorch 1.13, only parameters that were updated have state: Adam-style state once <c>step</c> &gt; 0
/// (TorchSharp allocates it eagerly with step 0), SGD state once a momentum buffer exists. <c>step</c> is written as
/// a float32 0-d tensor, PyTorch 1.13's type.</para>
/// <para>The object owns its tensors; dispose it.</para>
/// </remarks>
public sealed class OptimizerStateDict : IDisposable
{
    private readonly SortedDictionary<int, IReadOnlyDictionary<string, Tensor>> _state;

    private OptimizerStateDict(SortedDictionary<int, IReadOnlyDictionary<string, Tensor>> state, IReadOnlyList<ParamGroupState> groups)
    {
        _state = state;
        ParamGroups = groups;
    }

    /// <summary>Parameter index → state name → tensor (owned by this object: do not dispose them).</summary>
    public IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> State => _state;

    /// <summary>Saved parameter groups, in order.</summary>
    public IReadOnlyList<ParamGroupState> ParamGroups { get; }

    /// <summary>Copies the state of <paramref name="optimizer"/> (later steps do not change the copy).</summary>
    /// <exception cref="NotSupportedException">The optimiser is not SGD, Adam or AdamW (or a subclass).</exception>
    public static OptimizerStateDict Capture(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var helper = Helper(optimizer);
        var groups = OptimizerGroups.Of(optimizer);
        var live = helper.state_dict().State;
        var state = new SortedDictionary<int, IReadOnlyDictionary<string, Tensor>>();
        var saved = new List<ParamGroupState>();
        var index = 0;
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var g in groups)
            {
                var start = index;
                foreach (var _ in g.Parameters)
                {
                    var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                    switch (live[index])
                    {
                        case SGD.State s:
                            if (s.momentum_buffer is { } buf) d["momentum_buffer"] = Copy(buf);
                            break;
                        case Adam.State s when s.step > 0:
                            AddAdam(d, s.step, s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq);
                            break;
                        case AdamW.State s when s.step > 0:
                            AddAdam(d, s.step, s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq);
                            break;
                        case Adam.State or AdamW.State:
                            break;
                        case var other:
                            throw new NotSupportedException($"optimiser state {other?.GetType().FullName ?? "null"} is not supported (SGD, Adam and AdamW are)");
                    }
                    if (d.Count > 0) state[index] = d;
                    index++;
                }
                saved.Add(new ParamGroupState(OptimizerGroups.Read(g), Enumerable.Range(start, index - start)));
            }
            return new OptimizerStateDict(state, saved);
        }
        catch
        {
            foreach (var d in state.Values)
                foreach (var t in d.Values) t.Dispose();
            throw;
        }

        static void AddAdam(Dictionary<string, Tensor> d, long step, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq)
        {
            d["step"] = torch.tensor((float)step, ScalarType.Float32).DetachFromDisposeScope();
            d["exp_avg"] = Copy(expAvg);
            d["exp_avg_sq"] = Copy(expAvgSq);
            if (maxExpAvgSq is not null) d["max_exp_avg_sq"] = Copy(maxExpAvgSq);
        }
    }

    /// <summary>
    /// Builds a state dict from tensors and groups. The state dict keeps its own handles (same storage), so the
    /// caller still owns and disposes its tensors.
    /// </summary>
    /// <param name="state">Parameter index → state name → tensor.</param>
    /// <param name="paramGroups">The saved groups; together they must list every index used in <paramref name="state"/>.</param>
    /// <exception cref="OptimizerStateException">An index is listed twice, or has state but no group.</exception>
    public static OptimizerStateDict Create(IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> state, IReadOnlyList<ParamGroupState> paramGroups)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(paramGroups);
        var listed = new HashSet<int>();
        for (var g = 0; g < paramGroups.Count; g++)
            foreach (var i in paramGroups[g].Params)
                if (!listed.Add(i)) throw new OptimizerStateException($"param_groups.{g}.params", $"parameter index {i} is listed twice");
        var own = new SortedDictionary<int, IReadOnlyDictionary<string, Tensor>>();
        foreach (var (i, entries) in state)
        {
            if (!listed.Contains(i))
            {
                foreach (var d in own.Values)
                    foreach (var t in d.Values) t.Dispose();
                throw new OptimizerStateException($"state.{i}", $"state for parameter {i}, which no parameter group lists");
            }
            var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, t) in entries) copy[k] = t.alias().DetachFromDisposeScope();
            own[i] = copy;
        }
        return new OptimizerStateDict(own, paramGroups.ToArray());
    }

    /// <summary>
    /// The state tensors under flat keys <c>{prefix}state.{index}.{name}</c> (e.g. <c>optimizer.state.3.exp_avg</c>).
    /// </summary>
    /// <returns>New handles (same storage), owned by the caller or the current dispose scope.</returns>
    public Dictionary<string, Tensor> ToTensors(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (i, entries) in _state)
            foreach (var (k, t) in entries)
                d[string.Create(CultureInfo.InvariantCulture, $"{prefix}state.{i}.{k}")] = t.alias();
        return d;
    }

    /// <summary>
    /// The parameter groups as JSON in PyTorch's layout: <c>{"param_groups":[{"lr":0.001,"betas":[0.9,0.999],
    /// "amsgrad":false,...,"params":[0,1,2]}]}</c>. Numbers are written so that they read back bit-exactly.
    /// </summary>
    public string ToJson(bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteStartArray("param_groups");
            foreach (var g in ParamGroups)
            {
                w.WriteStartObject();
                foreach (var (k, v) in g.Hyperparameters)
                {
                    switch (v)
                    {
                        case double d:
                            w.WriteNumber(k, d);
                            break;
                        case bool b:
                            w.WriteBoolean(k, b);
                            break;
                        case ValueTuple<double, double> p:
                            w.WriteStartArray(k);
                            w.WriteNumberValue(p.Item1);
                            w.WriteNumberValue(p.Item2);
                            w.WriteEndArray();
                            break;
                    }
                }
                w.WriteStartArray("params");
                foreach (var i in g.Params) w.WriteNumberValue(i);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>
    /// Rebuilds a state dict from a flat tensor dictionary and the JSON of <see cref="ToJson"/> (PyTorch's
    /// <c>param_groups</c> as JSON is accepted too: <c>null</c> values such as <c>"foreach": null</c> are skipped).
    /// Only keys starting with <c>{prefix}state.</c> are read, so one dictionary may also hold model weights.
    /// </summary>
    /// <param name="tensors">Flat tensors; the state dict takes its own handles, the caller keeps ownership of these.</param>
    /// <param name="json">The <c>param_groups</c> JSON.</param>
    /// <param name="prefix">Key prefix used when saving, e.g. <c>optimizer.</c>.</param>
    /// <exception cref="OptimizerStateException">A key or the JSON is malformed.</exception>
    public static OptimizerStateDict FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string json, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(prefix);
        var groups = ParseGroups(json);
        var state = new Dictionary<int, IReadOnlyDictionary<string, Tensor>>();
        var head = prefix + "state.";
        foreach (var (key, t) in tensors)
        {
            if (!key.StartsWith(head, StringComparison.Ordinal)) continue;
            var rest = key.AsSpan(head.Length);
            var dot = rest.IndexOf('.');
            if (dot <= 0 || dot == rest.Length - 1 || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                throw new OptimizerStateException(key, $"expected a key of the form {head}<index>.<name>");
            if (!state.TryGetValue(index, out var entries)) state[index] = entries = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            ((Dictionary<string, Tensor>)entries)[rest[(dot + 1)..].ToString()] = t;
        }
        return Create(state, groups);
    }

    /// <summary>
    /// Loads this state into <paramref name="optimizer"/> (same type and parameter layout as the one captured):
    /// group hyperparameters (including <c>lr</c> and, when saved, <c>initial_lr</c>) are replaced by the saved
    /// ones, and each parameter's state is copied in (cast to the parameter's dtype and device); parameters without
    /// saved state get fresh state (no momentum buffer; Adam step 0). Everything is checked before anything changes.
    /// </summary>
    /// <exception cref="OptimizerStateException">
    /// Group count or sizes, a hyperparameter, a state index, a state name or a state shape do not fit (the key is named).
    /// </exception>
    /// <exception cref="NotSupportedException">The optimiser is not SGD, Adam or AdamW (or a subclass).</exception>
    public void LoadInto(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var helper = Helper(optimizer);
        var groups = OptimizerGroups.Of(optimizer);
        var live = helper.state_dict().State;
        if (ParamGroups.Count != groups.Count)
            throw new OptimizerStateException("param_groups", $"loaded state dict has {ParamGroups.Count} parameter groups, the optimiser has {groups.Count}");
        var writes = new Action[groups.Count];
        var amsgrad = new List<bool>();
        var flat = new List<Parameter>();
        for (var i = 0; i < groups.Count; i++)
        {
            var ours = groups[i].Parameters.ToList();
            if (ParamGroups[i].Params.Count != ours.Count)
                throw new OptimizerStateException($"param_groups.{i}.params", $"loaded parameter group {i} has {ParamGroups[i].Params.Count} parameters, the optimiser's has {ours.Count}");
            writes[i] = OptimizerGroups.PrepareWrite(groups[i], ParamGroups[i].Hyperparameters, $"param_groups.{i}");
            var ams = ParamGroups[i]["amsgrad"] is true;
            foreach (var p in ours)
            {
                flat.Add(p);
                amsgrad.Add(ams);
            }
        }
        if (live.Count != flat.Count)
            throw new InvalidOperationException($"the optimiser has {live.Count} state records for {flat.Count} parameters");

        // Saved index -> our parameter, pairing the groups' parameter lists in order (as PyTorch does).
        var map = new Dictionary<int, int>();
        var next = 0;
        foreach (var g in ParamGroups)
            foreach (var savedIndex in g.Params) map[savedIndex] = next++;

        var fresh = new Dictionary<string, Tensor>?[flat.Count];
        var steps = new long[flat.Count];
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var (savedIndex, entries) in _state)
            {
                if (!map.TryGetValue(savedIndex, out var target))
                    throw new OptimizerStateException($"state.{savedIndex}", $"state for parameter {savedIndex}, which no saved parameter group lists");
                var p = flat[target];
                var adamStyle = live[target] is Adam.State or AdamW.State;
                string[] allowed = adamStyle ? new[] { "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq" } : new[] { "momentum_buffer" };
                foreach (var key in entries.Keys)
                    if (!allowed.Contains(key))
                        throw new OptimizerStateException($"state.{savedIndex}.{key}", $"not a state entry of {optimizer.GetType().Name} (expected {string.Join(", ", allowed)})");
                if (adamStyle)
                {
                    foreach (var key in new[] { "step", "exp_avg", "exp_avg_sq" })
                        if (!entries.ContainsKey(key)) throw new OptimizerStateException($"state.{savedIndex}.{key}", "missing (Adam-style state needs step, exp_avg and exp_avg_sq)");
                    if (amsgrad[target] && !entries.ContainsKey("max_exp_avg_sq"))
                        throw new OptimizerStateException($"state.{savedIndex}.max_exp_avg_sq", "missing, and the parameter's group uses amsgrad");
                    steps[target] = ReadStep(entries["step"], $"state.{savedIndex}.step");
                }
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                fresh[target] = d;
                foreach (var (key, value) in entries)
                {
                    if (key == "step") continue;
                    if (!value.shape.AsSpan().SequenceEqual(p.shape))
                        throw new OptimizerStateException($"state.{savedIndex}.{key}", $"saved {Describe(value)} does not match parameter {target} {Describe(p)}");
                    if (!value.is_floating_point())
                        throw new OptimizerStateException($"state.{savedIndex}.{key}", $"saved {Describe(value)} is not floating point");
                    d[key] = value.to(p.dtype, p.device, copy: true).DetachFromDisposeScope();
                }
            }
        }
        catch
        {
            foreach (var d in fresh)
                if (d is not null) foreach (var t in d.Values) t.Dispose();
            throw;
        }

        foreach (var w in writes) w();
        var gi = 0;
        var inGroup = 0;
        for (var i = 0; i < flat.Count; i++)
        {
            while (inGroup >= groups[gi].Parameters.Count())
            {
                gi++;
                inGroup = 0;
            }
            inGroup++;
            var options = groups[gi].Options;
            var d = fresh[i];
            switch (live[i])
            {
                case SGD.State s:
                    s.Initialize(options);
                    if (d is not null && d.TryGetValue("momentum_buffer", out var buf)) s.momentum_buffer = buf;
                    break;
                case Adam.State s:
                    s.Initialize(options);
                    if (d is not null) RestoreAdam(d, steps[i], ref s.step, ref s.exp_avg, ref s.exp_avg_sq, ref s.max_exp_avg_sq);
                    break;
                case AdamW.State s:
                    s.Initialize(options);
                    if (d is not null) RestoreAdam(d, steps[i], ref s.step, ref s.exp_avg, ref s.exp_avg_sq, ref s.max_exp_avg_sq);
                    break;
            }
        }

        // Adam.State and AdamW.State are unrelated TorchSharp classes with the same fields.
        static void RestoreAdam(Dictionary<string, Tensor> d, long step, ref long sStep, ref Tensor expAvg, ref Tensor expAvgSq, ref Tensor maxExpAvgSq)
        {
            sStep = step;
            (expAvg, expAvgSq) = Swap(expAvg, d["exp_avg"], expAvgSq, d["exp_avg_sq"]);
            maxExpAvgSq = Replace(maxExpAvgSq, d.GetValueOrDefault("max_exp_avg_sq"))!;
        }

        static (Tensor, Tensor) Swap(Tensor oldA, Tensor newA, Tensor oldB, Tensor newB)
        {
            oldA.Dispose();
            oldB.Dispose();
            return (newA, newB);
        }

        static Tensor? Replace(Tensor? old, Tensor? saved)
        {
            if (saved is null) return old;
            old?.Dispose();
            return saved;
        }
    }

    private static long ReadStep(Tensor t, string key)
    {
        if (t.numel() != 1) throw new OptimizerStateException(key, $"expected a single number, got {Describe(t)}");
        var v = t.to(ScalarType.Float64).item<double>();
        if (!(v >= 0) || v != Math.Floor(v) || v > long.MaxValue)
            throw new OptimizerStateException(key, $"expected a non-negative whole number of steps, got {v.ToString(CultureInfo.InvariantCulture)}");
        return (long)v;
    }

    internal static string Describe(Tensor t) => $"{t.dtype} [{string.Join(", ", t.shape)}]";

    private static OptimizerHelper Helper(optim.Optimizer optimizer) => optimizer is OptimizerHelper h && optimizer is SGD or Adam or AdamW
        ? h
        : throw new NotSupportedException($"optimiser {optimizer.GetType().FullName} is not supported (TorchSharp's SGD, Adam and AdamW and their subclasses are)");

    // No chained temporary: a detach() result referenced only by its handle could be finalized during clone().
    private static Tensor Copy(Tensor t)
    {
        using var view = t.detach();
        return view.clone().DetachFromDisposeScope();
    }

    private static List<ParamGroupState> ParseGroups(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new OptimizerStateException("param_groups", $"invalid JSON at line {e.LineNumber}, byte {e.BytePositionInLine}: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("param_groups", out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new OptimizerStateException("param_groups", "expected a JSON object with a \"param_groups\" array");
            var groups = new List<ParamGroupState>();
            var gi = 0;
            foreach (var g in arr.EnumerateArray())
            {
                var path = $"param_groups.{gi}";
                if (g.ValueKind != JsonValueKind.Object) throw new OptimizerStateException(path, "expected an object");
                var values = new List<KeyValuePair<string, object>>();
                int[]? ps = null;
                foreach (var prop in g.EnumerateObject())
                {
                    var p = $"{path}.{prop.Name}";
                    var v = prop.Value;
                    if (prop.Name == "params")
                    {
                        if (v.ValueKind != JsonValueKind.Array) throw new OptimizerStateException(p, "expected an array of parameter indices");
                        ps = v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var i) && i >= 0
                            ? i : throw new OptimizerStateException(p, $"expected non-negative integer indices, got {x.GetRawText()}")).ToArray();
                        continue;
                    }
                    object? value = v.ValueKind switch
                    {
                        JsonValueKind.Number => v.GetDouble(),
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.Null => null,
                        JsonValueKind.Array when v.GetArrayLength() == 2 && v[0].ValueKind == JsonValueKind.Number && v[1].ValueKind == JsonValueKind.Number =>
                            (v[0].GetDouble(), v[1].GetDouble()),
                        _ => throw new OptimizerStateException(p, $"unsupported hyperparameter value {v.GetRawText()}; expected a number, a flag or a pair of numbers"),
                    };
                    if (value is not null) values.Add(new(prop.Name, value));
                }
                if (ps is null) throw new OptimizerStateException(path, "missing \"params\"");
                groups.Add(new ParamGroupState(values, ps));
                gi++;
            }
            return groups;
        }
    }

    /// <summary>Releases the tensors. Safe to call twice.</summary>
    public void Dispose()
    {
        foreach (var entries in _state.Values)
            foreach (var t in entries.Values) t.Dispose();
        _state.Clear();
    }
}
