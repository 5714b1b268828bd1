using System.Runtime;

namespace Thorax.Training;

/// <summary>
/// Keeps the garbage collector out of a stretch of TorchSharp work: inside <see cref="Quiet"/> the process runs in a
/// .NET "no GC region", so no collection starts on any thread (a data loader worker, the finalizer thread) while
/// libtorch is still reading a temporary that TorchSharp passed by handle only. The shared epoch loop wraps every
/// training step, evaluation and checkpoint in it.
/// </summary>
/// <remarks>
/// <para>Why: TorchSharp 0.107 converts numbers to native scalars on the fly and drops the last reference before the
/// native call returns (<c>t.add_(u)</c> passes a temporary <c>alpha = 1</c>; <c>BatchNorm</c> runs
/// <c>num_batches_tracked.add_(1)</c> on every training forward; chained calls such as <c>t.detach().clone()</c>
/// leave the middle tensor unreferenced). A collection started by another thread during such a call finalizes the
/// temporary and frees it under libtorch's feet: a SIGSEGV, or a libtorch error such as <c>Expected false to be
/// true ... toFloat</c>. Thorax's own hot paths keep their temporaries alive (<see cref="Optim.SafeAdam"/>,
/// dispose scopes); TorchSharp's modules and operators cannot be changed from here, so this guard removes the other
/// ingredient, the collection. <see cref="Diagnostics.GcStress"/> shows the fault within seconds.</para>
/// <para>Best effort: a region holds at most <see cref="Budget"/> bytes of allocation by all threads; beyond that the
/// runtime collects and the region ends (counted in <see cref="RegionsLost"/>). Scopes nest and may be entered from
/// several threads: the region starts with the first and ends with the last. Starting a region may itself run a
/// full blocking collection, on the entering thread, between two TorchSharp calls. Set <see cref="Enabled"/> to false
/// (or <c>THORAX_GC_QUIET=0</c>) where the application manages no-GC regions itself.</para>
/// </remarks>
public static class TorchGc
{
    private static readonly object Gate = new();
    private static int _depth;
    private static bool _ours;
    private static long _started;
    private static long _lost;

    /// <summary>Whether <see cref="Quiet"/> starts regions (default true; <c>THORAX_GC_QUIET=0</c> turns it off).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("THORAX_GC_QUIET") != "0";

    /// <summary>Allocation allowed inside one region, all threads together (64 MiB).</summary>
    public static long Budget { get; set; } = 64L << 20;

    /// <summary>Regions started so far.</summary>
    public static long RegionsStarted => Interlocked.Read(ref _started);

    /// <summary>Regions that ended early because more than <see cref="Budget"/> was allocated (a collection ran).</summary>
    public static long RegionsLost => Interlocked.Read(ref _lost);

    /// <summary>Enters a no-GC stretch; dispose the result to leave it.</summary>
    public static Scope Quiet()
    {
        if (!Enabled) return default;
        lock (Gate)
        {
            if (_depth++ == 0)
            {
                _ours = false;
                if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
                {
                    try
                    {
                        _ours = GC.TryStartNoGCRegion(Budget);
                    }
                    catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
                    {
                        // Another component holds a region, or the budget does not fit this GC: run unguarded.
                    }
                    if (_ours) Interlocked.Increment(ref _started);
                }
            }
        }
        return new Scope(true);
    }

    private static void Leave()
    {
        lock (Gate)
        {
            if (--_depth > 0 || !_ours) return;
            _ours = false;
            if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
            {
                Interlocked.Increment(ref _lost);
                return;
            }
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref _lost); // a collection ended it between the check and the call
            }
        }
    }

    /// <summary>A no-GC stretch; <see cref="Dispose"/> leaves it (the default value does nothing).</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _active;

        internal Scope(bool active) => _active = active;

        /// <summary>Leaves the stretch.</summary>
        public void Dispose()
        {
            if (_active) Leave();
        }
    }
}
