namespace Thorax.Nn;

/// <summary>How convolution layers pad their input (PyTorch's <c>padding_mode</c>).</summary>
public enum PaddingMode
{
    /// <summary>Zero padding (inside the convolution).</summary>
    Zeros,
    /// <summary>Reflection of the border, excluding the edge sample.</summary>
    Reflect,
    /// <summary>Repetition of the edge sample.</summary>
    Replicate,
    /// <summary>Wrap-around.</summary>
    Circular,
}
