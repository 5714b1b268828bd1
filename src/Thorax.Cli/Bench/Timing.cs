using System.Diagnostics;

namespace Thorax.Cli.Bench;

internal static class Timing
{
    /// <summary>Median wall time in milliseconds of one call of <paramref name="run"/>, over <paramref name="repeats"/>
    /// samples after <paramref name="warmup"/> calls.</summary>
    /// <param name="run">The timed work.</param>
    /// <param name="warmup">Untimed calls first (at least one when <paramref name="minSampleMs"/> is set: they size the batch).</param>
    /// <param name="repeats">Timed samples.</param>
    /// <param name="sync">Waits for queued device work after each call.</param>
    /// <param name="minSampleMs">When positive, each sample times a batch of back-to-back calls lasting about this long
    /// (the batch size is that time over the fastest warm-up call, 1 to 1000) and reports the mean per call, the way
    /// Python's timeit loops: a sub-0.1 ms operation is then not measured against the timer's and the scheduler's
    /// granularity one call at a time. tools/bench/_timing.py's <c>median_ms</c> batches the same way.</param>
    public static double MedianMs(Action run, int warmup, int repeats, Action? sync = null, double minSampleMs = 0)
    {
        double fastest = double.PositiveInfinity;
        for (var i = 0; i < warmup; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            sync?.Invoke();
            fastest = Math.Min(fastest, sw.Elapsed.TotalMilliseconds);
        }
        int batch = BatchSize(minSampleMs, fastest);
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            for (var j = 0; j < batch; j++)
            {
                run();
                sync?.Invoke();
            }
            times[i] = sw.Elapsed.TotalMilliseconds / batch;
        }
        Array.Sort(times);
        return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    }

    /// <summary>Calls per sample: <paramref name="minSampleMs"/> over the fastest warm-up call, rounded up, 1 to 1000
    /// (1 when batching is off or nothing was measured).</summary>
    internal static int BatchSize(double minSampleMs, double fastestCallMs)
    {
        if (minSampleMs <= 0 || double.IsInfinity(fastestCallMs)) return 1;
        return (int)Math.Clamp(Math.Ceiling(minSampleMs / Math.Max(fastestCallMs, 1e-6)), 1, 1000);
    }
}
