using System.Text;
using Thorax.Native;

namespace Thorax;

// The engine's public types (Torch, Tensor, Functional, Device, DType, TensorScope, Generator, ...) live in the root
// namespace `Thorax`, so code in any Thorax.* namespace uses them without a using directive and `Torch.Zeros(...)`
// never collides with a `Thorax.Torch` namespace. Interop internals are in `Thorax.Native`.

/// <summary>
/// Entry points that read like PyTorch's <c>torch.*</c>: tensor factories, joining ops, the runtime (threads,
/// seeds, determinism, devices) and autograd modes. Results are new tensors owned by the caller or by the current
/// <see cref="TensorScope"/>.
/// </summary>
public static partial class Torch
{
    static Torch() => NativeLibraryLoader.EnsureRegistered();

    // ---- runtime ----

    /// <summary>libtorch's version string, e.g. <c>1.13.1</c>.</summary>
    public static unsafe string Version
    {
        get
        {
            var buf = new byte[64];
            fixed (byte* p = buf) NativeMethods.Check(NativeMethods.thx_torch_version(p, buf.Length), "version");
            return Encoding.UTF8.GetString(buf, 0, Array.IndexOf(buf, (byte)0));
        }
    }

    /// <summary>Intra-op threads libtorch uses. Thorax sets it to the machine's core count on first use.</summary>
    public static unsafe int NumThreads
    {
        get { int n; NativeMethods.Check(NativeMethods.thx_get_num_threads(&n), "get_num_threads"); return n; }
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be at least 1");
            NativeMethods.Check(NativeMethods.thx_set_num_threads(value), "set_num_threads");
        }
    }

    private static int _initialised;

    /// <summary>
    /// One-time runtime set-up: threads = <c>THORAX_NUM_THREADS</c> or <see cref="Environment.ProcessorCount"/>
    /// (libtorch would otherwise default to 1 on some builds). Called by every factory; safe to call again.
    /// </summary>
    public static void Initialize()
    {
        if (Interlocked.Exchange(ref _initialised, 1) == 1) return;
        var env = Environment.GetEnvironmentVariable("THORAX_NUM_THREADS");
        NumThreads = int.TryParse(env, out var n) && n > 0 ? n : Environment.ProcessorCount;
    }

    /// <summary>Seeds the global generators (CPU and CUDA), as <c>torch.manual_seed</c>.</summary>
    public static void ManualSeed(long seed)
    {
        Initialize();
        NativeMethods.Check(NativeMethods.thx_manual_seed(seed), "manual_seed");
    }

    /// <summary>
    /// Deterministic mode: libtorch picks deterministic kernels (and fails on ops that have none), cuDNN
    /// benchmarking off. With a fixed seed, two runs of a CPU training loop give bit-identical weights.
    /// </summary>
    public static unsafe bool Deterministic
    {
        get { int r; NativeMethods.Check(NativeMethods.thx_get_deterministic(&r), "are_deterministic_algorithms_enabled"); return r != 0; }
        set => NativeMethods.Check(NativeMethods.thx_set_deterministic(value ? 1 : 0), "use_deterministic_algorithms");
    }

    /// <summary>Number of CUDA devices libtorch can use (0 for CPU-only builds).</summary>
    public static unsafe int CudaDeviceCount
    {
        get { int n; NativeMethods.Check(NativeMethods.thx_cuda_device_count(&n), "cuda.device_count"); return n; }
    }

    /// <summary>True when a CUDA device is usable.</summary>
    public static bool CudaIsAvailable => CudaDeviceCount > 0;

    /// <summary>Waits for queued CUDA work on <paramref name="device"/> (no-op without CUDA).</summary>
    public static void CudaSynchronize(int device = 0)
    {
        if (CudaIsAvailable) NativeMethods.Check(NativeMethods.thx_cuda_synchronize(device), "cuda.synchronize");
    }

    /// <summary>The global CPU generator state (for checkpoints).</summary>
    public static unsafe Tensor GetRngState()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_default_generator_get_state(&r), "get_rng_state");
        return new Tensor(r);
    }

    /// <summary>Restores the global CPU generator state.</summary>
    public static void SetRngState(Tensor state) => NativeMethods.Check(NativeMethods.thx_default_generator_set_state(state.Handle), "set_rng_state");

    /// <summary>The default generator state of CUDA device <paramref name="device"/> (as <c>torch.cuda.get_rng_state</c>).</summary>
    /// <exception cref="TorchException">libtorch has no CUDA, or the device does not exist.</exception>
    public static unsafe Tensor GetCudaRngState(int device = 0)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_cuda_generator_get_state(device, &r), $"cuda.get_rng_state(device {device})");
        return new Tensor(r);
    }

    /// <summary>Restores the default generator state of CUDA device <paramref name="device"/>.</summary>
    /// <exception cref="TorchException">libtorch has no CUDA, the device does not exist, or the state is not one of its states.</exception>
    public static void SetCudaRngState(Tensor state, int device = 0) =>
        NativeMethods.Check(NativeMethods.thx_cuda_generator_set_state(device, state.Handle), $"cuda.set_rng_state(device {device})");

    // ---- autograd modes ----

    /// <summary>True when autograd records operations on this thread.</summary>
    public static unsafe bool IsGradEnabled
    {
        get { int r; NativeMethods.Check(NativeMethods.thx_grad_enabled(&r), "is_grad_enabled"); return r != 0; }
    }

    /// <summary>Disables gradient recording until the returned scope is disposed (<c>torch.no_grad()</c>).</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables gradient recording until the returned scope is disposed (<c>torch.enable_grad()</c>).</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>Inference mode (<c>torch.inference_mode()</c>): no autograd and no version counting, fastest for prediction.</summary>
    public static InferenceModeScope InferenceMode() => new();

    /// <summary>
    /// Autocast (mixed precision) for <paramref name="device"/>: bf16 on CPU, fp16 or bf16 on CUDA, until disposed.
    /// </summary>
    public static AutocastScope Autocast(DeviceType device, DType dtype) => new(device, dtype);

    /// <summary>Opens a dispose scope: tensors created until it is disposed are freed with it.</summary>
    public static TensorScope NewScope() => new();
}

