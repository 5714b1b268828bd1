namespace Thorax.Metrics;

/// <summary>
/// Cumulative binary ROC AUC (MONAI <c>ROCAUCMetric</c>): <see cref="Update"/> per batch appends scores and
/// labels, <see cref="Aggregate"/> computes the AUC over everything seen, <see cref="Reset"/> clears.
/// </summary>
/// <remarks>
/// Inputs are validated on <see cref="Update"/> (finite scores, 0/1 labels, equal lengths) so a bad batch is
/// reported with its own indices. <see cref="Aggregate"/> throws <see cref="MetricException"/> when fewer than
/// two classes have been seen. Not thread-safe.
/// </remarks>
public sealed class RocAucMetric
{
    private readonly List<double> _scores = new();
    private readonly List<int> _labels = new();

    /// <summary>Number of samples seen since the last reset.</summary>
    public int Count => _scores.Count;

    /// <summary>Appends one batch.</summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels, same length.</param>
    public void Update(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels)
    {
        Internal.Guard.SameLength(scores.Length, labels.Length, nameof(scores), nameof(labels));
        Internal.Guard.Finite(scores, nameof(scores));
        Internal.Guard.BinaryLabels(labels, nameof(labels));
        foreach (var s in scores)
        {
            _scores.Add(s);
        }

        foreach (var y in labels)
        {
            _labels.Add(y);
        }
    }

    /// <summary>ROC AUC over all samples seen.</summary>
    /// <exception cref="MetricException">No samples, or only one class seen.</exception>
    public double Aggregate()
        => RankingMetrics.RocAuc(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_scores),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_labels));

    /// <summary>Clears all samples.</summary>
    public void Reset()
    {
        _scores.Clear();
        _labels.Clear();
    }
}
