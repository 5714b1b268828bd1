using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using static TorchSharp.torch;

namespace Thorax.Models.GdVig;

/// <summary>
/// GD-ViG (Gaze-Directed Vision GNN, MICCAI 2024; the authors' <c>GAViG</c>): the gaze map generator
/// (<see cref="GazeMapGenerator"/>, keys <c>vigunet.*</c>) predicts a gaze map from the image, and the gaze-directed
/// classifier (<see cref="GazeDirectedVig"/>, keys <c>vig.*</c>) classifies the image with a KNN graph directed by that
/// map. Two separate ViG backbones; no weights shared. The authors' checkpoints (<c>torch.save({"model": state_dict,
/// ...})</c>) load strictly with <see cref="Weights.StateDicts.LoadFile"/>.
/// </summary>
/// <remarks>Input: single-channel images [B, 1, 224, 224] (or the size of <see cref="GdVigOptions.ImageSize"/>) preprocessed as the authors' test transform (resize to 224,
/// <c>(p/255 − 0.456)/0.224</c>, then their extra division by 255).</remarks>
public sealed class GdVigModel : nn.Module<Tensor, Tensor>
{
    private readonly GazeDirectedVig _vig;
    private readonly GazeMapGenerator _vigunet;

    /// <param name="options">Configuration (see <see cref="GdVigOptions.For"/>).</param>
    public GdVigModel(GdVigOptions options) : base("GAViG")
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _vig = new GazeDirectedVig(options);
        _vigunet = new GazeMapGenerator(options);
        register_module("vig", _vig);
        register_module("vigunet", _vigunet);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>A published variant.</summary>
    /// <param name="variant">EGD-CXR or SIIM-ACR.</param>
    /// <param name="gazeLambda">Weight of the gaze distance (the code's 1 by default; the paper's 3).</param>
    public static GdVigModel Create(GdVigVariant variant, double gazeLambda = 1.0) => new(GdVigOptions.For(variant, gazeLambda));

    /// <summary>The configuration.</summary>
    public GdVigOptions Options { get; }

    /// <summary>The gaze-directed classifier (GDC).</summary>
    public GazeDirectedVig Classifier => _vig;

    /// <summary>The gaze map generator (GMG).</summary>
    public GazeMapGenerator Generator => _vigunet;

    /// <summary>Logits [B, classes].</summary>
    public override Tensor forward(Tensor image)
    {
        var (logits, gaze) = Predict(image);
        gaze.Dispose();
        return logits;
    }

    /// <summary>Logits [B, classes] and the predicted gaze map [B, 1, 224, 224] (ReLU output, not normalised).</summary>
    public (Tensor Logits, Tensor Gaze) Predict(Tensor image)
    {
        CheckImage(image, Options.ImageSize);
        using var scope = NewDisposeScope();
        var gaze = _vigunet.call(image);
        var logits = _vig.call(image, gaze);
        scope.MoveToOuter(gaze);
        scope.MoveToOuter(logits);
        return (logits, gaze);
    }

    /// <summary>Logits [B, classes] of the classifier directed by a given gaze map (e.g. the ground truth, the upper
    /// bound of the paper's ablation) instead of the generator's.</summary>
    public Tensor ClassifyWithGaze(Tensor image, Tensor gaze) => _vig.Classify(image, gaze);

    internal static void CheckImage(Tensor image, int size)
    {
        if (image.dim() != 4 || image.shape[1] != 1 || image.shape[2] != size || image.shape[3] != size)
            throw new ArgumentException($"GD-ViG takes single-channel images [B, 1, {size}, {size}], got [{string.Join(", ", image.shape)}]", nameof(image));
    }

    /// <summary>Sets training or evaluation mode.</summary>
    /// <exception cref="InvalidOperationException">Training mode was asked for after <see cref="ModuleFusion.FuseForInference{T}"/>.</exception>
    public override void train(bool on = true)
    {
        FusedTraining.ThrowIfFused(this, on);
        base.train(on);
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
