namespace Thorax.Nn;

/// <summary>
/// In training mode zeroes whole channels of an input (N, C, H, W) with probability p and scales the rest by 1/(1−p); identity (an alias) in
/// eval mode. Randomness comes from the global generator (<c>Torch.ManualSeed</c>).
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Dropout2d</c>.</remarks>
public sealed class Dropout2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> outside [0, 1].</exception>
    public Dropout2d(double p = 0.5)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability has to be between 0 and 1");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>True: evaluation mode returns the input unchanged.</summary>
    public override bool IsIdentityInEval => true;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Dropout2d(input, P, IsTraining);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}
