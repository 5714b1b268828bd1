using System.Text;
using Thorax.Native;

namespace Thorax;

public sealed partial class Tensor
{
    /// <summary>Whether autograd records operations on this tensor. Settable on leaf tensors.</summary>
    public unsafe bool RequiresGrad
    {
        get { int r; NativeMethods.Check(NativeMethods.thx_requires_grad(Handle, &r), "requires_grad"); return r != 0; }
        set => NativeMethods.Check(NativeMethods.thx_set_requires_grad(Handle, value ? 1 : 0), "requires_grad_");
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor.</summary>
    public Tensor RequiresGrad_(bool on = true)
    {
        RequiresGrad = on;
        return this;
    }

    /// <summary>True for tensors created by the user (not the result of a recorded operation).</summary>
    public unsafe bool IsLeaf
    {
        get { int r; NativeMethods.Check(NativeMethods.thx_is_leaf(Handle, &r), "is_leaf"); return r != 0; }
    }

    /// <summary>
    /// The accumulated gradient, or null. Each read returns a new handle to the same storage: dispose it (or let a
    /// scope do so) when done; the gradient itself lives on with the parameter.
    /// </summary>
    public unsafe Tensor? Grad
    {
        get
        {
            nint r;
            NativeMethods.Check(NativeMethods.thx_grad(Handle, &r), "grad");
            return r == 0 ? null : new Tensor(r);
        }
        set => NativeMethods.Check(NativeMethods.thx_set_grad(Handle, H(value)), "grad");
    }

    /// <summary>Zeroes the gradient in place, or drops it when <paramref name="setToNone"/> (PyTorch's default since 2.0).</summary>
    public void ZeroGrad(bool setToNone = true) => NativeMethods.Check(NativeMethods.thx_zero_grad(Handle, setToNone ? 1 : 0), "zero_grad");

    /// <summary>Keeps <see cref="Grad"/> for this non-leaf tensor after backward (for Grad-CAM activations).</summary>
    public Tensor RetainGrad()
    {
        NativeMethods.Check(NativeMethods.thx_retain_grad(Handle), "retain_grad");
        return this;
    }

    /// <summary>
    /// Back-propagates from this tensor. <paramref name="gradient"/> is required unless the tensor has one element.
    /// </summary>
    /// <param name="gradient">d(output)/d(this), same shape as this tensor.</param>
    /// <param name="retainGraph">Keep the graph for another backward (default: same as <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the backward pass itself, for higher-order gradients.</param>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false) =>
        NativeMethods.Check(NativeMethods.thx_backward(Handle, H(gradient), retainGraph.HasValue ? (retainGraph.Value ? 1 : 0) : -1, createGraph ? 1 : 0), "backward");

    /// <summary>A tensor sharing storage, cut from the graph.</summary>
    public unsafe Tensor Detach()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_detach(Handle, &r), "detach");
        return new Tensor(r);
    }

    /// <summary>Detaches in place.</summary>
    public Tensor Detach_()
    {
        NativeMethods.Check(NativeMethods.thx_detach_(Handle), "detach_");
        return this;
    }

    /// <summary>Name of the autograd node that produced this tensor (e.g. <c>AddBackward0</c>), or empty for leaves.</summary>
    public unsafe string GradFnName
    {
        get
        {
            var buf = new byte[256];
            fixed (byte* p = buf) NativeMethods.Check(NativeMethods.thx_grad_fn_name(Handle, p, buf.Length), "grad_fn");
            var name = Encoding.UTF8.GetString(buf, 0, Array.IndexOf(buf, (byte)0));
            var ns = name.LastIndexOf("::", StringComparison.Ordinal);
            return ns >= 0 ? name[(ns + 2)..] : name; // C++ names carry torch::autograd::generated::
        }
    }

    /// <summary>A deep copy (recorded by autograd).</summary>
    public unsafe Tensor Clone()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_clone(Handle, &r), "clone");
        return new Tensor(r);
    }

    /// <summary>A second handle to the same tensor (same storage and autograd identity), owned separately.</summary>
    public unsafe Tensor Alias()
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_tensor_shallow_copy(Handle, &r), "alias");
        return new Tensor(r);
    }

    // ---- conversion ----

    /// <summary>Converts dtype (this tensor itself when nothing changes and <paramref name="copy"/> is false).</summary>
    public unsafe Tensor To(DType dtype, bool copy = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_to(Handle, (int)dtype, -1, -1, 0, copy ? 1 : 0, &r), "to");
        return new Tensor(r);
    }

    /// <summary>Moves to <paramref name="device"/>.</summary>
    public unsafe Tensor To(Device device, bool nonBlocking = false, bool copy = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_to(Handle, -1, (int)device.Type, device.Index, nonBlocking ? 1 : 0, copy ? 1 : 0, &r), "to");
        return new Tensor(r);
    }

    /// <summary>Moves to <paramref name="device"/> and converts to <paramref name="dtype"/>.</summary>
    public unsafe Tensor To(Device device, DType dtype, bool nonBlocking = false, bool copy = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_to(Handle, (int)dtype, (int)device.Type, device.Index, nonBlocking ? 1 : 0, copy ? 1 : 0, &r), "to");
        return new Tensor(r);
    }

    /// <summary>Channels-last (NHWC) memory layout for 4-d tensors, or back to contiguous.</summary>
    public unsafe Tensor ToMemoryFormat(bool channelsLast)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_to_memory_format(Handle, channelsLast ? 1 : 0, &r), "contiguous");
        return new Tensor(r);
    }

    public Tensor Float() => To(DType.Float32);
    public Tensor Double() => To(DType.Float64);
    public Tensor Long() => To(DType.Int64);
    public Tensor Int() => To(DType.Int32);
    public Tensor Bool() => To(DType.Bool);
    public Tensor Byte() => To(DType.UInt8);
    public Tensor Cpu() => To(Device.Cpu);
}
