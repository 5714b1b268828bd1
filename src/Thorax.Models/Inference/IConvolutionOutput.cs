using TorchSharp.Modules;

namespace Thorax.Models.Inference;

/// <summary>
/// Implemented by a wrapper module whose output is exactly the output of one of its convolutions (e.g. GD-ViG's
/// <c>Upsample</c>, a ConvTranspose2d under another key), so that <see cref="ModuleFusion.FuseForInference{T}"/> folds a
/// batch norm that follows the wrapper in a <c>Sequential</c> into that convolution.
/// </summary>
public interface IConvolutionOutput
{
    /// <summary>The convolution whose output the module returns unchanged.</summary>
    Convolution OutputConvolution { get; }
}
