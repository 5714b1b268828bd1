
namespace Thorax.Optim;

/// <summary>
/// Adam with optional AMSGrad, L2 weight decay (added to the gradient) and maximisation, with PyTorch 1.13's
/// single-tensor arithmetic. Per-parameter state: <c>step</c> (0-d float32 CPU tensor, the update count),
/// <c>exp_avg</c>, <c>exp_avg_sq</c> and, with AMSGrad, <c>max_exp_avg_sq</c> (same shape as the parameter).
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.Adam</c> (foreach=False path).</remarks>
public sealed class Adam : Optimizer
{
    /// <summary>One group over <paramref name="parameters"/>; <paramref name="options"/> defaults to <see cref="AdamOptions.Default"/>.</summary>
    public Adam(IEnumerable<Tensor> parameters, AdamOptions? options = null)
        : this(new[] { new ParamGroup(parameters) }, options) { }

    /// <summary>Several groups; keys a group does not set come from <paramref name="options"/>.</summary>
    public Adam(IEnumerable<ParamGroup> groups, AdamOptions? options = null)
        : base(groups, (options ?? AdamOptions.Default).ToDefaults()) { }

    private protected override void ValidateGroup(ParamGroup group) => AdamKernel.Validate(group);

    private protected override void StepGroup(ParamGroup group, int[] indices, Tensor[] parameters, Tensor[] grads) =>
        AdamKernel.Step(group, indices, parameters, grads, State, decoupled: false);
}
