using System.Runtime.InteropServices;
using Thorax.Native;

namespace Thorax;

public static partial class Torch
{
    private static Device Dev(Device? d) => d ?? Device.Cpu;

    /// <summary>Uninitialised tensor.</summary>
    public static unsafe Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_empty(p, shape.Length, (int)dtype, (int)d.Type, d.Index, requiresGrad ? 1 : 0, &r), "empty");
        return new Tensor(r);
    }

    /// <summary>Tensor filled with <paramref name="value"/>.</summary>
    public static unsafe Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_full(p, shape.Length, value, (int)dtype, (int)d.Type, d.Index, requiresGrad ? 1 : 0, &r), "full");
        return new Tensor(r);
    }

    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) => Full(shape, 0, dtype, device, requiresGrad);
    public static Tensor Zeros(params long[] shape) => Full(shape, 0);
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) => Full(shape, 1, dtype, device, requiresGrad);
    public static Tensor Ones(params long[] shape) => Full(shape, 1);
    public static Tensor ZerosLike(Tensor t) => Full(t.Shape, 0, t.DType, t.Device);
    public static Tensor OnesLike(Tensor t) => Full(t.Shape, 1, t.DType, t.Device);
    public static Tensor FullLike(Tensor t, double value) => Full(t.Shape, value, t.DType, t.Device);

    /// <summary>Values from <paramref name="start"/> up to (excluding) <paramref name="end"/> by <paramref name="step"/>.</summary>
    public static unsafe Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        NativeMethods.Check(NativeMethods.thx_arange(start, end, step, (int)dtype, (int)d.Type, d.Index, &r), "arange");
        return new Tensor(r);
    }

    public static Tensor Arange(long end, DType dtype = DType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    public static unsafe Tensor Linspace(double start, double end, long steps, DType dtype = DType.Float32, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        NativeMethods.Check(NativeMethods.thx_linspace(start, end, steps, (int)dtype, (int)d.Type, d.Index, &r), "linspace");
        return new Tensor(r);
    }

    public static unsafe Tensor Eye(long n, long? m = null, DType dtype = DType.Float32, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        NativeMethods.Check(NativeMethods.thx_eye(n, m ?? n, (int)dtype, (int)d.Type, d.Index, &r), "eye");
        return new Tensor(r);
    }

    /// <summary>Uniform [0, 1) samples from <paramref name="generator"/> (or the global generator).</summary>
    public static unsafe Tensor Rand(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_random(0, p, shape.Length, Generator.H(generator), (int)dtype, (int)d.Type, d.Index, &r), "rand");
        return new Tensor(r);
    }

    /// <summary>Standard normal samples from <paramref name="generator"/> (or the global generator).</summary>
    public static unsafe Tensor Randn(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_random(1, p, shape.Length, Generator.H(generator), (int)dtype, (int)d.Type, d.Index, &r), "randn");
        return new Tensor(r);
    }

    public static Tensor Rand(params long[] shape) => Rand(shape, null);
    public static Tensor Randn(params long[] shape) => Randn(shape, null);

    /// <summary>Integers uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static unsafe Tensor RandInt(long low, long high, long[] shape, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_randint(low, high, p, shape.Length, Generator.H(generator), (int)dtype, (int)d.Type, d.Index, &r), "randint");
        return new Tensor(r);
    }

    /// <summary>A random permutation of 0..n-1 (int64).</summary>
    public static unsafe Tensor RandPerm(long n, Generator? generator = null, Device? device = null)
    {
        Initialize();
        var d = Dev(device);
        nint r;
        NativeMethods.Check(NativeMethods.thx_randperm(n, Generator.H(generator), (int)d.Type, d.Index, &r), "randperm");
        return new Tensor(r);
    }

    /// <summary>Fills <paramref name="t"/> in place with U(<paramref name="low"/>, <paramref name="high"/>), outside autograd.</summary>
    public static void Uniform_(Tensor t, double low, double high, Generator? generator = null) =>
        NativeMethods.Check(NativeMethods.thx_fill_random_(t.Handle, 0, low, high, Generator.H(generator)), "uniform_");

    /// <summary>Fills <paramref name="t"/> in place with N(<paramref name="mean"/>, <paramref name="std"/>²), outside autograd.</summary>
    public static void Normal_(Tensor t, double mean, double std, Generator? generator = null) =>
        NativeMethods.Check(NativeMethods.thx_fill_random_(t.Handle, 1, mean, std, Generator.H(generator)), "normal_");

    /// <summary>Fills <paramref name="t"/> in place with Bernoulli(<paramref name="p"/>) samples.</summary>
    public static void Bernoulli_(Tensor t, double p, Generator? generator = null) =>
        NativeMethods.Check(NativeMethods.thx_fill_random_(t.Handle, 2, p, 0, Generator.H(generator)), "bernoulli_");

    /// <summary>
    /// A new CPU tensor holding a copy of <paramref name="data"/> with the given shape (1-d when the shape is omitted
    /// or empty; use <see cref="Scalar"/> or <c>Reshape()</c> with no sizes for a 0-d tensor).
    /// </summary>
    public static unsafe Tensor FromArray<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        Initialize();
        if (shape.Length == 0) shape = new long[] { data.Length };
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != data.Length)
            throw new TorchException("tensor", $"{data.Length} values do not fill shape [{string.Join(", ", shape)}] ({n} elements)");
        nint r;
        fixed (T* src = data)
        fixed (long* p = shape)
            NativeMethods.Check(NativeMethods.thx_from_buffer(src, (long)data.Length * sizeof(T), p, shape.Length, (int)DTypeExtensions.Of<T>(), &r), "tensor");
        return new Tensor(r);
    }

    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged => FromArray((ReadOnlySpan<T>)data, shape);

    /// <summary>A 0-d tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full(Array.Empty<long>(), value, dtype, device);

    /// <summary>
    /// Wraps <paramref name="data"/> without copying: the tensor reads and writes the array, which stays pinned until
    /// the last tensor that shares it is freed. Use when the array is large and you keep no other writer.
    /// </summary>
    public static unsafe Tensor FromArrayNoCopy<T>(T[] data, params long[] shape) where T : unmanaged
    {
        Initialize();
        if (shape.Length == 0) shape = new long[] { data.Length };
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != data.Length)
            throw new TorchException("from_blob", $"{data.Length} values do not fill shape [{string.Join(", ", shape)}]");
        var gch = GCHandle.Alloc(data, GCHandleType.Pinned);
        nint r;
        try
        {
            fixed (long* p = shape)
                NativeMethods.Check(NativeMethods.thx_from_blob((void*)gch.AddrOfPinnedObject(), p, shape.Length, (int)DTypeExtensions.Of<T>(),
                    &FreePinned, (void*)GCHandle.ToIntPtr(gch), &r), "from_blob");
        }
        catch
        {
            gch.Free();
            throw;
        }
        return new Tensor(r);
    }

    [UnmanagedCallersOnly]
    private static unsafe void FreePinned(void* ctx) => GCHandle.FromIntPtr((nint)ctx).Free();

    // ---- joining ----

    public static unsafe Tensor Cat(Tensor[] tensors, long dim = 0) => Join(tensors, dim, false);

    public static unsafe Tensor Stack(Tensor[] tensors, long dim = 0) => Join(tensors, dim, true);

    private static unsafe Tensor Join(Tensor[] tensors, long dim, bool stack)
    {
        var hs = new nint[tensors.Length];
        for (var i = 0; i < hs.Length; i++) hs[i] = tensors[i].Handle;
        nint r;
        fixed (nint* p = hs) NativeMethods.Check(NativeMethods.thx_cat(p, hs.Length, dim, stack ? 1 : 0, &r), stack ? "stack" : "cat");
        return new Tensor(r);
    }

    /// <summary>Element-wise <c>condition ? a : b</c> with broadcasting.</summary>
    public static unsafe Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_where(condition.Handle, a.Handle, b.Handle, &r), "where");
        return new Tensor(r);
    }

    /// <summary>Einstein summation, e.g. <c>Einsum("bij,bjk->bik", a, b)</c>.</summary>
    public static unsafe Tensor Einsum(string equation, params Tensor[] operands)
    {
        var hs = new nint[operands.Length];
        for (var i = 0; i < hs.Length; i++) hs[i] = operands[i].Handle;
        var eq = System.Text.Encoding.UTF8.GetBytes(equation + "\0");
        nint r;
        fixed (byte* e = eq)
        fixed (nint* p = hs)
            NativeMethods.Check(NativeMethods.thx_einsum(e, p, hs.Length, &r), "einsum");
        return new Tensor(r);
    }

    private static unsafe Tensor MatMulKind(int kind, Tensor a, Tensor b, string name)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_matmul(kind, a.Handle, b.Handle, &r), name);
        return new Tensor(r);
    }

    /// <summary>Matrix product with broadcasting (<c>torch.matmul</c>).</summary>
    public static Tensor MatMul(Tensor a, Tensor b) => MatMulKind(0, a, b, "matmul");
    public static Tensor Mm(Tensor a, Tensor b) => MatMulKind(1, a, b, "mm");
    /// <summary>Batched matrix product of [B, n, m] and [B, m, p].</summary>
    public static Tensor Bmm(Tensor a, Tensor b) => MatMulKind(2, a, b, "bmm");
    public static Tensor Dot(Tensor a, Tensor b) => MatMulKind(3, a, b, "dot");
    public static Tensor Outer(Tensor a, Tensor b) => MatMulKind(4, a, b, "outer");

    /// <summary><c>beta * self + alpha * (a @ b)</c>.</summary>
    public static unsafe Tensor AddMm(Tensor self, Tensor a, Tensor b, double beta = 1, double alpha = 1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_addmm(self.Handle, a.Handle, b.Handle, beta, alpha, &r), "addmm");
        return new Tensor(r);
    }

    /// <summary>Pairwise p-norm distances between rows: [B, P, M] x [B, R, M] -> [B, P, R].</summary>
    public static unsafe Tensor CDist(Tensor x1, Tensor x2, double p = 2)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_cdist(x1.Handle, x2.Handle, p, -1, &r), "cdist");
        return new Tensor(r);
    }

    /// <summary>Integer <paramref name="t"/> (int64) to one-hot int64 with a trailing class dimension.</summary>
    public static unsafe Tensor OneHot(Tensor t, long numClasses = -1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_one_hot(t.Handle, numClasses, &r), "one_hot");
        return new Tensor(r);
    }

    /// <summary>Counts of each non-negative integer value (optionally weighted).</summary>
    public static unsafe Tensor BinCount(Tensor t, Tensor? weights = null, long minLength = 0)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_bincount(t.Handle, Tensor.H(weights), minLength, &r), "bincount");
        return new Tensor(r);
    }
}
