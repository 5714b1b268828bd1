using Thorax.Nn;
using F = Thorax.Functional;

namespace Thorax.Models.Segmentation;

/// <summary>
/// SA-UNet (Guo et al. 2020, "Spatial Attention U-Net for Retinal Vessel Segmentation"), the model CXLSeg chose for
/// MIMIC-CXR lung segmentation: a small U-Net whose convolutions are regularised by <see cref="DropBlock2d"/> and whose
/// bottleneck carries a <see cref="SpatialAttention"/> layer.
/// </summary>
/// <remarks>
/// <para>
/// Structure (clguo/SA-UNet <c>SA_UNet.py</c>, Keras, translated to PyTorch layers): every convolution unit is
/// Conv3x3 (bias, 'same') → DropBlock2d(<see cref="BlockSize"/>, <see cref="KeepProb"/>) → BatchNorm → ReLU, two units
/// per level; <see cref="Levels"/> max-pool levels with channels start·2^i; bottleneck unit → spatial attention (7x7)
/// → unit; decoder ConvTranspose2d 3x3 stride 2 (padding 1, output_padding 1, Keras' 'same') → concatenate
/// [up-sampled, skip] → two units; a 1x1 convolution gives the logits (SA-UNet applies a sigmoid; use
/// BCE-with-logits or a sigmoid here). BatchNorm uses Keras' eps 1e-3 and, by default, momentum 0.99 (PyTorch momentum 0.01).
/// </para>
/// <para>
/// Input (N, <see cref="InChannels"/>, H, W) float32; output (N, classes, H, W) logits. H and W need not be multiples
/// of 2^levels: the up-sampled map is zero-padded to the skip's size. State-dict keys: <c>enc{i}.{0,1}.conv.*</c>,
/// <c>enc{i}.{0,1}.bn.*</c>, <c>mid1.*</c>, <c>attention.conv.weight</c>, <c>mid2.*</c>, <c>up{i}.*</c>,
/// <c>dec{i}.{0,1}.*</c>, <c>out.*</c> (i = 1 at full resolution). Reference size (start 16, 3 levels, 3-channel input,
/// 1 class): 537,299 parameters.
/// </para>
/// </remarks>
public sealed class SAUNet : Module<Tensor, Tensor>
{
    private readonly List<Sequential> _encoders = new();
    private readonly ConvUnit _mid1;
    private readonly SpatialAttention _attention;
    private readonly ConvUnit _mid2;
    private readonly List<(ConvTranspose2d Up, Sequential Decoder)> _decoders = new();
    private readonly Conv2d _out;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">1 for grey X-rays, 3 for RGB-replicated input (CXLSeg feeds RGB).</param>
    /// <param name="classes">Output channels (1 for a lung mask).</param>
    /// <param name="startChannels">Channels of the first level (SA-UNet: 16); level i has start·2^i, the bottleneck start·2^levels.</param>
    /// <param name="levels">Number of max-pool levels (SA-UNet: 3).</param>
    /// <param name="blockSize">DropBlock square size (SA-UNet: 7).</param>
    /// <param name="keepProb">DropBlock keep probability in (0, 1] (SA-UNet: 0.82 DRIVE, 0.87 CHASE_DB1; 1 disables DropBlock).</param>
    /// <param name="generator">Optional seeded generator shared by every DropBlock (not owned).</param>
    /// <param name="batchNormMomentum">
    /// PyTorch-convention momentum of every BatchNorm (SA-UNet's Keras layers: 0.99, i.e. 0.01 here). Short training runs
    /// track the running statistics better with PyTorch's 0.1.
    /// </param>
    /// <exception cref="ArgumentException">A non-positive channel count or level count, or a momentum outside [0, 1].</exception>
    public SAUNet(long inChannels = 3, long classes = 1, long startChannels = 16, int levels = 3, int blockSize = 7, double keepProb = 0.9,
                  Generator? generator = null, double batchNormMomentum = KerasBatchNormMomentum)
    {
        if (inChannels < 1 || classes < 1 || startChannels < 1) throw new ArgumentException("channel counts must be positive");
        if (levels < 1) throw new ArgumentException("SA-UNet needs at least one pooling level", nameof(levels));
        if (batchNormMomentum is < 0 or > 1 || double.IsNaN(batchNormMomentum))
            throw new ArgumentException($"batch-norm momentum must be in [0, 1], got {batchNormMomentum}", nameof(batchNormMomentum));
        InChannels = inChannels;
        Levels = levels;
        BlockSize = blockSize;
        KeepProb = keepProb;
        var widths = new long[levels + 1];
        for (var i = 0; i <= levels; i++) widths[i] = checked(startChannels << i);
        Widths = widths;

        ConvUnit Unit(long cin, long cout) => new(cin, cout, blockSize, keepProb, generator, batchNormMomentum);
        for (var i = 0; i < levels; i++)
        {
            var cin = i == 0 ? inChannels : widths[i - 1];
            _encoders.Add(RegisterModule($"enc{i + 1}", new Sequential(Unit(cin, widths[i]), Unit(widths[i], widths[i]))));
        }
        _mid1 = RegisterModule("mid1", Unit(widths[levels - 1], widths[levels]));
        _attention = RegisterModule("attention", new SpatialAttention(7));
        _mid2 = RegisterModule("mid2", Unit(widths[levels], widths[levels]));
        for (var i = levels; i >= 1; i--)
        {
            var up = RegisterModule($"up{i}", new ConvTranspose2d(widths[i], widths[i - 1], 3, stride: 2, padding: 1, outputPadding: 1));
            var dec = RegisterModule($"dec{i}", new Sequential(Unit(2 * widths[i - 1], widths[i - 1]), Unit(widths[i - 1], widths[i - 1])));
            _decoders.Add((up, dec));
        }
        _out = RegisterModule("out", new Conv2d(widths[0], classes, 1));
    }

