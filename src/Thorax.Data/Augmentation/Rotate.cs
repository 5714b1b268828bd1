using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>Random rotation (albumentations 1.3 <c>Rotate</c>): angle ~ U(-Limit, Limit) degrees about
/// (W/2 - 0.5, H/2 - 0.5), i.e. <c>cv2.getRotationMatrix2D((w/2 - .5, h/2 - .5), angle, 1)</c>; default limit 90, p 0.5.</summary>
public sealed class Rotate : SampleTransform<double>
{
    /// <summary>Creates the transform with p = 0.5.</summary>
    public Rotate() => Probability = 0.5;

    /// <summary>Maximum angle in degrees; default 90.</summary>
    public double Limit { get; init; } = 90;

    /// <summary>Border mode; default <see cref="BorderMode.Reflect101"/>.</summary>
    public BorderMode Border { get; init; } = BorderMode.Reflect101;

    /// <summary>The rotation matrix for an image of the given size.</summary>
    public static AffineTransform Matrix(int width, int height, double angleDegrees) =>
        AffineTransform.Rotation(width / 2.0 - 0.5, height / 2.0 - 0.5, angleDegrees);

    /// <inheritdoc />
    public override double Randomize(Random random, int width, int height) => SampleOps.Uniform(random, -Limit, Limit);

    /// <inheritdoc />
    public override Sample Apply(Sample sample, double parameters) =>
        AffineWarp.Apply(sample, Matrix(sample.Width, sample.Height, parameters), Border);
}
