using System.Globalization;

namespace Thorax.Training;

/// <summary>
/// Which epochs feed a stochastic weight average: an explicit set (the pneumothorax recipe averages epochs 13–16),
/// the last K epochs of a run, or every <c>n</c>-th epoch from a start epoch (PyTorch's <c>swa_start</c> loop).
/// Epoch numbers are compared exactly as the training loop passes them to
/// <see cref="SwaAveragedModel{TModule}.OnEpochEnd"/>; the factories below assume 1-based numbering
/// (the first epoch is 1, as <see cref="TrainingCheckpoint.Epoch"/> counts).
/// </summary>
public sealed class SwaSchedule
{
    private readonly SortedSet<int>? _epochs;
    private readonly int _start;
    private readonly int _every;

    private SwaSchedule(SortedSet<int>? epochs, int start, int every)
    {
        _epochs = epochs;
        _start = start;
        _every = every;
    }

    /// <summary>Averages exactly the listed epochs, e.g. <c>AtEpochs(13, 14, 15, 16)</c>.</summary>
    /// <exception cref="ArgumentException">No epochs, or a negative epoch.</exception>
    public static SwaSchedule AtEpochs(params int[] epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Length == 0) throw new ArgumentException("at least one epoch is needed", nameof(epochs));
        if (epochs.Any(e => e < 0)) throw new ArgumentException("epochs must be non-negative", nameof(epochs));
        return new SwaSchedule(new SortedSet<int>(epochs), 0, 0);
    }

    /// <summary>Averages the last <paramref name="count"/> epochs of a run of <paramref name="totalEpochs"/> (1-based: <c>total − count + 1 … total</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in [1, <paramref name="totalEpochs"/>].</exception>
    public static SwaSchedule LastEpochs(int count, int totalEpochs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalEpochs, 1);
        if (count < 1 || count > totalEpochs) throw new ArgumentOutOfRangeException(nameof(count), count, $"must be between 1 and the {totalEpochs} epochs of the run");
        return AtEpochs(Enumerable.Range(totalEpochs - count + 1, count).ToArray());
    }

    /// <summary>Averages epochs <paramref name="startEpoch"/>, <paramref name="startEpoch"/> + <paramref name="every"/>, … (no end).</summary>
    public static SwaSchedule From(int startEpoch, int every = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startEpoch);
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        return new SwaSchedule(null, startEpoch, every);
    }

    /// <summary>True when the weights after epoch <paramref name="epoch"/> join the average.</summary>
    public bool Includes(int epoch) => _epochs is not null ? _epochs.Contains(epoch) : epoch >= _start && (epoch - _start) % _every == 0;

    /// <summary>E.g. <c>epochs {13, 14, 15, 16}</c> or <c>every 1 epoch(s) from 10</c>.</summary>
    public override string ToString() => _epochs is not null
        ? "epochs {" + string.Join(", ", _epochs.Select(e => e.ToString(CultureInfo.InvariantCulture))) + "}"
        : string.Create(CultureInfo.InvariantCulture, $"every {_every} epoch(s) from {_start}");
}
