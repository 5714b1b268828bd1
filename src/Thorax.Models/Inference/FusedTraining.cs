using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Inference;

/// <summary>The refusal Thorax's networks give when asked to train after <see cref="ModuleFusion.FuseForInference{T}"/>.</summary>
internal static class FusedTraining
{
    /// <summary>Throws when <paramref name="on"/> asks for training mode and <paramref name="module"/> was fused.</summary>
    /// <exception cref="InvalidOperationException">Training a fused network.</exception>
    public static void ThrowIfFused(nn.Module module, bool on)
    {
        if (on && module.IsFusedForInference())
            throw new InvalidOperationException(
                $"{module.GetType().Name} was fused for inference (FuseForInference folded its batch norms into the convolutions) and cannot be trained; " +
                "create a fresh model and load the unfused weights to train");
    }
}
