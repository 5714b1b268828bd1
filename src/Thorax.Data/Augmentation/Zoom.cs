using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>Random zoom in or out about the centre, output size unchanged: scale ~ U(MinScale, MaxScale)
/// (&gt; 1 zooms in), the matrix of <see cref="AffineTransform.ShiftScaleRotate"/> with no rotation or shift.
/// Default range 0.9 .. 1.1, p 0.5.</summary>
public sealed class Zoom : SampleTransform<double>
{
    /// <summary>Creates the transform with p = 0.5.</summary>
    public Zoom() => Probability = 0.5;

    /// <summary>Smallest scale (zoom out); default 0.9.</summary>
    public double MinScale { get; init; } = 0.9;

    /// <summary>Largest scale (zoom in); default 1.1.</summary>
    public double MaxScale { get; init; } = 1.1;

    /// <summary>Border mode; default <see cref="BorderMode.Constant"/> (zero padding when zooming out).</summary>
    public BorderMode Border { get; init; } = BorderMode.Constant;

    /// <inheritdoc />
    public override double Randomize(Random random, int width, int height) => SampleOps.Uniform(random, MinScale, MaxScale);

    /// <inheritdoc />
    public override Sample Apply(Sample sample, double parameters) =>
        AffineWarp.Apply(sample, AffineTransform.ShiftScaleRotate(sample.Width, sample.Height, 0, parameters, 0, 0), Border);
}
