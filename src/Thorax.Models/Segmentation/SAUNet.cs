using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using Thorax.Models.Inference;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

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
public sealed class SAUNet : nn.Module<Tensor, Tensor>
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
                  Generator? generator = null, double batchNormMomentum = KerasBatchNormMomentum) : base(nameof(SAUNet))
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
            var enc = nn.Sequential(Unit(cin, widths[i]), Unit(widths[i], widths[i]));
            register_module($"enc{i + 1}", enc);
            _encoders.Add(enc);
        }
        _mid1 = Unit(widths[levels - 1], widths[levels]);
        _attention = new SpatialAttention(7);
        _mid2 = Unit(widths[levels], widths[levels]);
        register_module("mid1", _mid1);
        register_module("attention", _attention);
        register_module("mid2", _mid2);
        for (var i = levels; i >= 1; i--)
        {
            var up = nn.ConvTranspose2d(widths[i], widths[i - 1], 3, stride: 2, padding: 1, output_padding: 1);
            var dec = nn.Sequential(Unit(2 * widths[i - 1], widths[i - 1]), Unit(widths[i - 1], widths[i - 1]));
            register_module($"up{i}", up);
            register_module($"dec{i}", dec);
            _decoders.Add((up, dec));
        }
        _out = nn.Conv2d(widths[0], classes, 1);
        register_module("out", _out);
        ConvolutionLayout.UseChannelsLast(this);
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

    /// <summary>Segments a batch.</summary>
    /// <param name="input">(N, <see cref="InChannels"/>, H, W) float32.</param>
    /// <returns>(N, classes, H, W) logits, owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not (N, <see cref="InChannels"/>, H, W).</exception>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != InChannels)
            throw new ArgumentException($"SAUNet: expected input (N, {InChannels}, H, W), got {ShapeText.Of(input)}", nameof(input));
        using var scope = torch.NewDisposeScope();
        var skips = new List<Tensor>(Levels);
        var x = input;
        foreach (var enc in _encoders)
        {
            var s = enc.call(x);
            skips.Add(s);
            x = F.max_pool2d(s, 2);
        }
        x = _mid2.call(_attention.call(_mid1.call(x)));
        for (var k = 0; k < _decoders.Count; k++)
        {
            var skip = skips[Levels - 1 - k];
            var up = PadTo(_decoders[k].Up.call(x), skip);
            x = _decoders[k].Decoder.call(torch.cat(new[] { up, skip }, 1));
        }
        return _out.call(x).MoveToOuterDisposeScope();
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

    /// <summary>Zero-pads <paramref name="up"/> to the spatial size of <paramref name="skip"/> (the same tensor when no padding is needed).</summary>
    private static Tensor PadTo(Tensor up, Tensor skip)
    {
        var dy = skip.shape[2] - up.shape[2];
        var dx = skip.shape[3] - up.shape[3];
        if (dy == 0 && dx == 0) return up;
        return F.pad(up, new[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 });
    }

    /// <summary>
    /// Conv3x3 → DropBlock → BatchNorm (Keras eps and momentum) → ReLU. After <see cref="ModuleFusion.FuseForInference{T}"/>
    /// the batch norm is folded into the convolution (DropBlock is the identity in evaluation mode) and <c>bn</c>
    /// becomes an <c>Identity</c>.
    /// </summary>
    private sealed class ConvUnit : nn.Module<Tensor, Tensor>, IFoldsBatchNorms
    {
        private readonly Conv2d _conv;
        private readonly DropBlock2d _drop;
        private BatchNorm2d? _bn;

        public ConvUnit(long cin, long cout, int blockSize, double keepProb, Generator? generator, double momentum) : base(nameof(ConvUnit))
        {
            _conv = nn.Conv2d(cin, cout, 3, padding: 1);
            _drop = new DropBlock2d(blockSize, keepProb, generator);
            _bn = nn.BatchNorm2d(cout, eps: 1e-3, momentum: momentum);
            register_module("conv", _conv);
            register_module("dropblock", _drop);
            register_module("bn", _bn);
        }

        public void FoldBatchNorms()
        {
            if (_bn is null || !ModuleFusion.TryFold(_conv, _bn)) return;
            ModuleFusion.ReplaceChild(this, "bn", nn.Identity());
            _bn.Dispose();
            _bn = null;
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var y = _drop.call(_conv.call(input));
            if (_bn is not null) y = _bn.call(y);
            return y.relu().MoveToOuterDisposeScope();
        }

        protected override void RegisterComponents() { }
    }
}
