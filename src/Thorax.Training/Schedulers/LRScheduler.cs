using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
using System.Text.Json.Nodes;

namespace Thorax.Training.Schedulers;

/// <summary>
/// Base of the epoch/step learning-rate schedulers. Each <see cref="Step()"/> advances <see cref="LastEpoch"/> by
/// one and writes the schedule's learning rate into every parameter group of the optimiser. Construction performs
/// the initial step (epoch 0), as in PyTorch, so the optimiser starts with the schedule's first value.
/// </summary>
/// <remarks>
/// Drives any TorchSharp optimiser's parameter groups (<c>ParamGroup.LearningRate</c>; OneCycleLR also SGD
/// <c>momentum</c> or β1 of Adam's <c>betas</c>). Learning rates come from closed forms of the epoch (equal to
/// PyTorch 1.13's chainable updates up to rounding, without their drift). Each group's base learning rate is its
/// <c>initial_lr</c> (TorchSharp's <c>InitialLearningRate</c>), set from <c>lr</c> by the first scheduler built on
/// the optimiser (PyTorch's <c>setdefault</c>; see <see cref="OptimizerGroups.HasInitialLr"/>). TorchSharp's own
/// schedulers keep no state dict; these do (<see cref="StateDict"/>), for resumable checkpoints.
/// Call the optimiser's <c>step()</c> first, then <see cref="Step()"/>. PyTorch: <c>torch.optim.lr_scheduler._LRScheduler</c>.
/// </remarks>
public abstract class LRScheduler
{
    private double[] _lastLr = Array.Empty<double>();

    private protected LRScheduler(Optimizer optimizer, int lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        if (lastEpoch < -1) throw new ArgumentOutOfRangeException(nameof(lastEpoch), lastEpoch, "last_epoch must be -1 (fresh) or a completed epoch index");
        var groups = OptimizerGroups.Of(optimizer);
        if (lastEpoch == -1)
        {
            foreach (var g in groups) OptimizerGroups.SetDefaultInitialLr(g);
        }
        else
        {
            for (var i = 0; i < groups.Count; i++)
                if (!OptimizerGroups.HasInitialLr(groups[i]))
                    throw new ArgumentException($"param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer", nameof(lastEpoch));
        }
        BaseLrs = groups.Select(g => g.InitialLearningRate).ToArray();
        LastEpoch = lastEpoch;
    }

    /// <summary>The optimiser whose learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Index of the last epoch (or step) the schedule was evaluated at; 0 right after construction.</summary>
    public int LastEpoch { get; internal set; }

    /// <summary>Number of <see cref="Step()"/> calls including the initial one (PyTorch's <c>_step_count</c>).</summary>
    public int StepCount { get; private protected set; }

    /// <summary>Each group's base learning rate (its <c>initial_lr</c>).</summary>
    public IReadOnlyList<double> BaseLrs { get; private protected set; }

    /// <summary>The learning rate of each group after the latest step.</summary>
    public IReadOnlyList<double> GetLastLr() => _lastLr;

    /// <summary>Advances one epoch (or iteration) and sets the groups' learning rates.</summary>
    public virtual void Step()
    {
        StepCount++;
        LastEpoch++;
        Apply(ComputeLrs());
    }

    /// <summary>Jumps to <paramref name="epoch"/> and evaluates the schedule there (used by <see cref="SequentialLR"/>).</summary>
    internal virtual void StepTo(int epoch)
    {
        StepCount++;
        LastEpoch = epoch;
        Apply(ComputeLrs());
    }

    /// <summary>The construction step: epoch -1 → 0 (or resumed epoch + 1).</summary>
    internal void InitialStep()
    {
        StepCount = 0;
        Step();
    }

    /// <summary>The schedule's learning rate for each group at <see cref="LastEpoch"/>.</summary>
    private protected abstract double[] ComputeLrs();

    private protected void Apply(double[] lrs)
    {
        var groups = OptimizerGroups.Of(Optimizer);
        for (var i = 0; i < groups.Count; i++) groups[i].LearningRate = lrs[i];
        RecordLastLr();
    }

    private protected void RecordLastLr() => _lastLr = OptimizerGroups.Of(Optimizer).Select(g => g.LearningRate).ToArray();

    /// <summary>
    /// The mutable state (PyTorch names: <c>last_epoch</c>, <c>_step_count</c>, <c>base_lrs</c>, <c>_last_lr</c>, plus
    /// scheduler-specific counters) as JSON, for checkpoints. Hyperparameters come from the constructor on resume.
    /// </summary>
    public virtual JsonObject StateDict() => new()
    {
        ["last_epoch"] = LastEpoch,
        ["_step_count"] = StepCount,
        ["base_lrs"] = ToArray(BaseLrs),
        ["_last_lr"] = ToArray(_lastLr),
    };

    /// <summary>Restores what <see cref="StateDict"/> saved (the optimiser's own learning rates come from its state dict).</summary>
    /// <exception cref="OptimizerStateException">A field is missing or has the wrong type or length.</exception>
    public virtual void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        LastEpoch = ReadInt(state, "last_epoch");
        StepCount = ReadInt(state, "_step_count");
        BaseLrs = ReadDoubles(state, "base_lrs", OptimizerGroups.Of(Optimizer).Count);
        _lastLr = ReadDoubles(state, "_last_lr", OptimizerGroups.Of(Optimizer).Count);
    }

    private protected static JsonArray ToArray(IEnumerable<double> xs) => new(xs.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());

    private protected static int ReadInt(JsonObject o, string key) => ReadNumber(o, key, n => n.GetValue<int>());

    private protected static double ReadDouble(JsonObject o, string key) => ReadNumber(o, key, n => n.GetValue<double>());

    private protected static T ReadNumber<T>(JsonObject o, string key, Func<JsonNode, T> read)
    {
        if (!o.TryGetPropertyValue(key, out var n) || n is null) throw new OptimizerStateException(key, "missing from the scheduler state");
        try
        {
            return read(n);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new OptimizerStateException(key, $"expected a {typeof(T).Name}, got {n.ToJsonString()}", e);
        }
    }

    private protected static double[] ReadDoubles(JsonObject o, string key, int count)
    {
        if (!o.TryGetPropertyValue(key, out var n) || n is not JsonArray a) throw new OptimizerStateException(key, "missing or not an array");
        if (a.Count != count) throw new OptimizerStateException(key, $"has {a.Count} values, the optimiser has {count} parameter groups");
        var r = new double[count];
        for (var i = 0; i < count; i++)
        {
            try
            {
                r[i] = a[i]!.GetValue<double>();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException)
            {
                throw new OptimizerStateException($"{key}.{i}", "expected a number", e);
            }
        }
        return r;
    }
}
