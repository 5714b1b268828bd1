using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using Thorax.Models.Inference;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

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
public sealed class UNet : nn.Module<Tensor, Tensor>
{
    private readonly DoubleConv _inc;
    private readonly List<DownBlock> _downs = new();
    private readonly List<UpBlock> _ups = new();
    private readonly OutConv _out;

    /// <param name="inChannels">1 for grey X-rays, 3 for RGB-replicated input.</param>
    /// <param name="classes">Output channels (1 for a binary mask).</param>
    /// <param name="widths">Channels per level, top to bottom; the last entry is the bottleneck. CXLSeg: 64..1024.</param>
    /// <param name="dropout">Dropout inside every block (0 disables).</param>
    /// <exception cref="ArgumentException">Fewer than two levels or a non-positive channel count.</exception>
    public UNet(long inChannels = 1, long classes = 1, long[]? widths = null, double dropout = 0) : base(nameof(UNet))
    {
        widths ??= new long[] { 64, 128, 256, 512, 1024 };
        if (widths.Length < 2) throw new ArgumentException("a U-Net needs at least two levels (widths.Length >= 2)", nameof(widths));
        if (inChannels < 1 || classes < 1 || widths.Any(w => w < 1)) throw new ArgumentException("channel counts must be positive");
        InChannels = inChannels;
        Widths = (long[])widths.Clone();
        _inc = new DoubleConv(inChannels, widths[0], dropout);
        register_module("inc", _inc);
        for (var i = 1; i < widths.Length; i++)
        {
            var down = new DownBlock(widths[i - 1], widths[i], dropout);
            register_module($"down{i}", down);
            _downs.Add(down);
        }
        for (int i = widths.Length - 1, k = 1; i >= 1; i--, k++)
        {
            var up = new UpBlock(widths[i], widths[i - 1], dropout);
            register_module($"up{k}", up);
            _ups.Add(up);
        }
        _out = new OutConv(widths[0], classes);
        register_module("outc", _out);
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
            throw new ArgumentException($"UNet: expected input (N, {InChannels}, H, W), got {ShapeText.Of(input)}", nameof(input));
        var skips = new List<Tensor>(_downs.Count + 1);
        try
        {
            skips.Add(_inc.call(input));
            foreach (var d in _downs) skips.Add(d.call(skips[^1]));
            Tensor? x = null;
            for (var i = 0; i < _ups.Count; i++)
            {
                var skip = skips[skips.Count - 2 - i];
                var next = _ups[i].Forward(x ?? skips[^1], skip);
                x?.Dispose();
                x = next;
            }
            using (x) return _out.call(x!);
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

    /// <summary>2x2 max-pool then a <see cref="DoubleConv"/>, under <c>maxpool_conv.{0,1}</c>.</summary>
    private sealed class DownBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential _seq;

        public DownBlock(long cin, long cout, double dropout) : base(nameof(DownBlock))
        {
            _seq = nn.Sequential(("0", nn.MaxPool2d(2)), ("1", new DoubleConv(cin, cout, dropout)));
            register_module("maxpool_conv", _seq);
        }

        public override Tensor forward(Tensor input) => _seq.call(input);

        protected override void RegisterComponents() { }
    }

    /// <summary>2x2 stride-2 transposed convolution <c>up</c>, zero-padded to the skip's size, then <c>conv</c> on [skip, up].</summary>
    private sealed class UpBlock : nn.Module<Tensor, Tensor>
    {
        private readonly ConvTranspose2d _up;
        private readonly DoubleConv _conv;

        public UpBlock(long inChannels, long outChannels, double dropout) : base(nameof(UpBlock))
        {
            _up = nn.ConvTranspose2d(inChannels, outChannels, 2, stride: 2);
            _conv = new DoubleConv(2 * outChannels, outChannels, dropout);
            register_module("up", _up);
            register_module("conv", _conv);
        }

        public Tensor Forward(Tensor input, Tensor skip)
        {
            using var scope = torch.NewDisposeScope();
            var up = _up.call(input);
            var dy = skip.shape[2] - up.shape[2];
            var dx = skip.shape[3] - up.shape[3];
            if (dy != 0 || dx != 0) up = F.pad(up, new[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 });
            return _conv.call(torch.cat(new[] { skip, up }, 1)).MoveToOuterDisposeScope();
        }

        public override Tensor forward(Tensor input) => throw new InvalidOperationException("UpBlock needs the skip tensor; UNet drives it");

        protected override void RegisterComponents() { }
    }

    /// <summary>The 1x1 logits convolution under <c>conv</c>.</summary>
    private sealed class OutConv : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d _conv;

        public OutConv(long inChannels, long classes) : base(nameof(OutConv))
        {
            _conv = nn.Conv2d(inChannels, classes, 1);
            register_module("conv", _conv);
        }

        public override Tensor forward(Tensor input) => _conv.call(input);

        protected override void RegisterComponents() { }
    }
}
