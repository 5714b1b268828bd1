namespace Thorax.Pipelines.Saliency;

/// <summary>
/// Splits a wall-clock budget over trainings run one after another so that time one of them leaves unused flows to
/// those after it. The rule: when training <c>i</c> starts, it gets the time still left of the whole budget times its
/// share over the sum of the shares of <c>i</c> and of every training after it,
/// <c>budget_i = (total − elapsed) · share_i / Σ_{j ≥ i} share_j</c>, at least <see cref="Minimum"/>. A training that
/// stops early (its epochs done, early stopping) thus hands its unused time to the later ones in proportion to their
/// shares; one that overruns (every stage runs at least one epoch) takes it from them; the last one gets all that is
/// left. So callers order trainings with the ones likely to finish early (few epochs) first and the one that can use any
/// time last: the saliency demo trains the classifier, the saliency U-Net and MT-UNet before the dual encoder's
/// stages 3-4, and a run's stages go 1, 2, 3, 4 (stage 2's 10 epochs usually end early; stages 3-4 get the rest).
/// </summary>
public sealed class SaliencyBudget
{
    private readonly double[] _shares;
    private readonly Func<TimeSpan> _elapsed;
    private int _next;

    /// <param name="total">The whole budget.</param>
    /// <param name="shares">Relative shares of the trainings, in the order they run (positive).</param>
    /// <param name="elapsed">Time spent since the budget started (a stopwatch; tests pass a fake clock).</param>
    /// <param name="minimum">The least a training is given (it still runs at least one epoch).</param>
    public SaliencyBudget(TimeSpan total, IReadOnlyList<double> shares, Func<TimeSpan> elapsed, TimeSpan? minimum = null)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentNullException.ThrowIfNull(elapsed);
        if (total <= TimeSpan.Zero) throw new ArgumentException($"the budget must be positive, got {total}", nameof(total));
        if (shares.Count == 0 || shares.Any(s => !(s > 0) || !double.IsFinite(s))) throw new ArgumentException("shares must be positive and finite", nameof(shares));
        Total = total;
        _shares = shares.ToArray();
        _elapsed = elapsed;
        Minimum = minimum ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>The whole budget.</summary>
    public TimeSpan Total { get; }

    /// <summary>The least any training is given.</summary>
    public TimeSpan Minimum { get; }

    /// <summary>Trainings not yet given their budget.</summary>
    public int Remaining => _shares.Length - _next;

    /// <summary>The budget of the next training (call once per training, in order, when it starts).</summary>
    /// <exception cref="InvalidOperationException">Every training already got its budget.</exception>
    public TimeSpan Next()
    {
        if (_next >= _shares.Length) throw new InvalidOperationException($"all {_shares.Length} budgets were already handed out");
        var left = Total - _elapsed();
        var rest = 0.0;
        for (var j = _next; j < _shares.Length; j++) rest += _shares[j];
        var b = TimeSpan.FromSeconds(Math.Max(0, left.TotalSeconds) * _shares[_next] / rest);
        _next++;
        return b < Minimum ? Minimum : b;
    }

    /// <summary>Skips the next training (already finished, e.g. on a resumed run): its share is not handed out and
    /// flows to the later ones.</summary>
    public void Skip()
    {
        if (_next >= _shares.Length) throw new InvalidOperationException($"all {_shares.Length} budgets were already handed out");
        _shares[_next] = 0;
        _next++;
    }
}
