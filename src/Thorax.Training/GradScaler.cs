using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Thorax.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;
using Optimizer = TorchSharp.torch.optim.Optimizer;

namespace Thorax.Training;

/// <summary>
/// Dynamic loss scaling for float16 mixed-precision training, with the semantics of PyTorch's
/// <c>torch.cuda.amp.GradScaler</c>: multiply the loss by a scale before <c>Backward()</c>, divide the gradients by it
/// before the optimiser step, skip the step when any gradient is infinite or NaN and then halve the scale, and double
/// it after <see cref="GrowthInterval"/> consecutive finite steps. Works on any device (on the CPU it is useful for
/// tests and for float16 experiments; PyTorch 1.13 has it on CUDA only). TorchSharp has no AMP API, so this class
/// is Thorax's; it drives any TorchSharp optimiser (<c>zero_grad</c>/<c>step</c>) through its parameter groups.
/// </summary>
/// <example>
/// <code>
/// using var scaler = new GradScaler();
/// optimizer.zero_grad();
/// var loss = criterion(model.call(x), y);   // float16 forward (TorchSharp has no autocast: cast explicitly)
/// scaler.Scale(loss).backward();
/// scaler.Unscale(optimizer);              // only when gradients are clipped or inspected before the step
/// GradClip.ClipGradNorm(model.parameters(), 1.0);
/// scaler.Step(optimizer);                 // skipped when a gradient is not finite
/// scaler.Update();
/// </code>
/// </example>
/// <remarks>
/// The scale is kept as a float32 number, as PyTorch keeps it in a float32 tensor, so scale sequences are identical.
/// Parameters themselves must not be float16 (keep float32 master weights): unscaling float16 gradients is refused,
/// as in PyTorch.
/// </remarks>
public sealed class GradScaler
{
    private enum Stage { Ready, Unscaled, Stepped }

    private sealed class OptimizerState
    {
        public Stage Stage;
        public bool FoundInf;
    }

    private readonly ConditionalWeakTable<Optimizer, OptimizerState> _perOptimizer = new();
    private float _scale;
    private int _growthTracker;

