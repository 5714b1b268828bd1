using Thorax.Nn;
using F = Thorax.Functional;

namespace Thorax.Models.Segmentation;

/// <summary>
/// U-Net (Ronneberger et al. 2015) as used by CXLSeg and ConTEXTual Net's vision branch: a <see cref="DoubleConv"/>
/// per level, max-pool down-sampling, 2x2 stride-2 transposed-convolution up-sampling, skip concatenation
/// (skip first, decoder padded to the skip's size), and a 1x1 output convolution producing logits.
/// </summary>
/// <remarks>
/// Input: (N, <see cref="InChannels"/>, H, W) float32. Output: (N, classes, H, W) logits (apply a sigmoid for
/// probabilities). H and W need not be multiples of 2^depth. State-dict keys: <c>inc.*</c>, <c>down{i}.maxpool_conv.1.*</c>,
/// <c>up{i}.up.*</c>, <c>up{i}.conv.*</c>, <c>outc.conv.*</c> (the naming of the widely used PyTorch U-Net).
/// </remarks>
public sealed class UNet : Module<Tensor, Tensor>
{
    private readonly DoubleConv _inc;
    private readonly List<Sequential> _downs = new();
    private readonly List<(ConvTranspose2d Up, DoubleConv Conv)> _ups = new();
    private readonly Conv2d _out;

    /// <param name="inChannels">1 for grey X-rays, 3 for RGB-replicated input.</param>
    /// <param name="classes">Output channels (1 for a binary mask).</param>
    /// <param name="widths">Channels per level, top to bottom; the last entry is the bottleneck. CXLSeg: 64..1024.</param>
    /// <param name="dropout">Dropout inside every block (0 disables).</param>
    public UNet(long inChannels = 1, long classes = 1, long[]? widths = null, double dropout = 0)
    {
        widths ??= new long[] { 64, 128, 256, 512, 1024 };
        if (widths.Length < 2) throw new ArgumentException("a U-Net needs at least two levels (widths.Length >= 2)", nameof(widths));
        if (inChannels < 1 || classes < 1 || widths.Any(w => w < 1)) throw new ArgumentException("channel counts must be positive");
        InChannels = inChannels;
        Widths = (long[])widths.Clone();
        _inc = RegisterModule("inc", new DoubleConv(inChannels, widths[0], dropout));
        for (var i = 1; i < widths.Length; i++)
        {
            var down = new Sequential(("0", new MaxPool2d(2)), ("1", new DoubleConv(widths[i - 1], widths[i], dropout)));
            var holder = RegisterModule($"down{i}", new DownBlock(down));
            _downs.Add(down);
            _ = holder;
        }
        for (int i = widths.Length - 1, k = 1; i >= 1; i--, k++)
        {
            var block = RegisterModule($"up{k}", new UpBlock(widths[i], widths[i - 1], dropout));
            _ups.Add((block.Up, block.Conv));
        }
        _out = RegisterModule("outc", new OutConv(widths[0], classes)).Conv;
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Channels per level, top to bottom (last = bottleneck).</summary>
    public IReadOnlyList<long> Widths { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != InChannels)
            throw new TorchException("UNet", $"expected input (N, {InChannels}, H, W), got {input.ShapeString}");
        var skips = new List<Tensor> { _inc.Forward(input) };
        foreach (var d in _downs) skips.Add(d.Forward(skips[^1]));
        var x = skips[^1];
        for (var i = 0; i < _ups.Count; i++)
        {
            var skip = skips[skips.Count - 2 - i];
            var up = _ups[i].Up.Forward(x);
            var dy = skip.Size(2) - up.Size(2);
            var dx = skip.Size(3) - up.Size(3);
            if (dy != 0 || dx != 0) up = F.Pad(up, new[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 });
            x = _ups[i].Conv.Forward(Torch.Cat(new[] { skip, up }, 1));
        }
        return _out.Forward(x);
    }

    private sealed class DownBlock : Module<Tensor, Tensor>
    {
        private readonly Sequential _seq;

        public DownBlock(Sequential seq) => _seq = RegisterModule("maxpool_conv", seq);

        protected override Tensor ForwardCore(Tensor input) => _seq.Forward(input);
    }

    private sealed class UpBlock : Module<Tensor, Tensor>
    {
        public UpBlock(long inChannels, long outChannels, double dropout)
        {
            Up = RegisterModule("up", new ConvTranspose2d(inChannels, outChannels, 2, stride: 2));
            Conv = RegisterModule("conv", new DoubleConv(2 * outChannels, outChannels, dropout));
        }

        public ConvTranspose2d Up { get; }

        public DoubleConv Conv { get; }

        protected override Tensor ForwardCore(Tensor input) => throw new InvalidOperationException("UpBlock is driven by UNet");
    }

    private sealed class OutConv : Module<Tensor, Tensor>
    {
        public OutConv(long inChannels, long classes) => Conv = RegisterModule("conv", new Conv2d(inChannels, classes, 1));

        public Conv2d Conv { get; }

        protected override Tensor ForwardCore(Tensor input) => Conv.Forward(input);
    }
}
