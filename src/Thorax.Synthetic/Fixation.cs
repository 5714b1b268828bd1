namespace Thorax.Synthetic;

/// <summary>One simulated fixation.</summary>
/// <param name="X">Column in image pixels (0 = left edge, may be fractional).</param>
/// <param name="Y">Row in image pixels (0 = top edge).</param>
/// <param name="StartSeconds">Fixation start, seconds since the case was opened.</param>
/// <param name="DurationSeconds">Fixation duration, seconds.</param>
public readonly record struct Fixation(float X, float Y, double StartSeconds, double DurationSeconds);
