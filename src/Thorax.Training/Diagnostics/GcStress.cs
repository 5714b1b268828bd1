using System.Globalization;

namespace Thorax.Training.Diagnostics;

/// <summary>
/// A background thread that provokes garbage collections from outside the thread doing TorchSharp work.
/// <see cref="GcStressMode.Collect"/> forces a full collection and runs the finalizers every few milliseconds, so that
/// a TorchSharp object whose only reference is a native handle already passed to libtorch is freed during the native
/// call at once instead of once in thousands of runs. With it on, code that relies on such a temporary fails
/// quickly (SIGSEGV, or libtorch errors such as <c>Expected false to be true ... Scalar</c>); code that keeps its
/// temporaries reachable (dispose scopes, locals disposed after use: <see cref="Optim.SafeAdam"/>) runs unchanged,
/// only slower. <see cref="GcStressMode.Allocate"/> instead allocates garbage steadily, as a data loader worker does,
/// so collections start from its allocations (and respect <see cref="TorchGc.Quiet"/>, which an induced collection
/// would end). The <c>thorax</c> command line turns it on when the environment variable <c>THORAX_GC_STRESS</c> is
/// set (<c>1</c> or the interval in milliseconds: collect; <c>alloc</c>: allocate).
/// </summary>
public sealed class GcStress : IDisposable
{
    /// <summary>The environment variable read by <see cref="FromEnvironment"/>.</summary>
    public const string EnvironmentVariable = "THORAX_GC_STRESS";

    private readonly Thread _thread;
    private volatile bool _stop;
    private long _collections;

    private GcStress(TimeSpan interval, GcStressMode mode)
    {
        Interval = interval;
        Mode = mode;
        _thread = new Thread(() =>
        {
            var start = GC.CollectionCount(0);
            var sink = new object[64];
            var i = 0;
            while (!_stop)
            {
                if (mode == GcStressMode.Collect)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref _collections);
                    Thread.Sleep(Interval);
                }
                else
                {
                    for (var k = 0; k < 256; k++) sink[i++ & 63] = new byte[512]; // 128 KiB of short-lived garbage
                    Interlocked.Exchange(ref _collections, GC.CollectionCount(0) - start);
                    Thread.Sleep(Interval);
                }
            }
        })
        { IsBackground = true, Name = "Thorax GC stress" };
        _thread.Start();
        SpinWait.SpinUntil(() => Collections > 0 || GC.CollectionCount(0) > 0 && mode == GcStressMode.Allocate, 1000); // running before Start returns
    }

    /// <summary>Time between two forced collections.</summary>
    public TimeSpan Interval { get; }

    /// <summary>What the thread does.</summary>
    public GcStressMode Mode { get; }

    /// <summary>Collections forced so far (Collect), or gen-0 collections in the process since the start (Allocate).</summary>
    public long Collections => Interlocked.Read(ref _collections);

    /// <summary>Starts the thread: every <paramref name="interval"/> (default 1 ms) a forced collection, or 128 KiB of
    /// garbage; it runs until disposed.</summary>
    public static GcStress Start(TimeSpan? interval = null, GcStressMode mode = GcStressMode.Collect)
    {
        var i = interval ?? TimeSpan.FromMilliseconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThan(i, TimeSpan.Zero, nameof(interval));
        return new GcStress(i, mode);
    }

    /// <summary>
    /// Starts when <see cref="EnvironmentVariable"/> is set: <c>alloc</c> = allocate every 1 ms; <c>1</c> (or any other
    /// non-number) = collect every 1 ms; a number = collect at that interval in milliseconds; <c>0</c>, empty or
    /// unset = off (returns null).
    /// </summary>
    public static GcStress? FromEnvironment()
    {
        var v = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(v) || v.Trim() == "0") return null;
        if (v.Trim().Equals("alloc", StringComparison.OrdinalIgnoreCase)) return Start(mode: GcStressMode.Allocate);
        var ms = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 ? d : 1;
        return Start(TimeSpan.FromMilliseconds(ms));
    }

    /// <summary>Stops the thread and waits for it.</summary>
    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}

/// <summary>What a <see cref="GcStress"/> thread does.</summary>
public enum GcStressMode
{
    /// <summary>Force a full collection and wait for the finalizers, then sleep.</summary>
    Collect,

    /// <summary>Allocate 128 KiB of short-lived garbage, then sleep (collections start from its allocations).</summary>
    Allocate,
}
