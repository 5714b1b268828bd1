namespace Thorax.Imaging.Ops;

/// <summary>
/// Thread budget of the row-parallel image operations (<see cref="Resampling.Resize(Image{byte}, int, int, Interpolation)"/>,
/// <see cref="Histogram.Clahe(Image{byte}, double, int, int)"/> and
/// <see cref="ConnectedComponents.Label(Image{byte}, Connectivity)"/>), in the spirit of <c>cv2.setNumThreads</c>.
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
/// Splits a row range into contiguous bands processed in parallel (one band per thread at most), or runs it inline
/// when the work is too small to amortise a parallel dispatch. Bands keep per-band scratch buffers cheap.
/// </summary>
internal static class RowBands
{
    /// <summary>Calls <paramref name="body"/>(start, end) over [0, <paramref name="rows"/>) in at most
    /// <see cref="OpsThreading.MaxThreads"/> bands of at least <paramref name="minRows"/> rows each.</summary>
    public static void Run(int rows, int minRows, Action<int, int> body)
    {
        int bands = Math.Min(OpsThreading.Effective, rows / Math.Max(minRows, 1));
        if (bands <= 1)
        {
            if (rows > 0) body(0, rows);
            return;
        }
        Parallel.For(0, bands, new ParallelOptions { MaxDegreeOfParallelism = bands },
            b => body((int)((long)rows * b / bands), (int)((long)rows * (b + 1) / bands)));
    }

    /// <summary>Minimum band height so that each band carries about <paramref name="targetOps"/> operations
    /// when a row costs <paramref name="opsPerRow"/> (an operation being roughly one SIMD lane step, ~0.3 ns: a band
    /// of 2^20 is a few hundred microseconds, well above the cost of waking a worker on a busy machine).</summary>
    public static int MinRows(long opsPerRow, long targetOps = 1 << 20) =>
        (int)Math.Clamp(targetOps / Math.Max(opsPerRow, 1), 1, int.MaxValue);
}
