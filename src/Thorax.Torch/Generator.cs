using Thorax.Native;

namespace Thorax;

/// <summary>
/// A seeded random number generator (libtorch's CPU Philox/MT generator). Pass it to random factories and
/// initialisers to make a computation reproducible independently of the global seed.
/// </summary>
public sealed class Generator : IDisposable
{
    private nint _handle;

    /// <summary>Creates a CPU generator seeded with <paramref name="seed"/>.</summary>
    public unsafe Generator(long seed)
    {
        nint h;
        NativeMethods.Check(NativeMethods.thx_generator_new(seed, 0, &h), "Generator");
        _handle = h;
        Seed = seed;
    }

    /// <summary>The seed last set.</summary>
    public long Seed { get; private set; }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(Generator));

    internal static nint H(Generator? g) => g is null ? 0 : g.Handle;

    /// <summary>Re-seeds the generator.</summary>
    public void ManualSeed(long seed)
    {
        NativeMethods.Check(NativeMethods.thx_generator_set_seed(Handle, seed), "manual_seed");
        Seed = seed;
    }

    /// <summary>The full generator state as a uint8 tensor (for checkpoints).</summary>
    public unsafe Tensor GetState()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_generator_get_state(Handle, &r), "get_state");
        return new Tensor(r);
    }

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(Tensor state) => NativeMethods.Check(NativeMethods.thx_generator_set_state(Handle, state.Handle), "set_state");

    /// <summary>Frees the native generator.</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) NativeMethods.thx_generator_free(h);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native generator if nobody disposed it.</summary>
    ~Generator()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) NativeMethods.thx_generator_free(h);
    }
}
