using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Inference;

/// <summary>
/// Batch-norm folding for inference over a whole TorchSharp module tree (<see cref="FuseForInference{T}"/>).
/// </summary>
/// <remarks>
/// PyTorch: <c>torch.nn.utils.fusion.fuse_conv_bn_eval</c> per pair, <c>torch.ao.quantization.fuse_modules</c> /
/// <c>torch.fx.experimental.optimization.fuse</c> for whole models.
/// </remarks>
public static class ModuleFusion
{
    private static readonly ConditionalWeakTable<nn.Module, object> Fused = new();

    // TorchSharp's Sequential keeps its children in a private list and has no API to replace one (register_module
    // with an existing name throws, and Sequential does not read the registered-module table at all).
    private static readonly FieldInfo? SequentialModules =
        typeof(Sequential).GetField("_modules", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>
    /// Prepares <paramref name="module"/> for fast inference, in place: switches it and every descendant to evaluation
    /// mode and folds every batch normalisation that follows a convolution into that convolution's weight and bias, so
    /// the batch norm's pass over the activations disappears.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Folded pairs: a convolution (<c>Conv1d</c>/<c>Conv2d</c>/<c>Conv3d</c> or a transposed one) followed by the batch
    /// norm of the same spatial rank (<c>BatchNorm1d</c>/<c>2d</c>/<c>3d</c>) with as many features as the convolution
    /// has output channels (the convolution may be the output of a wrapper module, <see cref="IConvolutionOutput"/>),
    /// either directly or with modules in between that are identities in evaluation mode
    /// (<see cref="IsIdentityInEval"/>: <c>Identity</c>, the dropout layers, <c>DropBlock2d</c>). A
    /// <c>Sequential</c>'s pairs are found among its children; modules that call their layers by hand fold their own
    /// pairs by implementing <see cref="IFoldsBatchNorms"/>. A batch norm without running statistics
    /// (<c>track_running_stats=false</c>, which normalises with batch statistics even in evaluation mode) or of another
    /// dtype or device is left as it is. With s = γ / √(running_var + ε) per output channel the convolution becomes
    /// W' = W·s and b' = (b − running_mean)·s + β (PyTorch's <c>fuse_conv_bn_weights</c> arithmetic, in the parameters'
    /// dtype); a convolution without bias gains one. Outputs equal the unfused evaluation-mode outputs up to float rounding.
    /// </para>
    /// <para>
    /// Folding is one-way. Each folded batch norm is replaced by an <c>Identity</c> under the same name and disposed,
    /// so <c>state_dict()</c> afterwards lacks its keys and convolutions that had no bias now have a <c>bias</c> key:
    /// save checkpoints from the unfused model and load weights before fusing. Every module of the tree is marked
    /// (<see cref="IsFusedForInference"/>); Thorax's segmentation networks refuse <c>train(true)</c> once fused
    /// (TorchSharp's own layers cannot refuse it, so do not train a fused tree).
    /// </para>
    /// <para>Calling it again is a no-op. Folded parameters are new tensors: create optimisers, if any, afterwards.</para>
    /// </remarks>
    /// <param name="module">The root of the tree; fused in place.</param>
    /// <returns><paramref name="module"/>, for chaining.</returns>
    /// <exception cref="NotSupportedException">TorchSharp's <c>Sequential</c> no longer has the private layout this version relies on.</exception>
    public static T FuseForInference<T>(this T module) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        module.eval();
        using (torch.no_grad()) Visit(module);
        Mark(module);
        foreach (var (_, m) in module.named_modules()) Mark(m);
        return module;
    }

    /// <summary>True once <see cref="FuseForInference{T}"/> ran on <paramref name="module"/> or on a module above it.</summary>
    public static bool IsFusedForInference(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Fused.TryGetValue(module, out _);
    }

