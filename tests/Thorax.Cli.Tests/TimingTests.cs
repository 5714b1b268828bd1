using Thorax.Cli.Bench;

namespace Thorax.Cli.Tests;

/// <summary>The bench's sampling: one call per sample by default, batches of calls lasting about minSampleMs when asked
/// (tools/bench/_timing.py batches the same way).</summary>
public class TimingTests
{
    [Theory]
    [InlineData(0.0, 0.05, 1)]      // batching off
    [InlineData(2.0, 0.05, 40)]     // 2 ms / 0.05 ms
    [InlineData(2.0, 0.03, 67)]     // rounded up
    [InlineData(2.0, 5.0, 1)]       // a call longer than the sample
    [InlineData(2.0, 0.0, 1000)]    // capped
    [InlineData(2.0, double.PositiveInfinity, 1)] // nothing measured (no warm-up)
    public void BatchSize_IsSampleTimeOverFastestCall(double minSampleMs, double fastestMs, int expected) =>
        Assert.Equal(expected, Timing.BatchSize(minSampleMs, fastestMs));

    [Fact]
    public void MedianMs_Unbatched_CallsOncePerSample()
    {
        int calls = 0;
        Timing.MedianMs(() => calls++, warmup: 2, repeats: 5);
        Assert.Equal(7, calls);
    }

    [Fact]
    public void MedianMs_Batched_ReportsTimePerCall()
    {
        int calls = 0;
        // Each call sleeps about 1 ms; samples of at least 3 ms hold 3 calls (the sleep can only overrun, so the
        // fastest warm-up call is >= 1 ms and the batch <= 3), and the reported figure is per call, not per batch.
        double ms = Timing.MedianMs(() => { calls++; Thread.Sleep(1); }, warmup: 1, repeats: 3, minSampleMs: 3.0);
        Assert.InRange(calls, 1 + 3, 1 + 3 * 3);
        Assert.InRange(ms, 0.9, 50.0);
    }
}
