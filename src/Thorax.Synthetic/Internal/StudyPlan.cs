using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>Everything about a study decided before rendering (labels, devices, cue, encoding).</summary>
internal sealed record StudyPlan(
    int Index,
    DatasetSplit Split,
    FindingClass Class,
    PneumothoraxFinding? Pneumothorax,
    SupportDevices Devices,
    BodySide ChestTubeSide,
    bool ShortcutCue,
    bool Monochrome1,
    StudyEncoding Encoding,
    int Age,
    string Sex,
    int Background = -1);

/// <summary>Where the renderer put things, for the gaze simulator and the report writer.</summary>
internal sealed record RenderInfo(
    RectangleF RightLungBox,
    RectangleF LeftLungBox,
    Vector2 HeartCenter,
    IReadOnlyList<(Vector2 Center, float Radius)> Findings,
    BodySide? PneumoniaSide,
    string? PneumoniaZone,
    bool Effusion,
    double CardiothoracicRatio)
{
    /// <summary>Things a reader glances at besides anatomy and findings (devices, burned-in text), image pixels.</summary>
    public IReadOnlyList<Vector2> Distractors { get; init; } = [];
}

/// <summary>Axis-aligned rectangle in pixels.</summary>
internal readonly record struct RectangleF(float X, float Y, float Width, float Height)
{
    public static RectangleF Of(ReadOnlySpan<Vector2> pts)
    {
        float x0 = float.MaxValue, y0 = float.MaxValue, x1 = float.MinValue, y1 = float.MinValue;
        foreach (var p in pts)
        {
            x0 = MathF.Min(x0, p.X); y0 = MathF.Min(y0, p.Y);
            x1 = MathF.Max(x1, p.X); y1 = MathF.Max(y1, p.Y);
        }
        return new RectangleF(x0, y0, x1 - x0, y1 - y0);
    }
}
