using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
using System.Text.Json.Nodes;

namespace Thorax.Training.Schedulers;

/// <summary>
/// Lowers every group's learning rate by <c>factor</c> when a metric has not improved for more than
/// <c>patience</c> steps, then waits <c>cooldown</c> steps before counting again; never below <c>minLr</c>, and
/// changes smaller than <c>eps</c> are skipped. Drive it with any metric value (validation loss, Dice, AUC).
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>.</remarks>
public sealed class ReduceLROnPlateau
{
    private readonly double[] _minLrs;
    private double[] _lastLr;

    /// <summary>Creates the scheduler with one minimum learning rate for all groups.</summary>
    /// <inheritdoc cref="ReduceLROnPlateau(Optimizer, IReadOnlyList{double}, PlateauMode, double, int, double, ThresholdMode, int, double)"/>
    public ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10, double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, Enumerable.Repeat(minLr, optimizer is null ? 0 : OptimizerGroups.Of(optimizer).Count).ToArray(), mode, factor, patience, threshold, thresholdMode, cooldown, eps) { }

    /// <summary>Creates the scheduler with a minimum learning rate per group.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="minLrs">Lower bound of each group's learning rate, ≥ 0.</param>
    /// <param name="mode">Whether lower or higher metric values are better. Default <see cref="PlateauMode.Min"/>.</param>
    /// <param name="factor">Multiplier applied on a plateau, in [0, 1). Default 0.1.</param>
    /// <param name="patience">Steps without improvement tolerated before reducing, ≥ 0. Default 10.</param>
    /// <param name="threshold">Size of a significant improvement. Default 1e-4.</param>
    /// <param name="thresholdMode">Relative or absolute threshold. Default <see cref="ThresholdMode.Rel"/>.</param>
    /// <param name="cooldown">Steps to wait after a reduction before counting bad steps again, ≥ 0. Default 0.</param>
    /// <param name="eps">Reductions smaller than this are not applied. Default 1e-8.</param>
    public ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> minLrs, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(minLrs);
        if (!(factor < 1.0)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor should be < 1.0");
        if (minLrs.Count != OptimizerGroups.Of(optimizer).Count) throw new ArgumentException($"expected {OptimizerGroups.Of(optimizer).Count} min_lrs, got {minLrs.Count}", nameof(minLrs));
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be non-negative");
        if (cooldown < 0) throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "cooldown must be non-negative");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown mode");
        if (!Enum.IsDefined(thresholdMode)) throw new ArgumentOutOfRangeException(nameof(thresholdMode), thresholdMode, "unknown threshold mode");
        Optimizer = optimizer;
        _minLrs = minLrs.ToArray();
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        Eps = eps;
        _lastLr = OptimizerGroups.Of(optimizer).Select(g => g.LearningRate).ToArray();
        Reset();
    }

    /// <summary>The optimiser whose learning rates this scheduler lowers.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Whether lower or higher is better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>Multiplier applied on a plateau.</summary>
    public double Factor { get; }

    /// <summary>Bad steps tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>Size of a significant improvement.</summary>
    public double Threshold { get; }

    /// <summary>Relative or absolute threshold.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>Steps to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>Smallest change applied.</summary>
    public double Eps { get; }

    /// <summary>Lower bound of each group's learning rate.</summary>
    public IReadOnlyList<double> MinLrs => _minLrs;

    /// <summary>Best metric seen so far (±infinity before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive steps without significant improvement.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Steps left in the current cooldown.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Number of steps taken.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>True while cooling down after a reduction.</summary>
    public bool InCooldown => CooldownCounter > 0;

    /// <summary>The learning rate of each group after the latest step.</summary>
    public IReadOnlyList<double> GetLastLr() => _lastLr;

    /// <summary>Records one metric value (e.g. after each validation) and lowers the learning rates on a plateau.</summary>
    /// <param name="metric">The monitored value; NaN never counts as an improvement.</param>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric, Best))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else
        {
            NumBadEpochs++;
        }
        if (InCooldown)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }
        if (NumBadEpochs > Patience)
        {
            ReduceLr();
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        _lastLr = OptimizerGroups.Of(Optimizer).Select(g => g.LearningRate).ToArray();
    }

    /// <summary>True when <paramref name="a"/> is a significant improvement over <paramref name="best"/>.</summary>
    public bool IsBetter(double a, double best) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => a < best * (1.0 - Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => a < best - Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => a > best * (Threshold + 1.0),
        _ => a > best + Threshold,
    };

    private void ReduceLr()
    {
        var groups = OptimizerGroups.Of(Optimizer);
        for (var i = 0; i < groups.Count; i++)
        {
            var old = groups[i].LearningRate;
            var lr = Math.Max(old * Factor, _minLrs[i]);
            if (old - lr > Eps) groups[i].LearningRate = lr;
        }
    }

    private double ModeWorse => Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;

    private void Reset()
    {
        Best = ModeWorse;
        CooldownCounter = 0;
        NumBadEpochs = 0;
    }

    /// <summary>
    /// The counters as JSON (PyTorch names <c>best</c>, <c>num_bad_epochs</c>, <c>cooldown_counter</c>,
    /// <c>last_epoch</c>, <c>_last_lr</c>); an infinite <c>best</c> (no step yet) is written as null.
    /// </summary>
    public JsonObject StateDict() => new()
    {
        ["best"] = double.IsFinite(Best) ? JsonValue.Create(Best) : null,
        ["num_bad_epochs"] = NumBadEpochs,
        ["cooldown_counter"] = CooldownCounter,
        ["last_epoch"] = LastEpoch,
        ["_last_lr"] = new JsonArray(_lastLr.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
    };

    /// <summary>Restores what <see cref="StateDict"/> saved.</summary>
    /// <exception cref="OptimizerStateException">A field is missing or malformed.</exception>
    public void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            Best = state.TryGetPropertyValue("best", out var b) && b is not null ? b.GetValue<double>() : ModeWorse;
            NumBadEpochs = Need(state, "num_bad_epochs").GetValue<int>();
            CooldownCounter = Need(state, "cooldown_counter").GetValue<int>();
            LastEpoch = Need(state, "last_epoch").GetValue<int>();
            if (Need(state, "_last_lr") is not JsonArray a || a.Count != _lastLr.Length)
                throw new OptimizerStateException("_last_lr", $"expected an array of {_lastLr.Length} numbers");
            _lastLr = a.Select(x => x!.GetValue<double>()).ToArray();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new OptimizerStateException("ReduceLROnPlateau", "malformed scheduler state: " + e.Message, e);
        }
    }

    private static JsonNode Need(JsonObject o, string key) =>
        o.TryGetPropertyValue(key, out var n) && n is not null ? n : throw new OptimizerStateException(key, "missing from the scheduler state");
}
