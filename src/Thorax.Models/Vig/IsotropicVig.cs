using Thorax.Models.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>
/// Isotropic Vision GNN (huawei <c>vig_pytorch/vig.py</c> <c>DeepGCN</c>): stride-16 <see cref="VigStem"/>,
/// <c>pos_embed</c> [1, C, 14, 14], <c>backbone.i</c> = <see cref="VigBlock"/> with k rising
/// <c>int(linspace(k, 2k, n))</c>, dilation <c>min(i // 4 + 1, 196 // max k)</c>, no key pooling and no relative
/// position, then <c>prediction</c> as in <see cref="PyramidVig"/>. ViG-Ti: 12 blocks of 192, S: 16 of 320, B: 16 of 640.
/// </summary>
public sealed class IsotropicVig : Module<Tensor, Tensor>
{
    private readonly VigStem _stem;
    private readonly Parameter _posEmbed;
    private readonly Sequential _backbone;
    private readonly Sequential _prediction;
    private readonly VigBlock[] _blocks;

    /// <param name="channels">Channels C (a multiple of 8).</param>
    /// <param name="blocks">Number of blocks.</param>
    /// <param name="numClasses">Classifier outputs.</param>
    /// <param name="k">Neighbours of the first block (the last has 2k).</param>
    /// <param name="useDilation">Dilated KNN (the reference's default) or dilation 1 everywhere.</param>
    /// <param name="dropPath">Largest stochastic depth rate.</param>
    /// <param name="dropout">Dropout of the head.</param>
    public IsotropicVig(int channels, int blocks, int numClasses = 1000, int k = 9, bool useDilation = true,
        double dropPath = 0.0, double dropout = 0.0) : base("IsotropicVig")
    {
        if (channels < 8 || channels % 8 != 0) throw new ArgumentException($"channels must be a positive multiple of 8, got {channels}", nameof(channels));
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks));
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses));
        Channels = channels;
        _stem = new VigStem(3, channels, isotropic: true);
        var dpr = PyramidVig.Linspace(0, dropPath, blocks);
        var knn = PyramidVig.Linspace(k, 2 * k, blocks).Select(v => (int)v).ToArray();
        var maxDilation = 196 / knn.Max();
        _blocks = new VigBlock[blocks];
        for (var i = 0; i < blocks; i++)
        {
            var d = useDilation ? Math.Min(i / 4 + 1, maxDilation) : 1;
            _blocks[i] = new VigBlock(new Grapher(channels, knn[i], d, 1, 0, dpr[i]), new VigFfn(channels, channels * 4, dpr[i]));
        }
        _posEmbed = new Parameter(zeros(1, channels, 14, 14));
        _backbone = Sequential(_blocks);
        _prediction = PyramidVig.Head(channels, numClasses, dropout);
        register_module("stem", _stem);
        register_parameter("pos_embed", _posEmbed);
        register_module("backbone", _backbone);
        register_module("prediction", _prediction);
        PyramidVig.InitLikeReference(this);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>ViG-Ti: 12 blocks of 192 channels.</summary>
    public static IsotropicVig Tiny(int numClasses = 1000) => new(192, 12, numClasses);

    /// <summary>ViG-S: 16 blocks of 320 channels.</summary>
    public static IsotropicVig Small(int numClasses = 1000) => new(320, 16, numClasses);

    /// <summary>ViG-B: 16 blocks of 640 channels.</summary>
    public static IsotropicVig Base(int numClasses = 1000) => new(640, 16, numClasses);

    /// <summary>Channels C.</summary>
    public int Channels { get; }

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<VigBlock> Blocks => _blocks;

    /// <summary>Logits [B, classes] for images [B, 3, 224, 224].</summary>
    public override Tensor forward(Tensor input)
    {
        PyramidVig.CheckInput(input, 3, 224);
        using var scope = NewDisposeScope();
        var x = _backbone.call(_stem.call(input).add(get_parameter("pos_embed")!));
        return _prediction.call(functional.adaptive_avg_pool2d(x, 1)).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
