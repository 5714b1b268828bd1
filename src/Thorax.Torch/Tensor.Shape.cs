using Thorax.Native;

namespace Thorax;

public sealed partial class Tensor
{
    /// <summary>Same data with a new shape (one entry may be -1); copies only when the layout requires it.</summary>
    public unsafe Tensor Reshape(params long[] shape)
    {
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_reshape(Handle, p, shape.Length, 0, &r));
        return new Tensor(r);
    }

    /// <summary>A view with a new shape; fails when the strides do not allow a view (use <see cref="Reshape"/>).</summary>
    public unsafe Tensor View(params long[] shape)
    {
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_reshape(Handle, p, shape.Length, 1, &r));
        return new Tensor(r);
    }

    /// <summary>A view with dimensions reordered.</summary>
    public unsafe Tensor Permute(params long[] dims)
    {
        nint r;
        fixed (long* p = dims) NativeMethods.Check(NativeMethods.thx_permute(Handle, p, dims.Length, &r));
        return new Tensor(r);
    }

    /// <summary>A view with two dimensions swapped.</summary>
    public unsafe Tensor Transpose(long dim0, long dim1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_transpose(Handle, dim0, dim1, &r));
        return new Tensor(r);
    }

    /// <summary>Matrix transpose of a 2-d tensor.</summary>
    public Tensor T() => Transpose(0, 1);

    /// <summary>A contiguous tensor with the same values (this data when already contiguous).</summary>
    public unsafe Tensor Contiguous()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_contiguous(Handle, &r));
        return new Tensor(r);
    }

    /// <summary>Removes size-1 dimensions (all of them, or only <paramref name="dim"/>).</summary>
    public unsafe Tensor Squeeze(long? dim = null)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_squeeze(Handle, dim.HasValue ? 1 : 0, dim ?? 0, &r));
        return new Tensor(r);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public unsafe Tensor Unsqueeze(long dim)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_unsqueeze(Handle, dim, &r));
        return new Tensor(r);
    }

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public unsafe Tensor Flatten(long startDim = 0, long endDim = -1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_flatten(Handle, startDim, endDim, &r));
        return new Tensor(r);
    }

    /// <summary>A view of <paramref name="length"/> entries of <paramref name="dim"/> from <paramref name="start"/>.</summary>
    public unsafe Tensor Narrow(long dim, long start, long length)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_narrow(Handle, dim, start, length, &r));
        return new Tensor(r);
    }

    /// <summary>A view of index <paramref name="index"/> along <paramref name="dim"/> (that dimension removed).</summary>
    public unsafe Tensor Select(long dim, long index)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_select(Handle, dim, index, &r));
        return new Tensor(r);
    }

    /// <summary>Python's <c>x[..., start:end:step]</c> along <paramref name="dim"/>; null bounds are open.</summary>
    public unsafe Tensor Slice(long dim, long? start, long? end, long step = 1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_slice(Handle, dim, start.HasValue ? 1 : 0, start ?? 0, end.HasValue ? 1 : 0, end ?? 0, step, &r));
        return new Tensor(r);
    }

    public unsafe Tensor IndexSelect(long dim, Tensor index)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_index_select(Handle, dim, index.Handle, &r));
        return new Tensor(r);
    }

    public unsafe Tensor Gather(long dim, Tensor index)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_gather(Handle, dim, index.Handle, &r));
        return new Tensor(r);
    }

    /// <summary>Out-of-place <c>scatter(dim, index, src)</c>.</summary>
    public unsafe Tensor Scatter(long dim, Tensor index, Tensor src)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_scatter(0, Handle, dim, index.Handle, src.Handle, 0, 0, &r));
        return new Tensor(r);
    }

    /// <summary>Out-of-place <c>scatter(dim, index, value)</c>.</summary>
    public unsafe Tensor Scatter(long dim, Tensor index, double value)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_scatter(2, Handle, dim, index.Handle, 0, value, 0, &r));
        return new Tensor(r);
    }

    public unsafe Tensor ScatterAdd(long dim, Tensor index, Tensor src)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_scatter(1, Handle, dim, index.Handle, src.Handle, 0, 0, &r));
        return new Tensor(r);
    }

    public unsafe Tensor MaskedFill(Tensor mask, double value)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_masked_fill(Handle, mask.Handle, value, 0, 0, &r));
        return new Tensor(r);
    }

    public unsafe Tensor MaskedFill_(Tensor mask, double value)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_masked_fill(Handle, mask.Handle, value, 0, 1, &r));
        return this;
    }

    /// <summary>The elements where <paramref name="mask"/> is true, as a 1-d tensor.</summary>
    public unsafe Tensor MaskedSelect(Tensor mask)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_masked_select(Handle, mask.Handle, &r));
        return new Tensor(r);
    }

    /// <summary>Advanced indexing <c>x[i0, i1, ...]</c>; a null entry stands for <c>:</c>.</summary>
    public unsafe Tensor Index(params Tensor?[] indices)
    {
        var hs = new nint[indices.Length];
        for (var i = 0; i < hs.Length; i++) hs[i] = H(indices[i]);
        nint r;
        fixed (nint* p = hs) NativeMethods.Check(NativeMethods.thx_index(Handle, p, hs.Length, &r));
        return new Tensor(r);
    }

    /// <summary><c>x[indices] = values</c> (or <c>+=</c> with <paramref name="accumulate"/>) in place.</summary>
    public unsafe Tensor IndexPut_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        var hs = new nint[indices.Length];
        for (var i = 0; i < hs.Length; i++) hs[i] = H(indices[i]);
        fixed (nint* p = hs) NativeMethods.Check(NativeMethods.thx_index_put_(Handle, p, hs.Length, values.Handle, accumulate ? 1 : 0));
        return this;
    }

    /// <summary>A broadcast view to <paramref name="shape"/> (-1 keeps a size).</summary>
    public unsafe Tensor Expand(params long[] shape)
    {
        nint r;
        fixed (long* p = shape) NativeMethods.Check(NativeMethods.thx_expand(Handle, p, shape.Length, &r));
        return new Tensor(r);
    }

    public Tensor ExpandAs(Tensor other) => Expand(other.Shape);

    /// <summary>Tiles the tensor <paramref name="repeats"/> times along each dimension (copies).</summary>
    public unsafe Tensor Repeat(params long[] repeats)
    {
        nint r;
        fixed (long* p = repeats) NativeMethods.Check(NativeMethods.thx_repeat(Handle, p, repeats.Length, &r));
        return new Tensor(r);
    }

    public unsafe Tensor RepeatInterleave(long repeats, long dim)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_repeat_interleave(Handle, repeats, dim, &r));
        return new Tensor(r);
    }

    public unsafe Tensor Flip(params long[] dims)
    {
        nint r;
        fixed (long* p = dims) NativeMethods.Check(NativeMethods.thx_flip(Handle, p, dims.Length, &r));
        return new Tensor(r);
    }

    public unsafe Tensor Roll(long[] shifts, long[] dims)
    {
        nint r;
        fixed (long* s = shifts)
        fixed (long* d = dims)
            NativeMethods.Check(NativeMethods.thx_roll(Handle, s, shifts.Length, d, dims.Length, &r));
        return new Tensor(r);
    }

    public unsafe Tensor Tril(long diagonal = 0)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_tri(0, Handle, diagonal, &r));
        return new Tensor(r);
    }

    public unsafe Tensor Triu(long diagonal = 0)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_tri(1, Handle, diagonal, &r));
        return new Tensor(r);
    }

    /// <summary>Indices of non-zero elements, [n, ndim] int64.</summary>
    public unsafe Tensor Nonzero()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_nonzero(Handle, &r));
        return new Tensor(r);
    }

    public unsafe Tensor MoveDim(long source, long destination)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_movedim(Handle, source, destination, &r));
        return new Tensor(r);
    }

    /// <summary>Splits into pieces of <paramref name="size"/> along <paramref name="dim"/> (views).</summary>
    public unsafe Tensor[] Split(long size, long dim = 0)
    {
        if (size <= 0) throw new TorchException("split", $"split size must be positive, got {size}");
        var n = (int)((Size((int)dim) + size - 1) / size);
        return ListCall(Math.Max(n, 1), (p, cap, c) => NativeMethods.thx_split(Handle, size, null, 0, dim, p, cap, c));
    }

    /// <summary>Splits into pieces of the given sizes along <paramref name="dim"/> (views).</summary>
    public unsafe Tensor[] Split(long[] sizes, long dim = 0)
    {
        fixed (long* s = sizes)
        {
            var sp = s;
            return ListCall(sizes.Length, (p, cap, c) => NativeMethods.thx_split(Handle, 0, sp, sizes.Length, dim, p, cap, c));
        }
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces (views); may return fewer.</summary>
    public unsafe Tensor[] Chunk(long chunks, long dim = 0) =>
        ListCall((int)chunks, (p, cap, c) => NativeMethods.thx_chunk(Handle, chunks, dim, p, cap, c));

    /// <summary>Removes <paramref name="dim"/>, returning each slice (views).</summary>
    public unsafe Tensor[] Unbind(long dim = 0) =>
        ListCall((int)Size((int)dim), (p, cap, c) => NativeMethods.thx_unbind(Handle, dim, p, cap, c));

    internal unsafe delegate int ListFn(nint* outp, int cap, int* count);

    internal static unsafe Tensor[] ListCall(int capacity, ListFn fn, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var buf = new nint[Math.Max(capacity, 1)];
        int count;
        fixed (nint* p = buf) NativeMethods.Check(fn(p, buf.Length, &count), name);
        var r = new Tensor[count];
        for (var i = 0; i < count; i++) r[i] = new Tensor(buf[i]);
        return r;
    }
}
