using System.Runtime.ExceptionServices;

namespace Thorax.Imaging.Ops;

/// <summary>
/// Thread budget of all row-parallel image operations, in the spirit of <c>cv2.setNumThreads</c>: resizing
/// (<see cref="Resampling.Resize(Image{byte}, int, int, Interpolation)"/> and its overloads,
/// <see cref="Resampling.ResizeAntiAliased(Image{float}, int, int)"/>), CLAHE
/// (<see cref="Histogram.Clahe(Image{byte}, double, int, int)"/>, <see cref="Histogram.Clahe(Image{ushort}, double, int, int)"/>,
/// <see cref="Histogram.ClaheResizeToUnit"/>), Gaussian blur (<see cref="Gaussian.Blur(Image{float}, double, double, BorderMode, double, float)"/>
/// and the float, 8-bit and 16-bit <c>Gaussian.CvBlur</c> overloads), morphology (<see cref="Morphology"/>), affine
/// warps (<see cref="Warp"/>) and connected components (<see cref="ConnectedComponents.Label(Image{byte}, Connectivity)"/>).
/// Global histogram equalisation runs on the calling thread only.
/// </summary>
/// <remarks>
/// Set it to 1 when many images are processed concurrently (data-loader workers), so operations do not
/// oversubscribe the cores, or to measure per-core speed.
/// </remarks>
public static class OpsThreading
{
    private static volatile int _max;

    /// <summary>Most row bands an operation runs at once; 0 (default) means <see cref="Environment.ProcessorCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative value.</exception>
    public static int MaxThreads
    {
        get => _max;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _max = value;
        }
    }

    internal static int Effective => _max > 0 ? _max : Environment.ProcessorCount;
}

/// <summary>
/// Splits a row range into contiguous bands processed in parallel, or runs it inline when the work is too small to
/// amortise a parallel dispatch. Bands keep per-band scratch buffers cheap.
/// </summary>
internal static class RowBands
{
    /// <summary>Bands per thread when the work allows: threads take bands from a shared counter, so a thread slowed by
    /// the machine (a descheduled vCPU, another process) leaves its remaining bands to the others instead of every
    /// thread waiting for its fixed half.</summary>
    private const int BandsPerThread = 4;

    /// <summary>Calls <paramref name="body"/>(start, end) over [0, <paramref name="rows"/>) in bands of at least
    /// <paramref name="minRows"/> rows each, up to <see cref="BandsPerThread"/> per thread, on at most
    /// <see cref="OpsThreading.MaxThreads"/> threads.</summary>
    public static void Run(int rows, int minRows, Action<int, int> body)
    {
        int threads = OpsThreading.Effective, most = rows / Math.Max(minRows, 1);
        if (threads <= 1 || most <= 1)
        {
            if (rows > 0) body(0, rows);
            return;
        }
        int bands = (int)Math.Min(most, (long)threads * BandsPerThread);
        BandDispatcher.For(bands, threads, b => body((int)((long)rows * b / bands), (int)((long)rows * (b + 1) / bands)));
    }

    /// <summary>Minimum band height so that each band carries about <paramref name="targetOps"/> operations
    /// when a row costs <paramref name="opsPerRow"/> (an operation being roughly one SIMD lane step, ~0.3 ns: a band
    /// of 2^20 is a few hundred microseconds, well above the cost of waking a worker on a busy machine).</summary>
    public static int MinRows(long opsPerRow, long targetOps = 1 << 20) =>
        (int)Math.Clamp(targetOps / Math.Max(opsPerRow, 1), 1, int.MaxValue);
}

/// <summary>
/// Runs the bands of one image operation on the calling thread plus up to <c>threads - 1</c> thread-pool workers, the
/// caller never waiting for a worker that has not started.
/// </summary>
/// <remarks>
/// <para>Bands are taken from a shared counter by whoever is running: the caller starts at once, and a worker that wakes
/// up after every band was taken returns without doing anything. The caller waits only for bands in progress on other
/// threads. <c>Parallel.For</c> instead waits for each worker task it queued to run, even one that finds no work left:
/// on a virtual machine whose second vCPU is idle or descheduled, waking it can cost more than a whole short operation
/// (the two-thread 1024->512 rows of <c>thorax bench imaging</c> are such operations).</para>
/// <para>The first exception thrown by a band is rethrown on the caller after all started bands have finished; the
/// remaining bands still run.</para>
/// </remarks>
internal sealed class BandDispatcher
{
    private readonly Action<int> _body;
    private readonly int _count;
    private int _next;
    private int _pending;
    private ExceptionDispatchInfo? _error;
    private readonly ManualResetEventSlim _done = new(false);

    private BandDispatcher(int count, Action<int> body)
    {
        _count = count;
        _pending = count;
        _body = body;
    }

    /// <summary>Calls <paramref name="body"/>(i) once for every i in [0, <paramref name="count"/>), on at most
    /// <paramref name="threads"/> threads including the caller; returns when all calls have returned.</summary>
    public static void For(int count, int threads, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || threads <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var run = new BandDispatcher(count, body);
        int helpers = Math.Min(threads, count) - 1;
        for (int i = 0; i < helpers; i++) ThreadPool.UnsafeQueueUserWorkItem(static r => r.Work(), run, preferLocal: false);
        run.Work();
        if (Volatile.Read(ref run._pending) != 0)
        {
            // A band is still running elsewhere: spin briefly (bands are short), then block.
            var spin = new SpinWait();
            while (Volatile.Read(ref run._pending) != 0 && !spin.NextSpinWillYield) spin.SpinOnce();
            if (Volatile.Read(ref run._pending) != 0) run._done.Wait();
        }
        run._error?.Throw();
    }

    private void Work()
    {
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try { _body(i); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null); }
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }
}
