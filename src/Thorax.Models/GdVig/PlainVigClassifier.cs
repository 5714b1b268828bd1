using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using static TorchSharp.torch;

namespace Thorax.Models.GdVig;

/// <summary>
/// The baseline of GD-ViG's ablation: GD-ViG's classifier (<see cref="GazeDirectedVig"/>, keys <c>vig.*</c>, the same
/// widths and head) with no gaze at all: no generator, a plain feature KNN graph (lambda = 0). Its keys are the
/// <c>vig.*</c> subset of a GD-ViG checkpoint, so a GD-ViG's classifier weights load into it (non-strictly) and back.
/// </summary>
public sealed class PlainVigClassifier : nn.Module<Tensor, Tensor>
{
    private readonly GazeDirectedVig _vig;

    /// <param name="options">Widths, classes and head (the lambda is ignored: always 0).</param>
    public PlainVigClassifier(GdVigOptions options) : base("ViG")
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options with { GazeLambda = 0 };
        _vig = new GazeDirectedVig(Options);
        register_module("vig", _vig);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>The configuration (lambda 0).</summary>
    public GdVigOptions Options { get; }

    /// <summary>The classifier.</summary>
    public GazeDirectedVig Classifier => _vig;

    /// <summary>Logits [B, classes] for normalised single-channel images [B, 1, S, S].</summary>
    public override Tensor forward(Tensor image) => _vig.Classify(image, null);

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
