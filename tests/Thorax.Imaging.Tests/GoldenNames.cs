using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests;

/// <summary>The OpenCV-style names the golden scripts (tools/golden/imaging/golden_ops.py) write for interpolations,
/// border modes and structuring-element shapes; an unknown name fails the test instead of picking a default.</summary>
internal static class GoldenNames
{
    public static Interpolation Interpolation(string s) => s switch
    {
        "nearest" => Thorax.Imaging.Ops.Interpolation.Nearest,
        "linear" => Thorax.Imaging.Ops.Interpolation.Linear,
        "cubic" => Thorax.Imaging.Ops.Interpolation.Cubic,
        "area" => Thorax.Imaging.Ops.Interpolation.Area,
        _ => throw new ArgumentException($"golden file: unknown interpolation '{s}'"),
    };

    public static BorderMode Border(string s) => s switch
    {
        "constant" => BorderMode.Constant,
        "replicate" => BorderMode.Replicate,
        "reflect" => BorderMode.Reflect,
        "reflect101" => BorderMode.Reflect101,
        _ => throw new ArgumentException($"golden file: unknown border '{s}'"),
    };

    public static MorphShape Shape(string s) => s switch
    {
        "rect" => MorphShape.Rectangle,
        "ellipse" => MorphShape.Ellipse,
        "cross" => MorphShape.Cross,
        _ => throw new ArgumentException($"golden file: unknown element shape '{s}'"),
    };
}
