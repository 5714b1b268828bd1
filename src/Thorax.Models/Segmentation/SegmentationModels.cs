using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Segmentation;

/// <summary>
/// Creates the lung-segmentation networks compared by CXLSeg (U-Net, U-Net++, Attention U-Net, SA-UNet) by name, for
/// the CLI and configuration files.
/// </summary>
public static class SegmentationModels
{
    /// <summary>The accepted names, in the order of the CXLSeg comparison: unet, unetpp, attention-unet, sa-unet.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(new[] { "unet", "unetpp", "attention-unet", "sa-unet" });

    /// <summary>
    /// Creates a freshly initialised network that maps (N, <paramref name="inChannels"/>, H, W) float32 images to
    /// (N, <paramref name="classes"/>, H, W) logits.
    /// </summary>
    /// <param name="name">
    /// One of <see cref="Names"/>, case-insensitive: <c>unet</c> (<see cref="UNet"/>, widths b·[1, 2, 4, 8, 16], default
    /// b = 64), <c>unetpp</c> (<see cref="UNetPlusPlus"/> with deep supervision in accurate mode, default b = 32),
    /// <c>attention-unet</c> (<see cref="AttentionUNet"/>, default b = 64), <c>sa-unet</c> (<see cref="SAUNet"/>, 3
    /// levels, DropBlock 7 with keep probability 0.9, default b = 16).
    /// </param>
    /// <param name="inChannels">Input channels (1 grey, 3 RGB).</param>
    /// <param name="classes">Output channels (1 for a lung mask).</param>
    /// <param name="baseChannels">Channels of the first level, b; null = each model's reference width (see <paramref name="name"/>).</param>
    /// <param name="batchNormMomentum">
    /// Momentum (PyTorch convention) for every BatchNorm of the network; null = the architecture's own
    /// (<see cref="DefaultBatchNormMomentum"/>).
    /// </param>
    /// <returns>The network in training mode, owned by the caller (dispose it).</returns>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones), non-positive sizes or a momentum outside [0, 1].</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, int inChannels, int classes = 1, int? baseChannels = null, double? batchNormMomentum = null)
    {
        var net = CreateWithOwnNorms(name, inChannels, classes, baseChannels, batchNormMomentum);
        if (batchNormMomentum is { } m)
            foreach (var module in net.modules())
                if (module is BatchNorm bn) bn.momentum = m;
        return net;
    }

    /// <summary>
    /// The BatchNorm momentum (PyTorch convention) each architecture is built with: SA-UNet 0.01 (its Keras reference's
    /// 0.99), the others PyTorch's 0.1.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static double DefaultBatchNormMomentum(string name) =>
        Canonical(name) == "sa-unet" ? SAUNet.KerasBatchNormMomentum : 0.1;

    private static string Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim().ToLowerInvariant();
        if (!Names.Contains(n)) throw new ArgumentException($"unknown segmentation model '{name}'; valid names: {string.Join(", ", Names)}", nameof(name));
        return n;
    }

    private static nn.Module<Tensor, Tensor> CreateWithOwnNorms(string name, int inChannels, int classes, int? baseChannels, double? batchNormMomentum)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (inChannels < 1) throw new ArgumentException($"inChannels must be positive, got {inChannels}", nameof(inChannels));
        if (classes < 1) throw new ArgumentException($"classes must be positive, got {classes}", nameof(classes));
        if (baseChannels is < 1) throw new ArgumentException($"baseChannels must be positive, got {baseChannels}", nameof(baseChannels));
        if (batchNormMomentum is < 0 or > 1 || (batchNormMomentum is { } bm && double.IsNaN(bm)))
            throw new ArgumentException($"batch-norm momentum must be in [0, 1], got {batchNormMomentum}", nameof(batchNormMomentum));
        static long[] Widths(int b) => new long[] { b, 2L * b, 4L * b, 8L * b, 16L * b };
        return name.Trim().ToLowerInvariant() switch
        {
            "unet" => new UNet(inChannels, classes, Widths(baseChannels ?? 64)),
            "unetpp" => new UNetPlusPlus(inChannels, classes, Widths(baseChannels ?? 32)),
            "attention-unet" => new AttentionUNet(inChannels, classes, Widths(baseChannels ?? 64)),
            "sa-unet" => new SAUNet(inChannels, classes, baseChannels ?? 16, batchNormMomentum: batchNormMomentum ?? SAUNet.KerasBatchNormMomentum),
            _ => throw new ArgumentException($"unknown segmentation model '{name}'; valid names: {string.Join(", ", Names)}", nameof(name)),
        };
    }
}
