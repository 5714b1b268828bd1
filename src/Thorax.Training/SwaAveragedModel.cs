using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Training;

/// <summary>
/// A running equal-weight average of a model's weights (Stochastic Weight Averaging, Izmailov et al. 2018). It holds
/// its own copy of the model (<see cref="Averaged"/>, state-dict prefix <c>module.</c>) and the count of averaged
/// models (buffer <c>n_averaged</c>, int64 0-d), exactly like PyTorch's <c>AveragedModel</c>, so its
/// <c>state_dict()</c> has PyTorch's keys and it can be checkpointed as an extra module
/// (<see cref="TrainingComponents.ExtraModules"/>) to resume in the middle of the averaging window.
/// </summary>
/// <remarks>
/// Update rule: the first <see cref="UpdateParameters"/> copies the model's parameters; each later one sets
/// <c>avg ← avg + (p − avg) / (n_averaged + 1)</c>. Without <c>useBuffers</c> the copy's buffers (BatchNorm running
/// statistics) keep the values they had when the copy was made; recompute them with
/// <see cref="StochasticWeightAveraging.UpdateBatchNorm{TIn,TOut}"/> after the last update. With <c>useBuffers</c>
/// the buffers are averaged by the same rule (integer buffers such as <c>num_batches_tracked</c> are truncated, as
/// PyTorch's <c>copy_</c> does). PyTorch: <c>torch.optim.swa_utils.AveragedModel</c> with the default <c>avg_fn</c>.
/// </remarks>
/// <typeparam name="TModule">The model type.</typeparam>
public sealed class SwaAveragedModel<TModule> : Module where TModule : Module
{
    // Field names are the state-dict names (TorchSharp registers fields by name).
    private readonly TModule module;
    private readonly Tensor n_averaged;

    /// <summary>Creates the average from a copy of <paramref name="model"/>'s current state (no model is averaged yet).</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="factory">Builds a new module of the same architecture (PyTorch deep-copies; .NET modules are built).
    /// The model's parameters and buffers are copied into it; the average owns it.</param>
    /// <param name="useBuffers">Also average buffers (PyTorch's <c>use_buffers</c>). Default false.</param>
    /// <param name="schedule">Epochs that <see cref="OnEpochEnd"/> averages, or null to call <see cref="UpdateParameters"/> yourself.</param>
    /// <exception cref="ArgumentException">The factory's module has a different architecture (names or shapes differ; the entry is named).</exception>
    public SwaAveragedModel(TModule model, Func<TModule> factory, bool useBuffers = false, SwaSchedule? schedule = null) : base(nameof(SwaAveragedModel<TModule>))
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(factory);
        var copy = factory() ?? throw new ArgumentException("the factory returned null", nameof(factory));
        if (ReferenceEquals(copy, model)) throw new ArgumentException("the factory must build a new module, not return the model", nameof(factory));
        try
        {
            using var noGrad = torch.no_grad();
            var src = Entries(model, buffers: true);
            var dst = Entries(copy, buffers: true);
            CheckPairs(dst, src, "the factory's module", nameof(factory));
            for (var i = 0; i < dst.Count; i++) dst[i].Tensor.copy_(src[i].Tensor);
            copy.train(model.training);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        UseBuffers = useBuffers;
        Schedule = schedule;
        module = copy;
        var device = copy.parameters().FirstOrDefault()?.device ?? torch.CPU;
        n_averaged = torch.tensor(0L, ScalarType.Int64, device).DetachFromDisposeScope();
        RegisterComponents();
    }

    /// <summary>The averaged copy of the model (use it for evaluation and export; owned by this object).</summary>
    public TModule Averaged => module;

    /// <summary>Whether buffers are averaged too.</summary>
    public bool UseBuffers { get; }

    /// <summary>The epochs <see cref="OnEpochEnd"/> averages, or null.</summary>
    public SwaSchedule? Schedule { get; }

    /// <summary>How many models have been averaged (PyTorch's <c>n_averaged</c>).</summary>
    public long NAveraged => n_averaged.item<long>();

    /// <summary>
    /// Folds the current weights of <paramref name="model"/> into the average (and its buffers with
    /// <see cref="UseBuffers"/>), then increments <see cref="NAveraged"/>.
    /// </summary>
    /// <param name="model">A module of the same architecture (normally the model being trained).</param>
    /// <exception cref="ArgumentException">The parameter (or buffer) names or shapes do not pair up.</exception>
    public void UpdateParameters(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var mine = Entries(module, UseBuffers);
        var theirs = Entries(model, UseBuffers);
        CheckPairs(mine, theirs, "the model", nameof(model));
        var n = NAveraged;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        for (var i = 0; i < mine.Count; i++)
        {
            var dst = mine[i].Tensor;
            var src = theirs[i].Tensor.detach();
            if (src.device != dst.device) src = src.to(dst.device);
            if (n == 0) dst.copy_(src);
            else StochasticWeightAveraging.AverageInto(dst, src, n);
        }
        n_averaged.add_(1);
    }

    /// <summary>
    /// Call after every epoch: averages <paramref name="model"/> when <see cref="Schedule"/> includes
    /// <paramref name="epoch"/>.
    /// </summary>
    /// <returns>True when the model was averaged.</returns>
    /// <exception cref="InvalidOperationException">No schedule was given.</exception>
    public bool OnEpochEnd(int epoch, Module model)
    {
        if (Schedule is null) throw new InvalidOperationException("this SwaAveragedModel has no schedule; call UpdateParameters directly");
        if (!Schedule.Includes(epoch)) return false;
        UpdateParameters(model);
        return true;
    }

    private static void CheckPairs(List<(string Name, Tensor Tensor)> mine, List<(string Name, Tensor Tensor)> theirs, string what, string param)
    {
        if (mine.Count != theirs.Count)
            throw new ArgumentException($"{what} has {theirs.Count} parameters/buffers but the average has {mine.Count}", param);
        for (var i = 0; i < mine.Count; i++)
        {
            if (mine[i].Name != theirs[i].Name || !mine[i].Tensor.shape.AsSpan().SequenceEqual(theirs[i].Tensor.shape))
                throw new ArgumentException($"entry '{theirs[i].Name}' {Optim.OptimizerStateDict.Describe(theirs[i].Tensor)} of {what} does not pair with averaged '{mine[i].Name}' {Optim.OptimizerStateDict.Describe(mine[i].Tensor)}", param);
        }
    }

    private static List<(string Name, Tensor Tensor)> Entries(Module m, bool buffers)
    {
        var list = m.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        if (buffers) list.AddRange(m.named_buffers(include_nonpersistent: false).Select(b => (b.name, b.buffer)));
        return list;
    }

    /// <summary>Disposes the averaged copy and the counter.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            module.Dispose();
            n_averaged.Dispose();
        }
        base.Dispose(disposing);
    }
}
