using System.Runtime.InteropServices;
using System.Text;
using Thorax.Native;

namespace Thorax;

/// <summary>
/// An n-dimensional array held by libtorch. Each instance owns one native reference; dispose it (or let the
/// enclosing <see cref="TensorScope"/> do so) to release native memory deterministically; the finalizer is a
/// safety net only. Views (<see cref="View"/>, <see cref="Transpose"/>, ...) are new instances that share storage.
/// </summary>
/// <remarks>A tensor is not thread-safe; use one tensor from one thread at a time.</remarks>
public sealed partial class Tensor : IDisposable
{
    private static long _live;
    private nint _handle;
    private TensorScope? _scope;

    internal Tensor(nint handle)
    {
        if (handle == 0) throw new TorchException("native call returned no tensor");
        _handle = handle;
        Interlocked.Increment(ref _live);
        _scope = TensorScope.Current;
        _scope?.Add(this);
    }

    /// <summary>Number of tensors created and not yet disposed or finalized, process-wide (for leak tests).</summary>
    public static long LiveCount => Interlocked.Read(ref _live);

    /// <summary>The native handle; throws <see cref="ObjectDisposedException"/> after disposal.</summary>
    internal nint Handle
    {
        get
        {
            var h = _handle;
            if (h == 0) throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (directly or by its TensorScope)");
            return h;
        }
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _handle == 0;

    internal static nint H(Tensor? t) => t is null ? 0 : t.Handle;

    /// <summary>Takes this tensor out of its dispose scope and hands it to the enclosing one (or to the caller).</summary>
    /// <returns>This tensor.</returns>
    public Tensor MoveToOuterScope()
    {
        if (_scope is not null)
        {
            var outer = _scope.Outer;
            _scope.Remove(this);
            _scope = outer;
            outer?.Add(this);
        }
        return this;
    }

    /// <summary>Takes this tensor out of every dispose scope: the caller owns it.</summary>
    /// <returns>This tensor.</returns>
    public Tensor DetachFromScope()
    {
        _scope?.Remove(this);
        _scope = null;
        return this;
    }

    internal void DisposeFromScope()
    {
        _scope = null;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the native reference. Safe to call twice.</summary>
    public void Dispose()
    {
        if (_handle == 0) return;
        _scope?.Remove(this);
        _scope = null;
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0)
        {
            NativeMethods.thx_tensor_free(h);
            Interlocked.Decrement(ref _live);
        }
    }

    /// <summary>Finalizer: frees the native reference of a tensor nobody disposed.</summary>
    ~Tensor() => Release();

    // ---- metadata ----

    private unsafe void Info(out int ndim, out DType dtype, out Device device)
    {
        int nd, dt, dvt, dvi;
        NativeMethods.Check(NativeMethods.thx_tensor_info(Handle, &nd, &dt, &dvt, &dvi), "info");
        ndim = nd;
        dtype = (DType)dt;
        device = new Device((DeviceType)dvt, dvi);
    }

    /// <summary>Number of dimensions.</summary>
    public int Dim { get { Info(out var n, out _, out _); return n; } }

    /// <summary>Element type.</summary>
    public DType DType { get { Info(out _, out var d, out _); return d; } }

    /// <summary>The device that holds the data.</summary>
    public Device Device { get { Info(out _, out _, out var d); return d; } }

    /// <summary>The sizes of every dimension (PyTorch's <c>shape</c>).</summary>
    public unsafe long[] Shape
    {
        get
        {
            var n = Dim;
            var s = new long[n];
            fixed (long* p = s) NativeMethods.Check(NativeMethods.thx_tensor_sizes(Handle, p, n), "shape");
            return s;
        }
    }

    /// <summary>Strides in elements.</summary>
    public unsafe long[] Strides
    {
        get
        {
            var n = Dim;
            var s = new long[n];
            fixed (long* p = s) NativeMethods.Check(NativeMethods.thx_tensor_strides(Handle, p, n), "stride");
            return s;
        }
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var s = Shape;
        var d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length) throw new TorchException("size", $"dimension {dim} out of range for a {s.Length}-d tensor");
        return s[d];
    }

