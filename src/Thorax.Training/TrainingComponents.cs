using Thorax.Training.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Training;

/// <summary>
/// The live objects whose state a <see cref="TrainingCheckpoint"/> captures and restores: the model, and optionally
/// the optimiser (TorchSharp's SGD, Adam or AdamW, or <see cref="Optim.PyTorchSgd"/>), an epoch/step scheduler, a plateau
/// scheduler, named extra modules (an SWA or EMA copy), named <c>torch.Generator</c>s, named <see cref="SeededRandom"/>s,
/// and the global torch CPU generator.
/// </summary>
/// <remarks>
/// Names of extra modules, generators and random sources must be non-empty and must not contain <c>.</c> (they
/// become parts of tensor keys). Build the same components (same architecture, same optimiser type and parameter
/// groups, same scheduler types and hyperparameters) before restoring.
/// </remarks>
public sealed record TrainingComponents
{
    /// <summary>The model being trained (its state dict is stored under <c>model.</c>).</summary>
    public required nn.Module Model { get; init; }

    /// <summary>The optimiser (state tensors under <c>optimizer.state.</c>, groups in metadata), or null.</summary>
    public optim.Optimizer? Optimizer { get; init; }

    /// <summary>An epoch or step learning-rate scheduler (use <see cref="SequentialLR"/> to combine several), or null.</summary>
    public LRScheduler? Scheduler { get; init; }

    /// <summary>A <see cref="ReduceLROnPlateau"/> scheduler, or null.</summary>
    public ReduceLROnPlateau? PlateauScheduler { get; init; }

    /// <summary>
    /// Further modules to checkpoint by name, e.g. <c>["swa"] = swaAveragedModel</c>; stored under <c>extra.{name}.</c>.
    /// </summary>
    public IReadOnlyDictionary<string, nn.Module> ExtraModules { get; init; } = new Dictionary<string, nn.Module>();

    /// <summary>TorchSharp generators by name (e.g. the augmentation noise generator); states under <c>rng.generator.{name}</c>.</summary>
    public IReadOnlyDictionary<string, Generator> Generators { get; init; } = new Dictionary<string, Generator>();

    /// <summary>Host-side random sources by name (e.g. <c>shuffle</c>, <c>augment</c>); states in metadata.</summary>
    public IReadOnlyDictionary<string, SeededRandom> Randoms { get; init; } = new Dictionary<string, SeededRandom>();

    /// <summary>
    /// Whether to capture and restore the global torch CPU generator (dropout, weight initialisation and every random
    /// op without an explicit generator draw from it). Default true. CUDA generators are not captured: TorchSharp 0.107
    /// exposes no CUDA generator state (<c>torch.cuda</c> has seeding only), so a run resumed on a GPU reproduces the
    /// CPU random stream but not dropout or random ops executed on the GPU.
    /// </summary>
    public bool IncludeTorchRng { get; init; } = true;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Model);
        CheckNames(ExtraModules.Keys, nameof(ExtraModules));
        CheckNames(Generators.Keys, nameof(Generators));
        CheckNames(Randoms.Keys, nameof(Randoms));
        if (Scheduler is not null && Optimizer is not null && !ReferenceEquals(Scheduler.Optimizer, Optimizer))
            throw new ArgumentException("the scheduler drives a different optimiser than the one in the components", nameof(Scheduler));
        if (PlateauScheduler is not null && Optimizer is not null && !ReferenceEquals(PlateauScheduler.Optimizer, Optimizer))
            throw new ArgumentException("the plateau scheduler drives a different optimiser than the one in the components", nameof(PlateauScheduler));
    }

    private static void CheckNames(IEnumerable<string> names, string what)
    {
        foreach (var n in names)
            if (string.IsNullOrEmpty(n) || n.Contains('.'))
                throw new ArgumentException($"{what} name '{n}' must be non-empty and must not contain '.'", what);
    }
}
