
namespace Thorax.Optim;

/// <summary>
/// AdamW: Adam with decoupled weight decay (each step multiplies the parameter by 1 - lr·weight_decay before the
/// Adam update), with PyTorch 1.13's single-tensor arithmetic. State as <see cref="Adam"/>.
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.AdamW</c> (foreach=False path).</remarks>
public sealed class AdamW : Optimizer
{
    /// <summary>One group over <paramref name="parameters"/>; <paramref name="options"/> defaults to <see cref="AdamWOptions.Default"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, AdamWOptions? options = null)
        : this(new[] { new ParamGroup(parameters) }, options) { }

    /// <summary>Several groups; keys a group does not set come from <paramref name="options"/>.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, AdamWOptions? options = null)
        : base(groups, (options ?? AdamWOptions.Default).ToDefaults()) { }

    private protected override void ValidateGroup(ParamGroup group) => AdamKernel.Validate(group);

    private protected override void StepGroup(ParamGroup group, int[] indices, Tensor[] parameters, Tensor[] grads) =>
        AdamKernel.Step(group, indices, parameters, grads, State, decoupled: true);
}