    /// <param name="initScale">Initial scale (PyTorch: 2^16).</param>
    /// <param name="growthFactor">Multiplier after <paramref name="growthInterval"/> finite steps; &gt; 1 (PyTorch: 2).</param>
    /// <param name="backoffFactor">Multiplier after a step with non-finite gradients; in (0, 1) (PyTorch: 0.5).</param>
    /// <param name="growthInterval">Consecutive finite steps before growing; &gt;= 1 (PyTorch: 2000).</param>
    /// <param name="enabled">False makes every method a pass-through (<see cref="Scale"/> returns the loss unchanged).</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor or interval outside its range (the message says which).</exception>
    public GradScaler(double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000, bool enabled = true)
    {
        if (!(initScale > 0) || double.IsInfinity(initScale)) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "the initial scale must be finite and > 0");
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "the growth factor must be > 1");
        if (!(backoffFactor is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "the backoff factor must be in (0, 1)");
        if (growthInterval < 1) throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "the growth interval must be >= 1");
        _scale = (float)initScale;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
        IsEnabled = enabled;
    }

    /// <summary>Whether scaling is on.</summary>
    public bool IsEnabled { get; }

    /// <summary>Growth multiplier.</summary>
    public double GrowthFactor { get; }

    /// <summary>Backoff multiplier.</summary>
    public double BackoffFactor { get; }

    /// <summary>Finite steps between growths.</summary>
    public int GrowthInterval { get; }

    /// <summary>The current scale (1 when disabled).</summary>
    public double GetScale() => IsEnabled ? _scale : 1.0;

    /// <summary>Consecutive finite steps since the last growth or backoff.</summary>
    public int GrowthTracker => _growthTracker;

    /// <summary>Returns <c>loss * scale</c> (a new tensor; <paramref name="loss"/> itself when disabled).</summary>
    public Tensor Scale(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return IsEnabled ? loss.mul((double)_scale) : loss;
    }

    /// <summary>
    /// Divides the gradients of <paramref name="optimizer"/>'s parameters by the scale in place and records whether any
    /// is infinite or NaN. Call it at most once per optimiser between <see cref="Update"/>s.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called twice before <see cref="Update"/>, or after <see cref="Step"/>.</exception>
    /// <exception cref="ArgumentException">A parameter has a float16 gradient (keep float32 master weights).</exception>
    public void Unscale(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!IsEnabled) return;
        var state = _perOptimizer.GetOrCreateValue(optimizer);
        if (state.Stage == Stage.Unscaled) throw new InvalidOperationException("Unscale() has already been called on this optimizer since the last Update()");
        if (state.Stage == Stage.Stepped) throw new InvalidOperationException("Unscale() is being called after Step(); call Update() first");
        var inv = (float)(1.0 / (double)_scale); // PyTorch: scale.double().reciprocal().float()
        // One 0-d "all finite" flag per gradient, read together at the end: a single host synchronisation per call.
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var groups = OptimizerGroups.Of(optimizer);
        for (var gi = 0; gi < groups.Count; gi++)
        {
            var pi = 0;
            foreach (var p in groups[gi].Parameters)
            {
                if (p.grad is { dtype: ScalarType.Float16 })
                    throw new ArgumentException($"parameter {pi} of group {gi} has a float16 gradient: attempting to unscale FP16 gradients (keep the parameters in float32)", nameof(optimizer));
                pi++;
            }
        }
        var finite = new List<Tensor>();
        foreach (var group in groups)
        {
            foreach (var p in group.Parameters)
            {
                var g = p.grad;
                if (g is null) continue;
                finite.Add(g.isfinite().all());
                g.mul_((double)inv);
            }
        }
        var found = finite.Count > 0 && !torch.stack(finite).all().item<bool>();
        state.FoundInf = found;
        state.Stage = Stage.Unscaled;
    }

    /// <summary>
    /// Unscales the gradients if <see cref="Unscale"/> was not called, then runs <c>optimizer.step()</c> unless a gradient
    /// was infinite or NaN. Returns whether the step ran.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called twice for the same optimiser before <see cref="Update"/>.</exception>
    public bool Step(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!IsEnabled)
        {
            optimizer.step();
            return true;
        }
        var state = _perOptimizer.GetOrCreateValue(optimizer);
        if (state.Stage == Stage.Stepped) throw new InvalidOperationException("Step() has already been called since the last Update()");
        if (state.Stage == Stage.Ready) Unscale(optimizer);
        state.Stage = Stage.Stepped;
        if (state.FoundInf) return false;
        optimizer.step();
        return true;
    }

    /// <summary>
    /// Updates the scale from this iteration's steps: times <see cref="BackoffFactor"/> if any optimiser saw a non-finite
    /// gradient (the growth count restarts), otherwise the growth count advances and, on reaching
    /// <see cref="GrowthInterval"/>, the scale grows by <see cref="GrowthFactor"/> (if the result is finite).
    /// </summary>
    /// <exception cref="InvalidOperationException">No optimiser was stepped or unscaled since the last update.</exception>
    public void Update()
    {
        if (!IsEnabled) return;
        var any = false;
        var foundInf = false;
        foreach (var (_, s) in _perOptimizer)
        {
            if (s.Stage == Stage.Ready) continue;
            any = true;
            foundInf |= s.FoundInf;
            s.Stage = Stage.Ready;
            s.FoundInf = false;
        }
        if (!any) throw new InvalidOperationException("Update() needs a Step() (or Unscale()) on some optimizer since the last update");
        if (foundInf)
        {
            _scale = (float)(_scale * (float)BackoffFactor);
            _growthTracker = 0;
            return;
        }
        if (++_growthTracker == GrowthInterval)
        {
            var grown = _scale * (float)GrowthFactor;
            if (float.IsFinite(grown)) _scale = grown;
            _growthTracker = 0;
        }
    }

    /// <summary>Replaces the scale (e.g. to restart from a known value); the growth count is unchanged.</summary>
    public void Update(double newScale)
    {
        if (!(newScale > 0) || double.IsInfinity(newScale)) throw new ArgumentOutOfRangeException(nameof(newScale), newScale, "the scale must be finite and > 0");
        Update();
        _scale = (float)newScale;
    }

    /// <summary>The state in PyTorch's <c>GradScaler.state_dict()</c> keys (<c>scale</c>, <c>growth_factor</c>,
    /// <c>backoff_factor</c>, <c>growth_interval</c>, <c>_growth_tracker</c>); empty when disabled.</summary>
    public JsonObject StateDict() => !IsEnabled ? new JsonObject() : new JsonObject
    {
        ["scale"] = (double)_scale, ["growth_factor"] = GrowthFactor, ["backoff_factor"] = BackoffFactor,
        ["growth_interval"] = GrowthInterval, ["_growth_tracker"] = _growthTracker,
    };

    /// <summary>Restores <see cref="StateDict"/>'s output (the factors and interval must equal this scaler's).</summary>
    /// <exception cref="OptimizerStateException">A key is missing or malformed, or the hyperparameters differ (the key is named).</exception>
    public void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!IsEnabled) return;
        if (state.Count == 0) throw new OptimizerStateException("scale", "the state is empty: it was saved from a disabled GradScaler");
        double Number(string key)
        {
            var node = state[key] ?? throw new OptimizerStateException(key, "missing");
            if (node is JsonValue v)
            {
                if (v.TryGetValue<double>(out var d)) return d;
                if (v.TryGetValue<long>(out var l)) return l;
                if (v.TryGetValue<int>(out var i)) return i;
                if (v.TryGetValue<System.Text.Json.JsonElement>(out var e) && e.ValueKind == System.Text.Json.JsonValueKind.Number) return e.GetDouble();
            }
            throw new OptimizerStateException(key, $"not a number: {node.ToJsonString()}");
        }
        var scale = Number("scale");
        if (!(scale > 0) || double.IsInfinity(scale)) throw new OptimizerStateException("scale", $"must be finite and > 0, got {scale.ToString(CultureInfo.InvariantCulture)}");
        void Same(string key, double mine)
        {
            var v = Number(key);
            if (v != mine) throw new OptimizerStateException(key, $"saved {v.ToString(CultureInfo.InvariantCulture)}, this scaler has {mine.ToString(CultureInfo.InvariantCulture)}");
        }
        Same("growth_factor", GrowthFactor);
        Same("backoff_factor", BackoffFactor);
        Same("growth_interval", GrowthInterval);
        var tracker = Number("_growth_tracker");
        if (tracker < 0 || tracker >= GrowthInterval || tracker != Math.Floor(tracker))
            throw new OptimizerStateException("_growth_tracker", $"must be an integer in [0, {GrowthInterval}), got {tracker.ToString(CultureInfo.InvariantCulture)}");
        _scale = (float)scale;
        _growthTracker = (int)tracker;
    }
}
