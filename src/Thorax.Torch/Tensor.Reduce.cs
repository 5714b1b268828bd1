using System.Runtime.CompilerServices;
using Thorax.Native;

namespace Thorax;

public sealed partial class Tensor
{
    private enum ReduceOp { Sum = 0, Mean = 1, Prod = 2, Amax = 3, Amin = 4, LogSumExp = 5, All = 6, Any = 7, NanSum = 8, CountNonzero = 9 }

    private unsafe Tensor Reduce(ReduceOp op, long[]? dims, bool keepDim, [CallerMemberName] string name = "")
    {
        nint r;
        if (dims is null || dims.Length == 0)
        {
            NativeMethods.Check(NativeMethods.thx_reduce((int)op, Handle, null, -1, keepDim ? 1 : 0, &r), name);
        }
        else
        {
            fixed (long* p = dims) NativeMethods.Check(NativeMethods.thx_reduce((int)op, Handle, p, dims.Length, keepDim ? 1 : 0, &r), name);
        }
        return new Tensor(r);
    }

    /// <summary>Sum over every element.</summary>
    public Tensor Sum() => Reduce(ReduceOp.Sum, null, false);
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(ReduceOp.Sum, new[] { dim }, keepDim);
    public Tensor NanSum() => Reduce(ReduceOp.NanSum, null, false);
    public Tensor Mean() => Reduce(ReduceOp.Mean, null, false);
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(ReduceOp.Mean, new[] { dim }, keepDim);
    public Tensor Prod() => Reduce(ReduceOp.Prod, null, false);
    public Tensor Prod(long dim, bool keepDim = false) => Reduce(ReduceOp.Prod, new[] { dim }, keepDim);
    /// <summary>Maximum of all elements.</summary>
    public Tensor Max() => Reduce(ReduceOp.Amax, null, false);
    /// <summary>Minimum of all elements.</summary>
    public Tensor Min() => Reduce(ReduceOp.Amin, null, false);
    public Tensor Amax(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Amax, dims, keepDim);
    public Tensor Amin(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Amin, dims, keepDim);
    public Tensor LogSumExp(long[] dims, bool keepDim = false) => Reduce(ReduceOp.LogSumExp, dims, keepDim);
    public Tensor LogSumExp(long dim, bool keepDim = false) => Reduce(ReduceOp.LogSumExp, new[] { dim }, keepDim);
    public Tensor All() => Reduce(ReduceOp.All, null, false);
    public Tensor All(long dim, bool keepDim = false) => Reduce(ReduceOp.All, new[] { dim }, keepDim);
    public Tensor Any() => Reduce(ReduceOp.Any, null, false);
    public Tensor Any(long dim, bool keepDim = false) => Reduce(ReduceOp.Any, new[] { dim }, keepDim);
    public Tensor CountNonzero() => Reduce(ReduceOp.CountNonzero, null, false);

    /// <summary>Variance with Bessel's correction by default (<paramref name="correction"/> = 1), as torch.var.</summary>
    public unsafe Tensor Var(long[]? dims = null, long correction = 1, bool keepDim = false) => VarStd(dims, correction, keepDim, false);

    /// <summary>Standard deviation, as torch.std.</summary>
    public unsafe Tensor Std(long[]? dims = null, long correction = 1, bool keepDim = false) => VarStd(dims, correction, keepDim, true);

    private unsafe Tensor VarStd(long[]? dims, long correction, bool keepDim, bool std, [CallerMemberName] string name = "")
    {
        nint r;
        if (dims is null)
            NativeMethods.Check(NativeMethods.thx_var(Handle, null, -1, correction, keepDim ? 1 : 0, std ? 1 : 0, &r), name);
        else
            fixed (long* p = dims) NativeMethods.Check(NativeMethods.thx_var(Handle, p, dims.Length, correction, keepDim ? 1 : 0, std ? 1 : 0, &r), name);
        return new Tensor(r);
    }

    /// <summary>Maximum along <paramref name="dim"/> with the indices of the maxima.</summary>
    public unsafe (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        nint v, i;
        NativeMethods.Check(NativeMethods.thx_max_dim(Handle, dim, keepDim ? 1 : 0, 1, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Minimum along <paramref name="dim"/> with the indices of the minima.</summary>
    public unsafe (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false)
    {
        nint v, i;
        NativeMethods.Check(NativeMethods.thx_max_dim(Handle, dim, keepDim ? 1 : 0, 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Index of the maximum, over the flattened tensor when <paramref name="dim"/> is null. int64.</summary>
    public unsafe Tensor ArgMax(long? dim = null, bool keepDim = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_argmax(Handle, dim.HasValue ? 1 : 0, dim ?? 0, keepDim ? 1 : 0, 1, &r));
        return new Tensor(r);
    }

    /// <summary>Index of the minimum, over the flattened tensor when <paramref name="dim"/> is null. int64.</summary>
    public unsafe Tensor ArgMin(long? dim = null, bool keepDim = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_argmax(Handle, dim.HasValue ? 1 : 0, dim ?? 0, keepDim ? 1 : 0, 0, &r));
        return new Tensor(r);
    }

    /// <summary>p-norm over all elements, or over <paramref name="dims"/>.</summary>
    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepDim = false)
    {
        nint r;
        if (dims is null) NativeMethods.Check(NativeMethods.thx_norm(Handle, p, null, -1, 0, &r));
        else fixed (long* d = dims) NativeMethods.Check(NativeMethods.thx_norm(Handle, p, d, dims.Length, keepDim ? 1 : 0, &r));
        return new Tensor(r);
    }

    public unsafe Tensor CumSum(long dim)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_cumulative(0, Handle, dim, &r));
        return new Tensor(r);
    }

    public unsafe Tensor CumProd(long dim)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_cumulative(1, Handle, dim, &r));
        return new Tensor(r);
    }

    /// <summary>The k largest (or smallest) values along <paramref name="dim"/> and their int64 indices.</summary>
    public unsafe (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        nint v, i;
        NativeMethods.Check(NativeMethods.thx_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Sorted values along <paramref name="dim"/> and the int64 permutation.</summary>
    public unsafe (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false, bool stable = false)
    {
        nint v, i;
        NativeMethods.Check(NativeMethods.thx_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>The permutation that sorts along <paramref name="dim"/>.</summary>
    public Tensor ArgSort(long dim = -1, bool descending = false, bool stable = false)
    {
        var (v, i) = Sort(dim, descending, stable);
        v.Dispose();
        return i;
    }
}
