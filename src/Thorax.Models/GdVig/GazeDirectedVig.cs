using Thorax.Models.Vig;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.GdVig;

/// <summary>
/// GD-ViG's gaze-directed classifier (GDC; the authors' <c>ViG_Gaze</c>): a pyramid ViG without relative positions
/// whose KNN distance adds <c>lambda · (g_i − g_j)² · ĝ_i</c> (see <see cref="VigKnn"/>), with the gaze map max-pooled
/// by 4 to the stem's grid and by 2 at every downsampling (key side: max-pooled by the reduce ratio). Keys:
/// <c>pos_embed</c>, <c>stem.convs.*</c>, <c>backbone.*</c>, <c>prediction.{0,1,4}</c> and, for the stacked head,
/// <c>pred2.{0,3}</c>. The gaze enters only the neighbour search (no gradient flows into it).
/// </summary>
public sealed class GazeDirectedVig : Module<Tensor, Tensor, Tensor>
{
    private readonly VigStem _stem;
    private readonly ModuleList<Module<Tensor, Tensor>> _backbone;
    private readonly Sequential _prediction;
    private readonly Sequential? _pred2;

    /// <param name="options">Widths, classes, head and lambda.</param>
    public GazeDirectedVig(GdVigOptions options) : base("ViG_Gaze")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        GazeLambda = options.GazeLambda;
        var backbone = options.Backbone(options.NumClasses);
        backbone.Validate();
        register_parameter("pos_embed", new Parameter(zeros(1, options.Channels[0], options.ImageSize / 4, options.ImageSize / 4)));
        _stem = new VigStem(3, options.Channels[0]);
        register_module("stem", _stem);
        (_backbone, _) = PyramidVig.BuildBackbone(backbone);
        register_module("backbone", _backbone);
        _prediction = PyramidVig.Head(options.Channels[^1], options.StackedHead ? 1000 : options.NumClasses, options.HeadDropout);
        register_module("prediction", _prediction);
        if (options.StackedHead)
        {
            _pred2 = Sequential(BatchNorm2d(1000), GELU(), Dropout(options.HeadDropout), Conv2d(1000, options.NumClasses, 1, bias: true));
            register_module("pred2", _pred2);
        }
        PyramidVig.InitLikeReference(this);
    }

    /// <summary>The configuration.</summary>
    public GdVigOptions Options { get; }

    /// <summary>Weight of the gaze distance (starts at <see cref="GdVigOptions.GazeLambda"/>; the code's 1, the paper's 3;
    /// 0 turns the gaze direction off).</summary>
    public double GazeLambda { get; set; }

    /// <summary>Logits [B, classes].</summary>
    /// <param name="image">Normalised single-channel images [B, 1, S, S] (S = <see cref="GdVigOptions.ImageSize"/>, 224
    /// published; repeated to 3 channels, as the reference).</param>
    /// <param name="gaze">Gaze maps [B, 1, S, S] (the GMG's prediction, or ground truth).</param>
    public override Tensor forward(Tensor image, Tensor gaze) => Classify(image, gaze);

    /// <summary>Logits [B, classes]; a null <paramref name="gaze"/> (or <see cref="GazeLambda"/> = 0) builds the plain
    /// feature graph: a pyramid ViG without gaze (the baseline of the paper's ablation).</summary>
    public Tensor Classify(Tensor image, Tensor? gaze)
    {
        using var scope = NewDisposeScope();
        var (y, _) = Run(image, gaze, null);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits [B, classes] and the last stage's output [B, C3, S/32, S/32] (the layer Grad-CAM explains), and, when
    /// <paramref name="graphs"/> is given, every KNN graph the blocks built (in block order) appended to it.
    /// </summary>
    public (Tensor Logits, Tensor LastStage) ClassifyWithFeatures(Tensor image, Tensor? gaze, IList<VigGraph>? graphs = null)
    {
        using var scope = NewDisposeScope();
        var (y, f) = Run(image, gaze, graphs);
        scope.MoveToOuter(y);
        scope.MoveToOuter(f);
        return (y, f);
    }

    private (Tensor Logits, Tensor LastStage) Run(Tensor image, Tensor? gaze, IList<VigGraph>? graphs)
    {
        var size = Options.ImageSize;
        GdVigModel.CheckImage(image, size);
        if (gaze is not null && (gaze.dim() != 4 || gaze.shape[0] != image.shape[0] || gaze.shape[1] != 1 || gaze.shape[2] != size || gaze.shape[3] != size))
            throw new ArgumentException($"expected gaze maps [{image.shape[0]}, 1, {size}, {size}], got [{string.Join(", ", gaze.shape)}]", nameof(gaze));
        var g = gaze is null || GazeLambda == 0 ? null : functional.max_pool2d(gaze.detach(), 4, 4);
        var x = _stem.call(image.repeat(1, 3, 1, 1)).add(get_parameter("pos_embed")!);
        int stage = 0, index = 0;
        foreach (var m in _backbone)
        {
            if (m is VigBlock block)
            {
                var conv = block.Grapher.GraphConv;
                if (graphs is not null)
                {
                    int s = stage, b = index;
                    conv.GraphObserver = (idx, h, w, kh, kw) => graphs.Add(new VigGraph(s, b, h, w, kh, kw, conv.K, conv.Dilation,
                        (int)idx.shape[0], idx.cpu().contiguous().data<long>().ToArray()));
                }
                try
                {
                    x = block.Forward(x, g, GazeLambda);
                }
                finally
                {
                    conv.GraphObserver = null;
                }
                index++;
            }
            else
            {
                if (g is not null) g = functional.max_pool2d(g, 2, 2);
                x = m.call(x);
                stage++;
            }
        }
        var y = _prediction.call(functional.adaptive_avg_pool2d(x, 1));
        if (_pred2 is not null) y = _pred2.call(y);
        return (y.flatten(1), x);
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
