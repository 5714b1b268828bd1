namespace Thorax.Data.Gaze;

/// <summary>One REFLACX fixation (<c>main_data/&lt;id&gt;/fixations.csv</c>), in image pixel coordinates.</summary>
/// <param name="StartSeconds">timestamp_start_fixation (s from case start).</param>
/// <param name="EndSeconds">timestamp_end_fixation (s).</param>
/// <param name="X">x_position, image column (pixels).</param>
/// <param name="Y">y_position, image row (pixels).</param>
/// <param name="PixelsPerDegreeX">angular_resolution_x_pixels_per_degree: image pixels per degree of visual angle along x.</param>
/// <param name="PixelsPerDegreeY">angular_resolution_y_pixels_per_degree (pixels/degree along y).</param>
/// <param name="ShownXMin">xmin_shown_from_image (pixels), or null when not recorded (then the whole image was shown).</param>
/// <param name="ShownYMin">ymin_shown_from_image.</param>
/// <param name="ShownXMax">xmax_shown_from_image (exclusive).</param>
/// <param name="ShownYMax">ymax_shown_from_image (exclusive).</param>
public sealed record ReflacxFixation(double StartSeconds, double EndSeconds, double X, double Y,
    double PixelsPerDegreeX, double PixelsPerDegreeY,
    double? ShownXMin = null, double? ShownYMin = null, double? ShownXMax = null, double? ShownYMax = null)
{
    /// <summary>Fixation duration in seconds (End - Start).</summary>
    public double DurationSeconds => EndSeconds - StartSeconds;
}
