using System.Diagnostics;

namespace Thorax.Cli.Bench;

internal static class Timing
{
    /// <summary>Median wall time in milliseconds of <paramref name="repeats"/> runs after <paramref name="warmup"/> runs.</summary>
    public static double MedianMs(Action run, int warmup, int repeats, Action? sync = null)
    {
        for (var i = 0; i < warmup; i++) { run(); sync?.Invoke(); }
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            sync?.Invoke();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    }
}
