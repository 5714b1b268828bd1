using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using Thorax.Models.Inference;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Models.Segmentation;

/// <summary>
/// Attention U-Net (Oktay et al. 2018): a U-Net whose skip connections pass through <see cref="AttentionGate"/>s driven
/// by the up-sampled decoder features, so irrelevant regions of the skip are suppressed before concatenation.
/// </summary>
/// <remarks>
/// <para>
/// Structure and names follow the widely used PyTorch code (LeeJunHyun/Image_Segmentation <c>AttU_Net</c>), so its
/// checkpoints load by name: encoder blocks <c>Conv1</c>..<c>Conv{L}</c> ([Conv3x3 (bias) → BN → ReLU] x 2, keys
/// <c>Conv1.conv.{0,1,3,4}.*</c>) separated by 2x2 max-pools; for k = L..2 an up-convolution <c>Up{k}</c> (nearest
/// x2 up-sampling → Conv3x3 → BN → ReLU, keys <c>Up{k}.up.{1,2}.*</c>), a gate <c>Att{k}</c> on the skip of
/// <c>Conv{k-1}</c> with F_int = width/2, concatenation [gated skip, up-sampled] and a block <c>Up_conv{k}</c>;
/// finally the 1x1 <c>Conv_1x1</c> gives the logits.
/// </para>
/// <para>
/// Input (N, <see cref="InChannels"/>, H, W) float32; output (N, classes, H, W) logits. H and W need not be multiples
/// of 2^(L−1): the nearest up-sampling goes to the skip's size (for even sizes this equals the reference's
/// <c>Upsample(scale_factor=2)</c>). Reference size (64..1024, 3-channel input, 1 class): 34,878,573 parameters.
/// </para>
/// </remarks>
public sealed class AttentionUNet : nn.Module<Tensor, Tensor>
{
    private readonly List<ConvBlock> _encoders = new();
    private readonly List<(UpConv Up, AttentionGate Gate, ConvBlock Conv)> _decoders = new();
    private readonly Conv2d _out;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">1 for grey X-rays, 3 for RGB-replicated input.</param>
    /// <param name="classes">Output channels (1 for a binary mask).</param>
    /// <param name="widths">Channels per level, top to bottom; the last entry is the bottleneck. Default 64, 128, 256, 512, 1024.</param>
    /// <exception cref="ArgumentException">Fewer than two levels or a non-positive channel count.</exception>
    public AttentionUNet(long inChannels = 3, long classes = 1, long[]? widths = null) : base(nameof(AttentionUNet))
    {
        widths ??= new long[] { 64, 128, 256, 512, 1024 };
        if (widths.Length < 2) throw new ArgumentException("an Attention U-Net needs at least two levels (widths.Length >= 2)", nameof(widths));
        if (inChannels < 1 || classes < 1 || widths.Any(w => w < 1)) throw new ArgumentException("channel counts must be positive");
        InChannels = inChannels;
        Widths = (long[])widths.Clone();
        var levels = widths.Length;
        for (var i = 0; i < levels; i++)
        {
            var block = new ConvBlock(i == 0 ? inChannels : widths[i - 1], widths[i]);
            register_module($"Conv{i + 1}", block);
            _encoders.Add(block);
        }
        for (var k = levels; k >= 2; k--)
        {
            long hi = widths[k - 1], lo = widths[k - 2];
            var up = new UpConv(hi, lo);
            var gate = new AttentionGate(lo, lo, Math.Max(lo / 2, 1));
            var conv = new ConvBlock(2 * lo, lo);
            register_module($"Up{k}", up);
            register_module($"Att{k}", gate);
            register_module($"Up_conv{k}", conv);
            _decoders.Add((up, gate, conv));
        }
        _out = nn.Conv2d(widths[0], classes, 1);
        register_module("Conv_1x1", _out);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Channels per level, top to bottom (last = bottleneck).</summary>
    public IReadOnlyList<long> Widths { get; }

    /// <summary>Segments a batch.</summary>
    /// <param name="input">(N, <see cref="InChannels"/>, H, W) float32.</param>
    /// <returns>(N, classes, H, W) logits, owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not (N, <see cref="InChannels"/>, H, W).</exception>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != InChannels)
            throw new ArgumentException($"AttentionUNet: expected input (N, {InChannels}, H, W), got {ShapeText.Of(input)}", nameof(input));
        var skips = new List<Tensor>(_encoders.Count);
        try
        {
            skips.Add(_encoders[0].call(input));
            for (var i = 1; i < _encoders.Count; i++)
            {
                using var pooled = F.max_pool2d(skips[^1], 2);
                skips.Add(_encoders[i].call(pooled));
            }
            var d = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            for (var k = 0; k < _decoders.Count; k++)
            {
                var skip = skips[^(k + 1)];
                var (up, gate, conv) = _decoders[k];
                using var u = up.Forward(d, skip.shape[2], skip.shape[3]);
                d.Dispose();
                using var gated = gate.call(u, skip);
                using var cat = torch.cat(new[] { gated, u }, 1);
                d = conv.call(cat);
            }
            using (d) return _out.call(d);
        }
        finally
        {
            foreach (var s in skips) s.Dispose();
        }
    }

    /// <summary>Sets training or evaluation mode.</summary>
    /// <exception cref="InvalidOperationException">Training mode was asked for after <see cref="ModuleFusion.FuseForInference{T}"/>.</exception>
    public override void train(bool on = true)
    {
        FusedTraining.ThrowIfFused(this, on);
        base.train(on);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; TorchSharp's field reflection is not used.</summary>
    protected override void RegisterComponents() { }

    /// <summary>[Conv3x3 (bias) → BN → ReLU] x 2 under <c>conv</c> (LeeJunHyun's <c>conv_block</c>).</summary>
    private sealed class ConvBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential _conv;

        public ConvBlock(long cin, long cout) : base(nameof(ConvBlock))
        {
            _conv = nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding: 1), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding: 1), nn.BatchNorm2d(cout), nn.ReLU());
            register_module("conv", _conv);
        }

        public override Tensor forward(Tensor input) => _conv.call(input);

        protected override void RegisterComponents() { }
    }

    /// <summary>
    /// Nearest up-sampling → Conv3x3 → BN → ReLU under <c>up</c>; index 0 (the parameter-free <c>Upsample</c> of the
    /// reference) is done functionally so the target size can follow the skip.
    /// </summary>
    private sealed class UpConv : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential _up;

        public UpConv(long cin, long cout) : base(nameof(UpConv))
        {
            _up = nn.Sequential(("1", nn.Conv2d(cin, cout, 3, padding: 1)), ("2", nn.BatchNorm2d(cout)), ("3", nn.ReLU()));
            register_module("up", _up);
        }

        public Tensor Forward(Tensor input, long height, long width)
        {
            using var resized = F.interpolate(input, size: new[] { height, width }, mode: InterpolationMode.Nearest);
            return _up.call(resized);
        }

        public override Tensor forward(Tensor input) => Forward(input, 2 * input.shape[2], 2 * input.shape[3]);

        protected override void RegisterComponents() { }
    }
}
