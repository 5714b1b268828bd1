using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using Thorax.Models.Inference;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Models.Segmentation;

/// <summary>
/// U-Net++ (Zhou et al. 2018, "UNet++: A Nested U-Net Architecture for Medical Image Segmentation"): the encoder and
/// decoder of a U-Net are joined by nested, densely connected skip pathways. Node X^{i,j} (level i, column j) is a
/// [Conv3x3 → BN → ReLU] x 2 block applied to the concatenation [X^{i,0}, ..., X^{i,j−1}, up(X^{i+1,j−1})]; the
/// encoder column is X^{i,0} = block(pool(X^{i−1,0})). With deep supervision a 1x1 head on each X^{0,j}, j ≥ 1, gives
/// logits, and <see cref="Mode"/> chooses the average of all heads or one pruned head.
/// </summary>
/// <remarks>
/// <para>
/// Names follow the common PyTorch code (4uiiurz1/pytorch-nested-unet <c>NestedUNet</c>), so its checkpoints load by
/// name: nodes <c>conv{i}_{j}</c> with <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c> (convolutions with bias, the
/// first one producing the node's width), heads <c>final1</c>..<c>final{L−1}</c> with deep supervision or <c>final</c>
/// without. Up-sampling is bilinear with align_corners=True to the skip's size (for even sizes exactly the reference's
/// <c>Upsample(scale_factor=2)</c>), so H and W need not be multiples of 2^(L−1).
/// </para>
/// <para>
/// Input (N, <see cref="InChannels"/>, H, W) float32; output (N, classes, H, W) logits. Reference size (32..512,
/// 3-channel input, 1 class): 9,163,329 parameters without deep supervision, 9,163,428 with.
/// </para>
/// </remarks>
public sealed class UNetPlusPlus : nn.Module<Tensor, Tensor>
{
    private readonly VggBlock[][] _nodes;
    private readonly Conv2d[] _heads;
    private UNetPlusPlusMode _mode;
    private int _fastHead;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">1 for grey X-rays, 3 for RGB-replicated input.</param>
    /// <param name="classes">Output channels of every head (1 for a binary mask).</param>
    /// <param name="widths">Channels per level, top to bottom (L = widths.Length levels). Default 32, 64, 128, 256, 512.</param>
    /// <param name="deepSupervision">True: one head per top-row node (<c>final1</c>..); false: a single head <c>final</c> on X^{0,L−1}.</param>
    /// <param name="mode">Initial <see cref="Mode"/>.</param>
    /// <param name="fastHead">Initial <see cref="FastHead"/>; null = the deepest head, L − 1.</param>
    /// <exception cref="ArgumentException">Fewer than two levels, a non-positive channel count, or an invalid head.</exception>
    public UNetPlusPlus(long inChannels = 3, long classes = 1, long[]? widths = null, bool deepSupervision = true,
                        UNetPlusPlusMode mode = UNetPlusPlusMode.Accurate, int? fastHead = null) : base(nameof(UNetPlusPlus))
    {
        widths ??= new long[] { 32, 64, 128, 256, 512 };
        if (widths.Length < 2) throw new ArgumentException("a U-Net++ needs at least two levels (widths.Length >= 2)", nameof(widths));
        if (inChannels < 1 || classes < 1 || widths.Any(w => w < 1)) throw new ArgumentException("channel counts must be positive");
        InChannels = inChannels;
        Classes = classes;
        DeepSupervision = deepSupervision;
        Widths = (long[])widths.Clone();
        var levels = widths.Length;
        _nodes = new VggBlock[levels][];
        for (var i = 0; i < levels; i++) _nodes[i] = new VggBlock[levels - i];
        for (var j = 0; j < levels; j++)
        {
            for (var i = 0; i < levels - j; i++)
            {
                var cin = j == 0 ? (i == 0 ? inChannels : widths[i - 1]) : widths[i] * j + widths[i + 1];
                _nodes[i][j] = new VggBlock(cin, widths[i]);
                register_module($"conv{i}_{j}", _nodes[i][j]);
            }
        }
        if (deepSupervision)
        {
            _heads = new Conv2d[levels - 1];
            for (var k = 1; k < levels; k++)
            {
                _heads[k - 1] = nn.Conv2d(widths[0], classes, 1);
                register_module($"final{k}", _heads[k - 1]);
            }
        }
        else
        {
            _heads = new[] { nn.Conv2d(widths[0], classes, 1) };
            register_module("final", _heads[0]);
        }
        FastHead = fastHead ?? levels - 1;
        Mode = mode;
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels of every head.</summary>
    public long Classes { get; }

    /// <summary>Channels per level, top to bottom (last = bottleneck).</summary>
    public IReadOnlyList<long> Widths { get; }

    /// <summary>Whether there is one head per top-row node (true) or a single head on X^{0,L−1} (false).</summary>
    public bool DeepSupervision { get; }

    /// <summary>Number of heads <see cref="ForwardHeads"/> returns: L − 1 with deep supervision, otherwise 1.</summary>
    public int HeadCount => _heads.Length;

    /// <summary>Output mode of <c>Forward</c>: <see cref="UNetPlusPlusMode.Accurate"/> or <see cref="UNetPlusPlusMode.Fast"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined mode.</exception>
    public UNetPlusPlusMode Mode
    {
        get => _mode;
        set => _mode = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "unknown U-Net++ mode");
    }

