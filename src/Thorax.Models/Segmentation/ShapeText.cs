using static TorchSharp.torch;

namespace Thorax.Models.Segmentation;

/// <summary>Formats tensor shapes for error messages, e.g. <c>[1, 2, 5, 4]</c>.</summary>
internal static class ShapeText
{
    public static string Of(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
