using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Segmentation;

/// <summary>
/// DropBlock (Ghiasi et al. 2018) as used by SA-UNet: in training mode, drops contiguous
/// <see cref="BlockSize"/> x <see cref="BlockSize"/> squares of each feature map and rescales the rest; the identity
/// (an alias of the input) in eval mode or when <see cref="KeepProb"/> is 1.
/// </summary>
/// <remarks>
/// <para>Input and output: (N, C, H, W), any floating dtype. Blocks are drawn independently per sample and channel.</para>
/// <para>
/// Algorithm (clguo/SA-UNet <c>Dropblock.py</c>, Keras): seeds are Bernoulli(γ) with
/// γ = (1 − keep_prob) / bs² · H·W / ((H − bs + 1)(W − bs + 1)), kept only in the valid region
/// bs/2 ≤ row &lt; H − bs/2, bs/2 ≤ col &lt; W − bs/2 (integer bs/2), so every block lies inside the map; the seed
/// mask is grown by a stride-1 bs x bs max-pool with TensorFlow 'same' padding; the output is
/// x · (1 − block mask) · numel / Σ(1 − block mask), the sum taken over the whole batch.
/// </para>
/// <para>
/// When the map is smaller than the block (no valid seed position) nothing is dropped. When every element is dropped
/// the output is zero (the rescale denominator is clamped to 1). Randomness comes from the <see cref="torch.Generator"/>
/// given to the constructor, or the global generator (<c>torch.manual_seed</c>) when none was given. On the CPU
/// (float32, float64) seeds are drawn by geometric skipping, one uniform per seed, and their squares stamped in managed
/// code; other devices and dtypes use one uniform per element and libtorch's pooling ops (same distribution, different
/// random stream). No PyTorch built-in; torchvision's <c>ops.DropBlock2d</c> differs (it seeds everywhere and pads blocks).
/// </para>
/// </remarks>
public sealed class DropBlock2d : nn.Module<Tensor, Tensor>
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    /// <param name="blockSize">Side of the dropped squares in pixels (SA-UNet: 7); at least 1.</param>
    /// <param name="keepProb">Target fraction of kept activations in (0, 1] (SA-UNet: 0.82 on DRIVE, 0.87 on CHASE_DB1).</param>
    /// <param name="generator">Optional seeded generator for reproducible masks; not owned (the caller disposes it after the module).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> &lt; 1 or <paramref name="keepProb"/> outside (0, 1].</exception>
    public DropBlock2d(int blockSize = 7, double keepProb = 0.9, Generator? generator = null) : base(nameof(DropBlock2d))
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be at least 1");
        if (!(keepProb > 0 && keepProb <= 1)) throw new ArgumentOutOfRangeException(nameof(keepProb), keepProb, "keep probability must be in (0, 1]");
        BlockSize = blockSize;
        KeepProb = keepProb;
        _generator = generator;
    }

    /// <summary>Side of the dropped squares, in pixels.</summary>
    public int BlockSize { get; }

    /// <summary>Target fraction of activations kept in training mode.</summary>
    public double KeepProb { get; }

    /// <summary>
    /// The seed probability γ for an <paramref name="height"/> x <paramref name="width"/> map (see the class remarks),
    /// clamped to [0, 1]; 0 when the map has no valid seed position (smaller than the block, or equal to an even block).
    /// </summary>
    /// <param name="height">Feature-map height in pixels.</param>
    /// <param name="width">Feature-map width in pixels.</param>
    public double Gamma(long height, long width)
    {
        var half = BlockSize / 2;
        if (height - 2 * half < 1 || width - 2 * half < 1) return 0; // no valid seed position
        double bs = BlockSize;
        var gamma = (1 - KeepProb) / (bs * bs) * (height * (double)width) / ((height - bs + 1) * (width - bs + 1));
        return Math.Clamp(gamma, 0, 1);
    }

    /// <summary>Applies DropBlock in training mode; returns an alias of the input in evaluation mode.</summary>
    /// <param name="input">(N, C, H, W) floating features.</param>
    /// <returns>A new tensor owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not 4-D.</exception>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4) throw new ArgumentException($"DropBlock2d: expected input (N, C, H, W), got {ShapeText.Of(input)}", nameof(input));
        var gamma = Gamma(input.shape[2], input.shape[3]);
        if (!training || gamma <= 0) return input.alias();
        using var keep = DropBlockMask.KeepMask(input, gamma, BlockSize, _generator);
        return input.mul(keep);
    }

    /// <summary>Children are registered explicitly (none here); TorchSharp's field reflection is not used.</summary>
    protected override void RegisterComponents() { }
}
