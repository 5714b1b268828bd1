using System.Collections.Concurrent;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>The band runner behind the row-parallel operations: every band exactly once, on the caller plus at most
/// threads - 1 workers, exceptions rethrown, no deadlock when called from pool threads or concurrently.</summary>
public class BandDispatcherTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 4)]
    [InlineData(5, 1)]
    [InlineData(2, 2)]
    [InlineData(7, 3)]
    [InlineData(64, 2)]
    [InlineData(3, 16)]
    public void EveryBandRunsExactlyOnce(int count, int threads)
    {
        var calls = new int[count];
        BandDispatcher.For(count, threads, i => Interlocked.Increment(ref calls[i]));
        Assert.All(calls, c => Assert.Equal(1, c));
    }

    [Fact]
    public void ZeroBands_CallsNothing()
    {
        BandDispatcher.For(0, 4, _ => throw new InvalidOperationException("called"));
    }

    [Fact]
    public void OneThread_RunsInOrderOnTheCaller()
    {
        int caller = Environment.CurrentManagedThreadId;
        var order = new List<int>();
        BandDispatcher.For(6, 1, i =>
        {
            Assert.Equal(caller, Environment.CurrentManagedThreadId);
            order.Add(i);
        });
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, order);
    }

    [Fact]
    public void AtMostThreadsThreadsTakeBands()
    {
        for (int rep = 0; rep < 20; rep++)
        {
            var seen = new ConcurrentDictionary<int, bool>();
            BandDispatcher.For(32, 2, _ =>
            {
                seen[Environment.CurrentManagedThreadId] = true;
                Thread.SpinWait(2000);
            });
            Assert.InRange(seen.Count, 1, 2);
        }
    }

    [Fact]
    public void ReturnsOnlyAfterBandsOnOtherThreadsFinish()
    {
        for (int rep = 0; rep < 20; rep++)
        {
            int finished = 0;
            BandDispatcher.For(4, 4, i =>
            {
                // The slow band may be the caller's or a worker's: either way For must not return before it is done.
                if (i == 3) Thread.Sleep(5);
                Interlocked.Increment(ref finished);
            });
            Assert.Equal(4, Volatile.Read(ref finished));
        }
    }

    [Fact]
    public void BandException_IsRethrownOnTheCaller_AfterTheOtherBands()
    {
        var done = new int[8];
        var e = Assert.Throws<InvalidOperationException>(() => BandDispatcher.For(8, 3, i =>
        {
            if (i == 2) throw new InvalidOperationException("band 2 failed");
            Interlocked.Increment(ref done[i]);
        }));
        Assert.Equal("band 2 failed", e.Message);
        for (int i = 0; i < 8; i++) Assert.Equal(i == 2 ? 0 : 1, done[i]);
    }

    [Fact]
    public void ConcurrentAndNestedCalls_FromPoolThreads_Complete()
    {
        // Data-loader style: many pool threads each running a row-parallel operation with a multi-thread budget. The
        // callers do all the work themselves when no worker is free, so this cannot deadlock on a saturated pool.
        long total = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
            BandDispatcher.For(16, 4, i => BandDispatcher.For(4, 2, j => Interlocked.Add(ref total, i * 4 + j))));
        Assert.Equal(64L * Enumerable.Range(0, 64).Sum(), total);
    }

    [Fact]
    public void ParallelResize_EqualsOneBand()
    {
        // The operations on the dispatcher give the same pixels whatever the thread budget.
        var rng = new Random(5);
        var src = new Image<byte>(1024, 768);
        rng.NextBytes(src.Data);
        int saved = OpsThreading.MaxThreads;
        try
        {
            OpsThreading.MaxThreads = 1;
            var one = Resampling.Resize(src, 512, 384, Interpolation.Area);
            var lin1 = Resampling.Resize(src, 1000, 700, Interpolation.Linear); // 2 bands of 350 rows at 4 threads
            OpsThreading.MaxThreads = 4;
            Assert.Equal(one.Data, Resampling.Resize(src, 512, 384, Interpolation.Area).Data);
            Assert.Equal(lin1.Data, Resampling.Resize(src, 1000, 700, Interpolation.Linear).Data);
        }
        finally { OpsThreading.MaxThreads = saved; }
    }
}
