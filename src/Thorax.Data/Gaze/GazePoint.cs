namespace Thorax.Data.Gaze;

/// <summary>One gaze sample or fixation in image pixel coordinates.</summary>
/// <param name="X">Column in pixels (0 = left edge of the image), sub-pixel allowed.</param>
/// <param name="Y">Row in pixels (0 = top edge).</param>
/// <param name="TimeSeconds">Time stamp in seconds (dataset-specific origin; NaN when unknown).</param>
/// <param name="DurationSeconds">Fixation duration in seconds (NaN when unknown, e.g. raw 60 Hz samples).</param>
public readonly record struct GazePoint(double X, double Y, double TimeSeconds = double.NaN, double DurationSeconds = double.NaN);