    /// <summary>
    /// The head used in <see cref="UNetPlusPlusMode.Fast"/> mode, k in 1..L−1 (head k reads X^{0,k}; the network is
    /// pruned to depth k). Without deep supervision only k = L − 1 exists.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k outside the available heads.</exception>
    public int FastHead
    {
        get => _fastHead;
        set
        {
            var max = Widths.Count - 1;
            var min = DeepSupervision ? 1 : max;
            if (value < min || value > max)
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    DeepSupervision ? $"head must be in 1..{max}" : $"without deep supervision the only head is {max}");
            _fastHead = value;
        }
    }

    /// <summary>
    /// The logits of every head, for deep-supervision training (apply the loss to each and average): with deep
    /// supervision L − 1 tensors from X^{0,1}..X^{0,L−1}, otherwise the single head on X^{0,L−1}.
    /// </summary>
    /// <param name="input">(N, <see cref="InChannels"/>, H, W) float32.</param>
    /// <returns>Tensors (N, classes, H, W) owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not (N, <see cref="InChannels"/>, H, W).</exception>
    public Tensor[] ForwardHeads(Tensor input)
    {
        CheckInput(input);
        var depth = Widths.Count - 1;
        var top = TopRow(input, depth);
        try
        {
            if (!DeepSupervision) return new[] { _heads[0].call(top[depth]) };
            var outs = new Tensor[depth];
            for (var k = 1; k <= depth; k++) outs[k - 1] = _heads[k - 1].call(top[k]);
            return outs;
        }
        finally
        {
            foreach (var t in top) t.Dispose();
        }
    }

    /// <summary>Segments a batch: the mean of all heads (<see cref="UNetPlusPlusMode.Accurate"/>) or head <see cref="FastHead"/> of the pruned network (<see cref="UNetPlusPlusMode.Fast"/>).</summary>
    /// <param name="input">(N, <see cref="InChannels"/>, H, W) float32.</param>
    /// <returns>(N, classes, H, W) logits, owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not (N, <see cref="InChannels"/>, H, W).</exception>
    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        var depth = Widths.Count - 1;
        if (_mode == UNetPlusPlusMode.Fast)
        {
            var k = _fastHead;
            var top = TopRow(input, k);
            try
            {
                return (DeepSupervision ? _heads[k - 1] : _heads[0]).call(top[k]);
            }
            finally
            {
                foreach (var t in top) t.Dispose();
            }
        }
        var heads = ForwardHeads(input);
        if (heads.Length == 1) return heads[0];
        try
        {
            using var stacked = torch.stack(heads, 0);
            return stacked.mean(new long[] { 0 });
        }
        finally
        {
            foreach (var h in heads) h.Dispose();
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

    private void CheckInput(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != InChannels)
            throw new ArgumentException($"UNetPlusPlus: expected input (N, {InChannels}, H, W), got {ShapeText.Of(input)}", nameof(input));
    }

    /// <summary>
    /// Computes the nodes X^{i,j} with i + j ≤ <paramref name="depth"/> and returns the top row X^{0,0..depth}; every
    /// other node is disposed as soon as its last consumer has run.
    /// </summary>
    private Tensor[] TopRow(Tensor input, int depth)
    {
        var x = new Tensor?[depth + 1][];
        for (var i = 0; i <= depth; i++) x[i] = new Tensor?[depth + 1 - i];
        try
        {
            x[0][0] = _nodes[0][0].call(input);
            for (var i = 1; i <= depth; i++)
            {
                using var pooled = F.max_pool2d(x[i - 1][0]!, 2);
                x[i][0] = _nodes[i][0].call(pooled);
            }
            for (var j = 1; j <= depth; j++)
            {
                for (var i = 0; i <= depth - j; i++)
                {
                    var skip = x[i][0]!;
                    using var up = F.interpolate(x[i + 1][j - 1]!, size: new[] { skip.shape[2], skip.shape[3] },
                        mode: InterpolationMode.Bilinear, align_corners: true);
                    var parts = new Tensor[j + 1];
                    for (var m = 0; m < j; m++) parts[m] = x[i][m]!;
                    parts[j] = up;
                    using var cat = torch.cat(parts, 1);
                    x[i][j] = _nodes[i][j].call(cat);
                }
                // Row depth − j + 1 was last read by X^{depth−j, j}; free it.
                var done = depth - j + 1;
                for (var m = 0; m < x[done].Length; m++)
                {
                    x[done][m]?.Dispose();
                    x[done][m] = null;
                }
            }
            var top = new Tensor[depth + 1];
            for (var j = 0; j <= depth; j++)
            {
                top[j] = x[0][j]!;
                x[0][j] = null;
            }
            return top;
        }
        finally
        {
            foreach (var row in x)
                foreach (var t in row)
                    t?.Dispose();
        }
    }

    /// <summary>
    /// Conv3x3 (bias) → BN → ReLU → Conv3x3 (bias) → BN → ReLU with keys conv1, bn1, conv2, bn2. After
    /// <see cref="ModuleFusion.FuseForInference{T}"/> the batch norms are folded into the convolutions and bn1 and bn2
    /// become <c>Identity</c> modules.
    /// </summary>
    private sealed class VggBlock : nn.Module<Tensor, Tensor>, IFoldsBatchNorms
    {
        private readonly Conv2d _conv1;
        private BatchNorm2d? _bn1;
        private readonly Conv2d _conv2;
        private BatchNorm2d? _bn2;

        public VggBlock(long cin, long cout) : base(nameof(VggBlock))
        {
            _conv1 = nn.Conv2d(cin, cout, 3, padding: 1);
            _bn1 = nn.BatchNorm2d(cout);
            _conv2 = nn.Conv2d(cout, cout, 3, padding: 1);
            _bn2 = nn.BatchNorm2d(cout);
            register_module("conv1", _conv1);
            register_module("bn1", _bn1);
            register_module("conv2", _conv2);
            register_module("bn2", _bn2);
        }

        public void FoldBatchNorms()
        {
            _bn1 = Fold(_conv1, _bn1, "bn1");
            _bn2 = Fold(_conv2, _bn2, "bn2");
        }

        private BatchNorm2d? Fold(Conv2d conv, BatchNorm2d? bn, string name)
        {
            if (bn is null || !ModuleFusion.TryFold(conv, bn)) return bn;
            ModuleFusion.ReplaceChild(this, name, nn.Identity());
            bn.Dispose();
            return null;
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var y = _conv1.call(input);
            if (_bn1 is not null) y = _bn1.call(y);
            y = _conv2.call(y.relu());
            if (_bn2 is not null) y = _bn2.call(y);
            return y.relu().MoveToOuterDisposeScope();
        }

        protected override void RegisterComponents() { }
    }
}