    /// <summary>
    /// Whether <paramref name="module"/> returns its input unchanged in evaluation mode, so a convolution and a batch
    /// norm with it in between still pair up: <c>Identity</c>, <c>Dropout</c>, <c>Dropout1d/2d/3d</c>,
    /// <c>AlphaDropout</c>, <c>FeatureAlphaDropout</c> and Thorax's <c>DropBlock2d</c>.
    /// </summary>
    public static bool IsIdentityInEval(nn.Module module) =>
        module is Identity or Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout
            or Segmentation.DropBlock2d;

    /// <summary>
    /// Folds the evaluation-mode batch norm <paramref name="bn"/> into <paramref name="conv"/> (its <c>weight</c> and
    /// <c>bias</c> are replaced by new parameters that keep the weight's requires-grad flag) when they can be folded:
    /// same spatial rank, the batch norm keeps running statistics, its feature count equals the convolution's output
    /// channels, and dtype and device agree. Groups of transposed convolutions are handled.
    /// </summary>
    /// <returns>False, changing nothing, when the pair cannot be folded.</returns>
    public static bool TryFold(Convolution conv, BatchNorm bn)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        if (!CanFold(conv, bn)) return false;
        var requiresGrad = conv.weight.requires_grad;
        using (torch.no_grad())
        {
            var (w, b) = FoldedWeights(conv, bn);
            conv.weight = new Parameter(w, requiresGrad);
            conv.bias = new Parameter(b, requiresGrad);
        }
        return true;
    }

    /// <summary>
    /// Replaces the direct child <paramref name="name"/> of <paramref name="parent"/> by <paramref name="replacement"/>,
    /// keeping the order of the children (so <c>state_dict()</c> keys keep their order) and giving the replacement the
    /// parent's training mode. The replaced module is not disposed.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="parent"/> has no child <paramref name="name"/>.</exception>
    /// <exception cref="NotSupportedException">
    /// <paramref name="parent"/> is a <c>ModuleList</c> or <c>ModuleDict</c> (replace through its indexer instead), or
    /// TorchSharp's <c>Sequential</c> no longer has the private layout this version relies on.
    /// </exception>
    public static void ReplaceChild(nn.Module parent, string name, nn.Module replacement)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(replacement);
        replacement.train(parent.training);
        var children = parent.named_children().ToList();
        var index = children.FindIndex(c => c.name == name);
        if (index < 0)
            throw new ArgumentException($"{parent.GetType().Name} has no child '{name}' (children: {string.Join(", ", children.Select(c => c.name))})", nameof(name));
        if (parent is Sequential seq)
        {
            if (replacement is not nn.Module<Tensor, Tensor> typed)
                throw new ArgumentException($"a Sequential child must be a Module<Tensor, Tensor>, got {replacement.GetType().Name}", nameof(replacement));
            if (SequentialModules?.GetValue(seq) is not List<nn.IModule<Tensor, Tensor>> list || list.Count != children.Count)
                throw new NotSupportedException("this TorchSharp version's Sequential keeps its children differently; ModuleFusion needs updating");
            list[index] = typed;
            return;
        }
        if (parent.GetType() is { IsGenericType: true } t
            && (t.GetGenericTypeDefinition() == typeof(ModuleList<>) || t.GetGenericTypeDefinition() == typeof(ModuleDict<>)))
            throw new NotSupportedException($"{t.Name} children are replaced through its indexer, not by ModuleFusion.ReplaceChild");
        // register_module refuses an existing name; a null module removes one. Remove this child and every later one,
        // then register them again in order.
        for (var k = index; k < children.Count; k++) parent.register_module(children[k].name, null!);
        for (var k = index; k < children.Count; k++) parent.register_module(children[k].name, k == index ? replacement : children[k].module);
    }

    /// <summary>
    /// For an <see cref="IFoldsBatchNorms"/> module that calls its layers by hand: folds its child batch norm
    /// <paramref name="bn"/> (registered as <paramref name="name"/>) into <paramref name="conv"/> when the pair can be
    /// folded (<see cref="TryFold"/>), puts an <c>Identity</c> in its place, disposes it and sets the field to null, so
    /// the forward pass (through <see cref="Norm{T}"/>) skips it.
    /// </summary>
    /// <returns>True when the pair was folded.</returns>
    public static bool FoldChild<T>(nn.Module owner, Convolution conv, string name, ref T? bn) where T : BatchNorm
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (bn is null || !TryFold(conv, bn)) return false;
        ReplaceChild(owner, name, nn.Identity());
        bn.Dispose();
        bn = null;
        return true;
    }

    /// <summary><paramref name="bn"/>(<paramref name="x"/>), or <paramref name="x"/> once the batch norm was folded away (null).</summary>
    public static Tensor Norm<T>(T? bn, Tensor x) where T : BatchNorm => bn is null ? x : bn.call(x);

    private static void Mark(nn.Module m) => Fused.AddOrUpdate(m, Fused);

    private static void Visit(nn.Module module)
    {
        if (module.IsFusedForInference()) return;
        if (module is Sequential seq) FoldSequential(seq);
        if (module is IFoldsBatchNorms own) own.FoldBatchNorms();
        foreach (var (_, child) in module.named_children().ToList()) Visit(child);
    }

    private static void FoldSequential(Sequential seq)
    {
        var children = seq.named_children().ToList();
        for (var i = 0; i < children.Count; i++)
        {
            var conv = children[i].module switch
            {
                Convolution c => c,
                IConvolutionOutput wrapper => wrapper.OutputConvolution,
                _ => null,
            };
            if (conv is null) continue;
            var j = i + 1;
            while (j < children.Count && IsIdentityInEval(children[j].module)) j++;
            if (j >= children.Count || children[j].module is not BatchNorm bn || !TryFold(conv, bn)) continue;
            ReplaceChild(seq, children[j].name, nn.Identity());
            bn.Dispose();
            i = j;
        }
    }

    private static bool CanFold(Convolution conv, BatchNorm bn)
    {
        var rank = bn switch { BatchNorm1d => 1, BatchNorm2d => 2, BatchNorm3d => 3, _ => 0 };
        return rank == conv.kernel_size.Length && bn.running_mean is { } mean && bn.running_var is not null
               && bn.num_features == conv.out_channels && mean.dtype == conv.weight.dtype
               && mean.device_type == conv.weight.device_type && mean.device_index == conv.weight.device_index;
    }

    /// <summary>W' = W·s along the output-channel axis and b' = (b − μ)·s·γ + β with s = 1/√(σ² + ε).</summary>
    private static (Tensor Weight, Tensor Bias) FoldedWeights(Convolution conv, BatchNorm bn)
    {
        using var scope = torch.NewDisposeScope();
        var weight = conv.weight;
        var rsqrt = (bn.running_var! + bn.eps).rsqrt();
        var scale = bn.affine ? bn.weight * rsqrt : rsqrt;
        var rank = weight.dim();
        Tensor w;
        if (!conv.transposed)
        {
            var shape = Enumerable.Repeat(1L, (int)rank).ToArray();
            shape[0] = -1;
            w = weight * scale.reshape(shape);
        }
        else
        {
            // (C_in, C_out/g, k...) viewed as (g, C_in/g, C_out/g, k...) so each group scales its own output channels.
            var groups = conv.groups;
            var grouped = new long[rank + 1];
            grouped[0] = groups;
            grouped[1] = weight.shape[0] / groups;
            grouped[2] = weight.shape[1];
            for (var i = 2; i < rank; i++) grouped[i + 1] = weight.shape[i];
            var sShape = Enumerable.Repeat(1L, (int)rank + 1).ToArray();
            sShape[0] = groups;
            sShape[2] = weight.shape[1];
            w = (weight.reshape(grouped) * scale.reshape(sShape)).reshape(weight.shape);
        }
        var centred = conv.bias is { } b ? b - bn.running_mean! : -bn.running_mean!;
        var normed = centred * rsqrt;
        if (bn.affine) normed = normed * bn.weight + bn.bias!;
        return scope.MoveToOuter(w.detach(), normed.detach());
    }
}
