namespace Thorax.Models.Weights;

/// <summary>The kind of a <see cref="CheckpointValue"/> node (the Python type it was pickled from).</summary>
public enum CheckpointValueKind
{
    /// <summary>Python <c>None</c>.</summary>
    None,
    /// <summary>Python <c>bool</c>.</summary>
    Bool,
    /// <summary>Python <c>int</c> (fits in 64 bits).</summary>
    Int,
    /// <summary>Python <c>float</c>.</summary>
    Float,
    /// <summary>Python <c>str</c>.</summary>
    String,
    /// <summary>Python <c>bytes</c>.</summary>
    Bytes,
    /// <summary>Python <c>list</c>.</summary>
    List,
    /// <summary>Python <c>tuple</c>.</summary>
    Tuple,
    /// <summary>Python <c>dict</c> or <c>collections.OrderedDict</c>.</summary>
    Dict,
    /// <summary>A <c>torch.Tensor</c> or <c>torch.nn.Parameter</c>.</summary>
    Tensor,
}
