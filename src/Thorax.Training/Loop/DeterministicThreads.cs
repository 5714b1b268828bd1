using Thorax.Models.Runtime;
using TorchSharp;

namespace Thorax.Training.Loop;

/// <summary>
/// Runs a block on one libtorch intra-op thread and restores the previous count on dispose: the deterministic mode
/// of Thorax's trainers. The count is per OS thread (OpenMP), so enter and dispose on the thread that trains.
/// </summary>
public sealed class DeterministicThreads : IDisposable
{
    private readonly int? _previous;

    private DeterministicThreads(int? previous) => _previous = previous;

    /// <summary>Switches to one intra-op thread when <paramref name="enabled"/>; otherwise changes nothing.</summary>
    public static DeterministicThreads Enter(bool enabled)
    {
        if (!enabled) return new DeterministicThreads(null);
        TorchRuntime.EnsureLoaded();
        var previous = torch.get_num_threads();
        torch.set_num_threads(1);
        return new DeterministicThreads(previous);
    }

    /// <summary>Restores the thread count found by <see cref="Enter"/>.</summary>
    public void Dispose()
    {
        if (_previous is { } n) torch.set_num_threads(n);
    }
}