    /// <summary>The reference implementation's BatchNorm momentum in PyTorch's convention: Keras' 0.99 is 0.01 here.</summary>
    public const double KerasBatchNormMomentum = 0.01;

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Number of max-pool levels.</summary>
    public int Levels { get; }

    /// <summary>Channels per level, top to bottom; the last entry is the bottleneck.</summary>
    public IReadOnlyList<long> Widths { get; }

    /// <summary>DropBlock square size.</summary>
    public int BlockSize { get; }

    /// <summary>DropBlock keep probability.</summary>
    public double KeepProb { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != InChannels)
            throw new TorchException("SAUNet", $"expected input (N, {InChannels}, H, W), got {input.ShapeString}");
        var skips = new List<Tensor>(Levels);
        try
        {
            var x = input;
            foreach (var enc in _encoders)
            {
                var s = enc.Forward(x);
                skips.Add(s);
                if (!ReferenceEquals(x, input)) x.Dispose();
                x = F.MaxPool2d(s, 2);
            }
            using (var m1 = _mid1.Forward(x))
            using (var att = _attention.Forward(m1))
            {
                x.Dispose();
                x = _mid2.Forward(att);
            }
            for (var k = 0; k < _decoders.Count; k++)
            {
                var skip = skips[Levels - 1 - k];
                using var up = PadTo(_decoders[k].Up.Forward(x), skip);
                x.Dispose();
                using var cat = Torch.Cat(new[] { up, skip }, 1);
                x = _decoders[k].Decoder.Forward(cat);
            }
            using (x)
                return _out.Forward(x);
        }
        finally
        {
            foreach (var s in skips) s.Dispose();
        }
    }

    /// <summary>Zero-pads <paramref name="up"/> (disposing it when padding) to the spatial size of <paramref name="skip"/>.</summary>
    internal static Tensor PadTo(Tensor up, Tensor skip)
    {
        var dy = skip.Size(2) - up.Size(2);
        var dx = skip.Size(3) - up.Size(3);
        if (dy == 0 && dx == 0) return up;
        using (up)
            return F.Pad(up, new[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 });
    }

    /// <summary>
    /// Conv3x3 → DropBlock → BatchNorm (Keras eps and momentum) → ReLU. After <see cref="Module.FuseForInference"/> the
    /// batch norm is folded into the convolution (DropBlock is the identity in evaluation mode), <c>bn</c> becomes an
    /// identity and the ReLU runs in place when gradients are off.
    /// </summary>
    private sealed class ConvUnit : Module<Tensor, Tensor>
    {
        private readonly Conv2d _conv;
        private readonly DropBlock2d _drop;
        private BatchNorm2d? _bn;

        public ConvUnit(long cin, long cout, int blockSize, double keepProb, Generator? generator, double momentum)
        {
            _conv = RegisterModule("conv", new Conv2d(cin, cout, 3, padding: 1));
            _drop = RegisterModule("dropblock", new DropBlock2d(blockSize, keepProb, generator));
            _bn = RegisterModule("bn", new BatchNorm2d(cout, eps: 1e-3, momentum: momentum));
        }

        protected override void OnFuseForInference()
        {
            if (_bn is not null && _conv.TryFoldBatchNorm(_bn))
            {
                SetModule("bn", new Identity());
                _bn = null;
            }
        }

        protected override Tensor ForwardCore(Tensor input)
        {
            if (_bn is null && !_drop.HasHooks) return ReluConsuming(_conv.Forward(input), _conv); // fused: DropBlock is the identity
            using var c = _conv.Forward(input);
            using var d = _drop.Forward(c);
            if (_bn is null) return d.Relu();
            using var b = _bn.Forward(d);
            return b.Relu();
        }
    }
}
