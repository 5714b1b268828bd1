using System.Globalization;
using Thorax.Nn;
using F = Thorax.Functional;

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
public sealed class AttentionUNet : Module<Tensor, Tensor>
{
    private readonly List<ConvBlock> _encoders = new();
    private readonly List<(UpConv Up, AttentionGate Gate, ConvBlock Conv)> _decoders = new();
    private readonly Conv2d _out;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">1 for grey X-rays, 3 for RGB-replicated input.</param>
    /// <param name="classes">Output channels (1 for a binary mask).</param>
    /// <param name="widths">Channels per level, top to bottom; the last entry is the bottleneck. Default 64, 128, 256, 512, 1024.</param>
    /// <exception cref="ArgumentException">Fewer than two levels or a non-positive channel count.</exception>
    public AttentionUNet(long inChannels = 3, long classes = 1, long[]? widths = null)
    {
        widths ??= new long[] { 64, 128, 256, 512, 1024 };
        if (widths.Length < 2) throw new ArgumentException("an Attention U-Net needs at least two levels (widths.Length >= 2)", nameof(widths));
        if (inChannels < 1 || classes < 1 || widths.Any(w => w < 1)) throw new ArgumentException("channel counts must be positive");
        InChannels = inChannels;
        Widths = (long[])widths.Clone();
        var levels = widths.Length;
        for (var i = 0; i < levels; i++)
            _encoders.Add(RegisterModule($"Conv{i + 1}", new ConvBlock(i == 0 ? inChannels : widths[i - 1], widths[i])));
        for (var k = levels; k >= 2; k--)
        {
            long hi = widths[k - 1], lo = widths[k - 2];
            var up = RegisterModule($"Up{k}", new UpConv(hi, lo));
            var gate = RegisterModule($"Att{k}", new AttentionGate(lo, lo, Math.Max(lo / 2, 1)));
            var conv = RegisterModule($"Up_conv{k}", new ConvBlock(2 * lo, lo));
            _decoders.Add((up, gate, conv));
        }
        _out = RegisterModule("Conv_1x1", new Conv2d(widths[0], classes, 1));
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Channels per level, top to bottom (last = bottleneck).</summary>
    public IReadOnlyList<long> Widths { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != InChannels)
            throw new TorchException("AttentionUNet", $"expected input (N, {InChannels}, H, W), got {input.ShapeString}");
        var skips = new List<Tensor>(_encoders.Count);
        try
        {
            skips.Add(_encoders[0].Forward(input));
            for (var i = 1; i < _encoders.Count; i++)
            {
                using var pooled = F.MaxPool2d(skips[^1], 2);
                skips.Add(_encoders[i].Forward(pooled));
            }
            var d = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            for (var k = 0; k < _decoders.Count; k++)
            {
                var skip = skips[^(k + 1)];
                var (up, gate, conv) = _decoders[k];
                using var u = up.Forward(d, skip.Size(2), skip.Size(3));
                d.Dispose();
                using var gated = gate.Forward((u, skip));
                using var cat = Torch.Cat(new[] { gated, u }, 1);
                d = conv.Forward(cat);
            }
            using (d)
                return _out.Forward(d);
        }
        finally
        {
            foreach (var s in skips) s.Dispose();
        }
    }

    /// <summary>[Conv3x3 (bias) → BN → ReLU] x 2 under <c>conv</c> (LeeJunHyun's <c>conv_block</c>).</summary>
    private sealed class ConvBlock : Module<Tensor, Tensor>
    {
        private readonly Sequential _conv;

        public ConvBlock(long cin, long cout) =>
            _conv = RegisterModule("conv", new Sequential(
                new Conv2d(cin, cout, 3, padding: 1), new BatchNorm2d(cout), new Relu(),
                new Conv2d(cout, cout, 3, padding: 1), new BatchNorm2d(cout), new Relu()));

        protected override Tensor ForwardCore(Tensor input) => _conv.Forward(input);
    }

    /// <summary>
    /// Nearest up-sampling → Conv3x3 → BN → ReLU under <c>up</c>; index 0 (the parameter-free <c>Upsample</c> of the
    /// reference) is done functionally so the target size can follow the skip.
    /// </summary>
    private sealed class UpConv : Module<Tensor, Tensor>
    {
        private readonly Sequential _up;

        public UpConv(long cin, long cout)
        {
            static string Key(int i) => i.ToString(CultureInfo.InvariantCulture);
            _up = RegisterModule("up", new Sequential((Key(1), new Conv2d(cin, cout, 3, padding: 1)), (Key(2), new BatchNorm2d(cout)), (Key(3), new Relu())));
        }

        public Tensor Forward(Tensor input, long height, long width)
        {
            using var resized = F.Interpolate(input, size: new[] { height, width }, mode: InterpolationMode.Nearest);
            return _up.Forward(resized);
        }

        protected override Tensor ForwardCore(Tensor input) => Forward(input, 2 * input.Size(2), 2 * input.Size(3));
    }
}