/// <summary>Restores the previous grad mode on dispose.</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool _previous;

    internal GradModeScope(bool enabled)
    {
        _previous = Torch.IsGradEnabled;
        NativeMethods.Check(NativeMethods.thx_set_grad_enabled(enabled ? 1 : 0), "set_grad_enabled");
    }

    /// <summary>Restores the grad mode that was active before.</summary>
    public void Dispose() => NativeMethods.Check(NativeMethods.thx_set_grad_enabled(_previous ? 1 : 0), "set_grad_enabled");
}

/// <summary>Leaves inference mode on dispose. Enter and leave on the same thread.</summary>
public sealed class InferenceModeScope : IDisposable
{
    private unsafe void* _guard;

    internal unsafe InferenceModeScope()
    {
        void* g;
        NativeMethods.Check(NativeMethods.thx_inference_mode_enter(&g), "inference_mode");
        _guard = g;
    }

    /// <summary>Leaves inference mode.</summary>
    public unsafe void Dispose()
    {
        if (_guard == null) return;
        NativeMethods.Check(NativeMethods.thx_inference_mode_exit(_guard), "inference_mode");
        _guard = null;
    }
}

/// <summary>Turns autocast off again on dispose.</summary>
public sealed class AutocastScope : IDisposable
{
    private readonly DeviceType _device;
    private readonly bool _previous;

    internal unsafe AutocastScope(DeviceType device, DType dtype)
    {
        _device = device;
        int e;
        NativeMethods.Check(NativeMethods.thx_autocast_get((int)device, &e), "autocast");
        _previous = e != 0;
        NativeMethods.Check(NativeMethods.thx_autocast_set((int)device, 1, (int)dtype), "autocast");
    }

    /// <summary>Restores the previous autocast state.</summary>
    public void Dispose() => NativeMethods.Check(NativeMethods.thx_autocast_set((int)_device, _previous ? 1 : 0, (int)DType.Float32), "autocast");
}