    /// <summary>Total number of elements.</summary>
    public unsafe long NumEl
    {
        get { long n; NativeMethods.Check(NativeMethods.thx_tensor_numel(Handle, &n), "numel"); return n; }
    }

    /// <summary>True when the elements are laid out contiguously in row-major order.</summary>
    public unsafe bool IsContiguous
    {
        get { int c; NativeMethods.Check(NativeMethods.thx_tensor_is_contiguous(Handle, &c), "is_contiguous"); return c != 0; }
    }

    /// <summary>Shape as text, e.g. <c>[8, 3, 224, 224]</c>, for messages.</summary>
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";

    // ---- data ----

    /// <summary>Copies the values (any device, any layout) into a new managed array, in row-major order.</summary>
    /// <typeparam name="T">Must match <see cref="DType"/> (float for Float32, long for Int64, ...).</typeparam>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var want = DTypeExtensions.Of<T>();
        var have = DType;
        if (want != have)
            throw new TorchException("to_array", $"tensor has dtype {have.TorchName()} but {typeof(T).Name}[] needs {want.TorchName()}; convert with To(DType.{want}) first");
        var n = NumEl;
        var a = new T[n];
        fixed (T* p = a) NativeMethods.Check(NativeMethods.thx_copy_to_buffer(Handle, p, n * sizeof(T)), "to_array");
        return a;
    }

    /// <summary>Copies the values into <paramref name="dst"/>, whose length must equal <see cref="NumEl"/>.</summary>
    public unsafe void CopyTo<T>(Span<T> dst) where T : unmanaged
    {
        var want = DTypeExtensions.Of<T>();
        if (want != DType) throw new TorchException("copy_to", $"tensor has dtype {DType.TorchName()} but the span holds {typeof(T).Name}");
        fixed (T* p = dst) NativeMethods.Check(NativeMethods.thx_copy_to_buffer(Handle, p, (long)dst.Length * sizeof(T)), "copy_to");
    }

    /// <summary>The value of a one-element tensor as double.</summary>
    public unsafe double Item()
    {
        double v;
        NativeMethods.Check(NativeMethods.thx_item(Handle, &v), "item");
        return v;
    }

    /// <summary>The value of a one-element integer tensor.</summary>
    public unsafe long ItemInt64()
    {
        long v;
        NativeMethods.Check(NativeMethods.thx_item_int64(Handle, &v), "item");
        return v;
    }

    /// <summary>
    /// A span over the tensor's CPU memory. Valid only while the tensor lives and is not resized; the tensor must be
    /// contiguous and on the CPU. Writes go straight into the tensor (outside autograd).
    /// </summary>
    public unsafe Span<T> DataSpan<T>() where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType) throw new TorchException("data_span", $"tensor has dtype {DType.TorchName()}, not {typeof(T).Name}");
        if (Device.Type != DeviceType.Cpu) throw new TorchException("data_span", "tensor is not on the CPU");
        if (!IsContiguous) throw new TorchException("data_span", "tensor is not contiguous; call Contiguous() first");
        void* p;
        NativeMethods.Check(NativeMethods.thx_tensor_data_ptr(Handle, &p), "data_span");
        return new Span<T>(p, checked((int)NumEl));
    }

    /// <summary>PyTorch's printed form of the tensor.</summary>
    public override unsafe string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        int needed;
        NativeMethods.Check(NativeMethods.thx_to_string(Handle, null, 0, &needed), "to_string");
        var buf = new byte[needed];
        fixed (byte* p = buf) NativeMethods.Check(NativeMethods.thx_to_string(Handle, p, needed, &needed), "to_string");
        return Encoding.UTF8.GetString(buf, 0, Math.Max(0, needed - 1));
    }

    /// <summary>Short description: shape, dtype, device.</summary>
    public string Describe() => $"Tensor{ShapeString} {DType.TorchName()} on {Device}";
}
