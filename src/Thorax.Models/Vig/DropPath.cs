using static TorchSharp.torch;

namespace Thorax.Models.Vig;

/// <summary>Stochastic depth: in training, each sample's residual branch is zeroed with probability p and the kept
/// ones scaled by 1/(1−p); identity in eval. No parameters.</summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    /// <param name="p">Drop probability in [0, 1).</param>
    public DropPath(double p) : base("DropPath")
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p));
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (!training || P == 0) return x.alias();
        using var scope = NewDisposeScope();
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        var mask = empty(shape, x.dtype, x.device).bernoulli_(1 - P);
        return x.mul(mask).div_(1 - P).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
