using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Random affine shift, scale and rotation about the image centre (albumentations 1.3 <c>ShiftScaleRotate</c>):
/// angle ~ U(-RotateLimit, RotateLimit) degrees, scale ~ U(1 - ScaleLimit, 1 + ScaleLimit), dx, dy ~ U(-ShiftLimit, ShiftLimit)
/// (fractions of width/height), drawn in that order; matrix <see cref="AffineTransform.ShiftScaleRotate"/>; image and
/// gaze bilinear, masks nearest, same border mode (mask border value 0). Defaults are albumentations' (p 0.5).
/// </summary>
public sealed class ShiftScaleRotate : SampleTransform<ShiftScaleRotate.Params>
{
    /// <summary>Drawn parameters: angle in degrees, scale factor, shifts as fractions of width and height.</summary>
    public readonly record struct Params(double Angle, double Scale, double Dx, double Dy);

    /// <summary>Creates the transform with p = 0.5.</summary>
    public ShiftScaleRotate() => Probability = 0.5;

    /// <summary>Maximum shift as a fraction of the size; default 0.0625.</summary>
    public double ShiftLimit { get; init; } = 0.0625;

    /// <summary>Maximum relative scale change; default 0.1.</summary>
    public double ScaleLimit { get; init; } = 0.1;

    /// <summary>Maximum rotation in degrees; default 45.</summary>
    public double RotateLimit { get; init; } = 45;

    /// <summary>Border mode; default <see cref="BorderMode.Reflect101"/>.</summary>
    public BorderMode Border { get; init; } = BorderMode.Reflect101;

    /// <inheritdoc />
    public override Params Randomize(Random random, int width, int height) => new(
        SampleOps.Uniform(random, -RotateLimit, RotateLimit), SampleOps.Uniform(random, 1 - ScaleLimit, 1 + ScaleLimit),
        SampleOps.Uniform(random, -ShiftLimit, ShiftLimit), SampleOps.Uniform(random, -ShiftLimit, ShiftLimit));

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Params parameters) =>
        AffineWarp.Apply(sample, AffineTransform.ShiftScaleRotate(sample.Width, sample.Height, parameters.Angle, parameters.Scale, parameters.Dx, parameters.Dy), Border);
}
