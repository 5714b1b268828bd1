using Thorax.Models.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Saliency;

/// <summary>Grad-CAM maps of one batch.</summary>
/// <param name="Cam">ReLU(Σ_k α_k A_k) at the target layer's resolution [N, h, w], α_k = mean over h·w of ∂y_c/∂A_k.</param>
/// <param name="Classes">The class explained for each image (the argmax of the logits when none was asked for).</param>
/// <param name="Logits">The logits of the forward pass [N, classes] (detached).</param>
public sealed record GradCamResult(Tensor Cam, long[] Classes, Tensor Logits) : IDisposable
{
    /// <summary>
    /// The maps as the reference's <c>cam_densenet.py</c> shows them: each divided by its maximum (an all-zero map stays
    /// zero) and resized bilinearly (half-pixel centres, as <c>cv2.resize</c>) to <paramref name="height"/> x
    /// <paramref name="width"/>: [N, height, width] in [0, 1].
    /// </summary>
    public Tensor Normalized(long height, long width)
    {
        using var scope = NewDisposeScope();
        var max = Cam.amax([-2L, -1L], keepdim: true);
        var n = Cam / max.clamp_min(1e-30);
        var r = functional.interpolate(n.unsqueeze(1), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return r.squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the maps and logits.</summary>
    public void Dispose()
    {
        Cam.Dispose();
        Logits.Dispose();
    }
}

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017) on any TorchSharp classifier: the target layer's output A is captured with a
/// forward hook, the gradient of the chosen class logit y_c with respect to A is taken with <c>autograd.grad</c>, and
/// the map is ReLU(Σ_k mean_hw(∂y_c/∂A_k) · A_k). As the reference (<c>Module/cam_densenet.py</c>: DenseNet-201,
/// target <c>features.denseblock4</c>, the predicted class's logit), per image.
/// </summary>
/// <remarks>
/// The target layer must be invoked with <c>call()</c> by the model (TorchSharp runs hooks there) and its output must
/// not be modified in place afterwards (the gradient would then be that of the modified tensor). The model's
/// parameters get no gradients (<c>autograd.grad</c> is used, not <c>backward</c>); its train/eval mode is left as is.
/// </remarks>
public static class GradCam
{
    /// <summary>Grad-CAM of a module with tensor output (the logits).</summary>
    public static GradCamResult Compute(Module<Tensor, Tensor> model, Module<Tensor, Tensor> targetLayer, Tensor input, long[]? classes = null) =>
        Compute(model, static y => y, targetLayer, input, classes);

    /// <summary>Grad-CAM of a module whose output holds the logits (e.g. <see cref="GazeMtlUNet"/>: its class logits).</summary>
    /// <param name="model">The network.</param>
    /// <param name="logitsOf">Selects the class logits [N, classes] from the model's output.</param>
    /// <param name="targetLayer">A module inside <paramref name="model"/> whose output [N, K, h, w] is explained.</param>
    /// <param name="input">The batch.</param>
    /// <param name="classes">Class per image; null for each image's arg-max.</param>
    public static GradCamResult Compute<TResult>(Module<Tensor, TResult> model, Func<TResult, Tensor> logitsOf,
        Module<Tensor, Tensor> targetLayer, Tensor input, long[]? classes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(targetLayer);
        Tensor? captured = null;
        var hook = targetLayer.register_forward_hook((_, _, output) =>
        {
            captured?.Dispose();
            captured = output.alias();
            captured.DetachFromDisposeScope();
            return output;
        });
        try
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var logits = logitsOf(model.call(input));
            if (captured is null)
                throw new InvalidOperationException($"Grad-CAM: the target layer {targetLayer.GetName()} did not run in the forward pass (it must be invoked with call())");
            if (captured.dim() != 4)
                throw new InvalidOperationException($"Grad-CAM: the target layer's output is [{string.Join(", ", captured.shape)}], not [N, K, h, w]");
            var result = FromActivation(logits, captured, classes);
            scope.MoveToOuter(result.Cam);
            scope.MoveToOuter(result.Logits);
            return result;
        }
        finally
        {
            hook.remove();
            captured?.Dispose();
        }
    }

    /// <summary>
    /// Grad-CAM of a forward that returns the target activation next to the logits, for networks whose layer of
    /// interest is not invoked through <c>call()</c> (e.g. GD-ViG's classifier, whose blocks take the gaze map too).
    /// </summary>
    /// <param name="forward">Runs the network on the batch: the logits [N, classes] and the activation [N, K, h, w]
    /// to explain (part of the autograd graph of the logits).</param>
    /// <param name="input">The batch.</param>
    /// <param name="classes">Class per image; null for each image's arg-max.</param>
    public static GradCamResult Compute(Func<Tensor, (Tensor Logits, Tensor Activation)> forward, Tensor input, long[]? classes = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var (logits, activation) = forward(input);
        var result = FromActivation(logits, activation, classes);
        scope.MoveToOuter(result.Cam);
        scope.MoveToOuter(result.Logits);
        return result;
    }

    /// <summary>The map from logits and the captured activation (inside the caller's dispose scope and grad mode).</summary>
    private static GradCamResult FromActivation(Tensor logits, Tensor captured, long[]? classes)
    {
        if (captured.dim() != 4)
            throw new InvalidOperationException($"Grad-CAM: the target layer's output is [{string.Join(", ", captured.shape)}], not [N, K, h, w]");
        if (!captured.requires_grad)
            throw new InvalidOperationException("Grad-CAM: the target activation is not part of the logits' autograd graph (no gradient mode, or frozen parameters)");
        var n = logits.shape[0];
        if (classes is not null && classes.Length != n)
            throw new ArgumentException($"{classes.Length} classes given for a batch of {n}", nameof(classes));
        var chosen = classes ?? logits.argmax(1).OnCpu().data<long>().ToArray();
        foreach (var c in chosen)
            if (c < 0 || c >= logits.shape[1]) throw new ArgumentOutOfRangeException(nameof(classes), $"class {c} outside 0..{logits.shape[1] - 1}");
        var index = tensor(chosen, device: logits.device).unsqueeze(1);
        var score = logits.gather(1, index).sum();   // images are independent: the sum's gradient is per image
        var g = autograd.grad([score], [captured], retain_graph: false)[0];
        var alpha = g.mean([-2L, -1L], keepdim: true);
        var cam = functional.relu((alpha * captured).sum(1)).detach();
        return new GradCamResult(cam, chosen, logits.detach());
    }
}
