using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Thorax.Optim;

/// <summary>
/// An optimiser's saved state, structured like PyTorch's <c>optimizer.state_dict()</c>: <see cref="State"/> maps a
/// parameter index to named tensors (<c>step</c>, <c>exp_avg</c>, <c>momentum_buffer</c>, ...) and
/// <see cref="ParamGroups"/> holds each group's hyperparameters and parameter indices. For checkpoint files it
/// converts to a flat tensor dictionary (keys <c>state.{index}.{name}</c>, optionally prefixed) plus a JSON text of
/// the groups (<c>{"param_groups":[{"lr":...,"betas":[...],"params":[0,1]}]}</c>, PyTorch's layout and names).
/// </summary>
/// <remarks>The object owns its tensor handles; dispose it when done. PyTorch: the dict from <c>Optimizer.state_dict()</c>.</remarks>
public sealed class OptimizerStateDict : IDisposable
{
    private readonly SortedDictionary<int, IReadOnlyDictionary<string, Tensor>> _state;

    private OptimizerStateDict(SortedDictionary<int, IReadOnlyDictionary<string, Tensor>> state, IReadOnlyList<ParamGroupState> groups)
    {
        _state = state;
        ParamGroups = groups;
    }

    /// <summary>Wraps tensors the caller already owns exclusively (no aliasing).</summary>
    internal static OptimizerStateDict TakeOwnership(SortedDictionary<int, IReadOnlyDictionary<string, Tensor>> state, IReadOnlyList<ParamGroupState> groups) =>
        new(state, groups);

    /// <summary>
    /// Builds a state dict from tensors and groups. The tensors are not taken: the state dict keeps its own handles
    /// (same storage), so the caller still owns and disposes its tensors.
    /// </summary>
    /// <param name="state">Parameter index → state name → tensor.</param>
    /// <param name="paramGroups">The saved groups; together they must list every index used in <paramref name="state"/>.</param>
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
            if (!listed.Contains(i)) throw new OptimizerStateException($"state.{i}", $"state for parameter {i}, which no parameter group lists");
            var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, t) in entries) d[k] = t.Alias().DetachFromScope();
            own[i] = d;
        }
        return new OptimizerStateDict(own, paramGroups.ToArray());
    }

    /// <summary>Parameter index → state name → tensor (owned by this object: do not dispose them).</summary>
    public IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> State => _state;

    /// <summary>Saved parameter groups, in order.</summary>
    public IReadOnlyList<ParamGroupState> ParamGroups { get; }

    /// <summary>
    /// The state tensors under flat keys <c>{prefix}state.{index}.{name}</c> (e.g. <c>optimizer.state.3.exp_avg</c>),
    /// ready to be written next to the model weights.
    /// </summary>
    /// <returns>New handles (same storage) owned by the caller or the current <see cref="TensorScope"/>.</returns>
    public Dictionary<string, Tensor> ToTensors(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (i, entries) in _state)
            foreach (var (k, t) in entries)
                d[string.Create(CultureInfo.InvariantCulture, $"{prefix}state.{i}.{k}")] = t.Alias();
        return d;
    }

    /// <summary>
    /// The parameter groups as JSON, PyTorch's layout: <c>{"param_groups":[{"lr":0.001,"betas":[0.9,0.999],
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

    /// <summary>Releases the tensor handles. Safe to call twice.</summary>
    public void Dispose()
    {
        foreach (var entries in _state.Values)
            foreach (var t in entries.Values) t.Dispose();
        _state.Clear();
    }
}
