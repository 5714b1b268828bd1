namespace Thorax.Nn;

/// <summary>
/// In training mode zeroes each element with probability p and scales the rest by 1/(1−p); identity (an alias) in
/// eval mode. Randomness comes from the global generator (<c>Torch.ManualSeed</c>).
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Dropout</c>.</remarks>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> outside [0, 1].</exception>
    public Dropout(double p = 0.5)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability has to be between 0 and 1");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>True: evaluation mode returns the input unchanged.</summary>
    public override bool IsIdentityInEval => true;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Dropout(input, P, IsTraining);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}
