namespace Thorax.Optim;

/// <summary>Default hyperparameters of <see cref="Adam"/> (PyTorch's <c>torch.optim.Adam</c> arguments and defaults).</summary>
public sealed record AdamOptions
{
    /// <summary>PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay.</summary>
    public static AdamOptions Default { get; } = new();

    /// <summary>Learning rate <c>lr</c>, ≥ 0. Default 1e-3.</summary>
    public double Lr { get; init; } = 1e-3;

    /// <summary>Decay rates of the first and second moment averages (<c>betas</c>), each in [0, 1). Default (0.9, 0.999).</summary>
    public (double Beta1, double Beta2) Betas { get; init; } = (0.9, 0.999);

    /// <summary>Term added to the denominator (<c>eps</c>), ≥ 0. Default 1e-8.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>L2 penalty added to the gradient (<c>weight_decay</c>), ≥ 0. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Use the running maximum of the second moment (<c>amsgrad</c>). Default false.</summary>
    public bool AmsGrad { get; init; }

    /// <summary>Maximise the objective instead of minimising it (<c>maximize</c>). Default false.</summary>
    public bool Maximize { get; init; }

    internal IEnumerable<KeyValuePair<string, object>> ToDefaults() =>
        AdamKernel.Defaults(Lr, Betas, Eps, WeightDecay, AmsGrad, Maximize);
}
