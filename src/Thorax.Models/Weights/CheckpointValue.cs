using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Weights;

/// <summary>
/// One node of a checkpoint read by <see cref="TorchCheckpoint"/>: a dict, list, tuple, tensor, number, string,
/// bytes, bool or None. Dicts keep insertion order and may have non-string keys (optimizer states use ints).
/// A node owns the tensors below it; disposing the root frees them all.
/// </summary>
public sealed class CheckpointValue : IDisposable
{
    private readonly object? _value;

    private CheckpointValue(CheckpointValueKind kind, object? value)
    {
        Kind = kind;
        _value = value;
    }

    internal static readonly CheckpointValue NoneValue = new(CheckpointValueKind.None, null);

    internal static CheckpointValue Of(bool b) => new(CheckpointValueKind.Bool, b);
    internal static CheckpointValue Of(long v) => new(CheckpointValueKind.Int, v);
    internal static CheckpointValue Of(double v) => new(CheckpointValueKind.Float, v);
    internal static CheckpointValue Of(string v) => new(CheckpointValueKind.String, v);
    internal static CheckpointValue Of(byte[] v) => new(CheckpointValueKind.Bytes, v);
    internal static CheckpointValue Of(Tensor v) => new(CheckpointValueKind.Tensor, v);
    internal static CheckpointValue List(List<CheckpointValue> items) => new(CheckpointValueKind.List, items);
    internal static CheckpointValue Tuple(List<CheckpointValue> items) => new(CheckpointValueKind.Tuple, items);
    internal static CheckpointValue Dict(List<KeyValuePair<CheckpointValue, CheckpointValue>> items) => new(CheckpointValueKind.Dict, items);

    /// <summary>The node's kind.</summary>
    public CheckpointValueKind Kind { get; }

    private InvalidOperationException Wrong(string want) => new($"checkpoint value is a {Kind}, not a {want}");

    /// <summary>The bool value.</summary>
    public bool AsBool() => Kind == CheckpointValueKind.Bool ? (bool)_value! : throw Wrong("Bool");

    /// <summary>The integer value (bools count as 0/1, as in Python).</summary>
    public long AsInt64() => Kind switch
    {
        CheckpointValueKind.Int => (long)_value!,
        CheckpointValueKind.Bool => (bool)_value! ? 1 : 0,
        _ => throw Wrong("Int"),
    };

    /// <summary>The numeric value of an Int or Float node.</summary>
    public double AsDouble() => Kind switch
    {
        CheckpointValueKind.Float => (double)_value!,
        CheckpointValueKind.Int => (long)_value!,
        _ => throw Wrong("Float"),
    };

    /// <summary>The string value.</summary>
    public string AsString() => Kind == CheckpointValueKind.String ? (string)_value! : throw Wrong("String");

    /// <summary>The bytes value.</summary>
    public byte[] AsBytes() => Kind == CheckpointValueKind.Bytes ? (byte[])_value! : throw Wrong("Bytes");

    /// <summary>The tensor (owned by this node; alias or clone it to keep it past <see cref="Dispose"/>).</summary>
    public Tensor AsTensor() => Kind == CheckpointValueKind.Tensor ? (Tensor)_value! : throw Wrong("Tensor");

    /// <summary>The items of a List or Tuple node.</summary>
    public IReadOnlyList<CheckpointValue> AsList() =>
        Kind is CheckpointValueKind.List or CheckpointValueKind.Tuple ? (List<CheckpointValue>)_value! : throw Wrong("List");

    /// <summary>The entries of a Dict node in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<CheckpointValue, CheckpointValue>> AsDict() =>
        Kind == CheckpointValueKind.Dict ? (List<KeyValuePair<CheckpointValue, CheckpointValue>>)_value! : throw Wrong("Dict");

    /// <summary>The value under a string key of a Dict node.</summary>
    /// <exception cref="KeyNotFoundException">No such key.</exception>
    public CheckpointValue this[string key] => TryGet(key, out var v) ? v : throw new KeyNotFoundException($"checkpoint dict has no key '{key}'");

    /// <summary>Looks up a string key of a Dict node.</summary>
    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CheckpointValue? value)
    {
        foreach (var (k, v) in AsDict())
        {
            if (k.Kind == CheckpointValueKind.String && (string)k._value! == key)
            {
                value = v;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>
    /// The tensors of a Dict node whose keys are strings and values tensors (a PyTorch state dict), as a new
    /// dictionary of aliases (sharing memory) that the caller owns.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node is not such a dict.</exception>
    public Dictionary<string, Tensor> ToStateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, v) in AsDict())
        {
            if (k.Kind != CheckpointValueKind.String || v.Kind != CheckpointValueKind.Tensor)
            {
                d.DisposeAll();
                throw new InvalidOperationException($"its entry {k} is a {v.Kind} (a state dict has string keys and tensor values)");
            }
            d.Add(k.AsString(), v.AsTensor().alias());
        }
        return d;
    }

    /// <summary>Disposes every tensor in this subtree. Shared nodes (a container referenced twice in the pickle) are
    /// visited once: the tree may be a graph whose paths grow exponentially with depth.</summary>
    public void Dispose()
    {
        var seen = new HashSet<CheckpointValue>(ReferenceEqualityComparer.Instance);
        var todo = new Stack<CheckpointValue>();
        todo.Push(this);
        while (todo.Count > 0)
        {
            var n = todo.Pop();
            if (!seen.Add(n)) continue;
            switch (n.Kind)
            {
                case CheckpointValueKind.Tensor: ((Tensor)n._value!).Dispose(); break;
                case CheckpointValueKind.List or CheckpointValueKind.Tuple:
                    foreach (var v in (List<CheckpointValue>)n._value!) todo.Push(v);
                    break;
                case CheckpointValueKind.Dict:
                    foreach (var (k, v) in (List<KeyValuePair<CheckpointValue, CheckpointValue>>)n._value!)
                    {
                        todo.Push(k);
                        todo.Push(v);
                    }
                    break;
            }
        }
    }

    /// <summary>A short Python-like rendering (tensors as their shape and dtype).</summary>
    public override string ToString() => Kind switch
    {
        CheckpointValueKind.None => "None",
        CheckpointValueKind.Bool => (bool)_value! ? "True" : "False",
        CheckpointValueKind.Int => ((long)_value!).ToString(CultureInfo.InvariantCulture),
        CheckpointValueKind.Float => ((double)_value!).ToString("R", CultureInfo.InvariantCulture),
        CheckpointValueKind.String => "'" + (string)_value! + "'",
        CheckpointValueKind.Bytes => $"bytes[{((byte[])_value!).Length}]",
        CheckpointValueKind.Tensor => ((Tensor)_value!).IsInvalid ? "Tensor(disposed)" : ((Tensor)_value!).Describe(),
        CheckpointValueKind.List => $"list[{AsList().Count}]",
        CheckpointValueKind.Tuple => $"tuple[{AsList().Count}]",
        _ => $"dict[{AsDict().Count}]",
    };
}
