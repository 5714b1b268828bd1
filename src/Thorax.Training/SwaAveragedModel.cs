using Thorax.Nn;

namespace Thorax.Training;

/// <summary>
/// A running equal-weight average of a model's weights (Stochastic Weight Averaging, Izmailov et al. 2018). It holds
/// its own copy of the model (<see cref="Averaged"/>, state-dict prefix <c>module.</c>) and the count of averaged
/// models (buffer <c>n_averaged</c>, int64 0-d), exactly like PyTorch's <c>AveragedModel</c>, so its
/// <see cref="Module.StateDict"/> has PyTorch's keys and it can be checkpointed as an extra module
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
    /// <summary>Creates the average from a copy of <paramref name="model"/>'s current state (no model is averaged yet).</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="factory">Builds a new module of the same architecture (PyTorch deep-copies; .NET modules are built).
    /// The model's state dict is loaded into it; the average owns it.</param>
    /// <param name="useBuffers">Also average buffers (PyTorch's <c>use_buffers</c>). Default false.</param>
    /// <param name="schedule">Epochs that <see cref="OnEpochEnd"/> averages, or null to call <see cref="UpdateParameters"/> yourself.</param>
    /// <exception cref="StateDictException">The factory's module has a different architecture.</exception>
    public SwaAveragedModel(TModule model, Func<TModule> factory, bool useBuffers = false, SwaSchedule? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(factory);
        var copy = factory() ?? throw new ArgumentException("the factory returned null", nameof(factory));
        if (ReferenceEquals(copy, model)) throw new ArgumentException("the factory must build a new module, not return the model", nameof(factory));
        try
        {
            using var sd = model.StateDict();
            copy.LoadStateDict(sd, strict: true);
            copy.Train(model.IsTraining);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        UseBuffers = useBuffers;
        Schedule = schedule;
        Averaged = RegisterModule("module", copy);
        RegisterBuffer("n_averaged", Torch.Scalar(0, DType.Int64, copy.Parameters().FirstOrDefault()?.Device));
    }

    /// <summary>The averaged copy of the model (use it for evaluation and export; owned by this object).</summary>
    public TModule Averaged { get; }

    /// <summary>Whether buffers are averaged too.</summary>
    public bool UseBuffers { get; }

    /// <summary>The epochs <see cref="OnEpochEnd"/> averages, or null.</summary>
    public SwaSchedule? Schedule { get; }

    /// <summary>How many models have been averaged (PyTorch's <c>n_averaged</c>).</summary>
    public long NAveraged => GetBuffer("n_averaged")!.ItemInt64();

    /// <summary>
    /// Folds the current weights of <paramref name="model"/> into the average (and its buffers with
    /// <see cref="UseBuffers"/>), then increments <see cref="NAveraged"/>.
    /// </summary>
    /// <param name="model">A module of the same architecture (normally the model being trained).</param>
    /// <exception cref="ArgumentException">The parameter (or buffer) names or shapes do not pair up.</exception>
    public void UpdateParameters(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var mine = Entries(Averaged);
        var theirs = Entries(model);
        if (mine.Count != theirs.Count)
            throw new ArgumentException($"the model has {theirs.Count} {What} but the average has {mine.Count}", nameof(model));
        for (var i = 0; i < mine.Count; i++)
        {
            if (mine[i].Name != theirs[i].Name || !mine[i].Tensor.Shape.AsSpan().SequenceEqual(theirs[i].Tensor.Shape))
                throw new ArgumentException($"model entry '{theirs[i].Name}' {theirs[i].Tensor.Describe()} does not pair with averaged '{mine[i].Name}' {mine[i].Tensor.Describe()}", nameof(model));
        }
        var counter = GetBuffer("n_averaged")!;
        var n = counter.ItemInt64();
        using var scope = Torch.NewScope();
        using var noGrad = Torch.NoGrad();
        for (var i = 0; i < mine.Count; i++)
        {
            var dst = mine[i].Tensor;
            var src = theirs[i].Tensor.Detach();
            if (src.Device != dst.Device) src = src.To(dst.Device);
            if (n == 0) dst.Copy_(src);
            else StochasticWeightAveraging.AverageInto(dst, src, n);
        }
        counter.Add_(1);
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

    private string What => UseBuffers ? "parameters and buffers" : "parameters";

    private List<(string Name, Tensor Tensor)> Entries(Module m)
    {
        var list = m.NamedParameters().Select(p => (p.Name, p.Parameter)).ToList();
        if (UseBuffers) list.AddRange(m.NamedBuffers().Select(b => (b.Name, b.Buffer)));
        return list;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"use_buffers={UseBuffers}, schedule={Schedule?.ToString() ?? "none"}";
}
