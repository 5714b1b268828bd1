namespace Thorax.Imaging.Ops;

/// <summary>
/// A 2x3 affine matrix [[A, B, C], [D, E, F]] mapping source (x, y) to destination (A x + B y + C, D x + E y + F),
/// in pixel units with pixel centres at integer coordinates (OpenCV convention).
/// </summary>
public readonly record struct AffineTransform(double A, double B, double C, double D, double E, double F)
{
    /// <summary>The identity transform.</summary>
    public static AffineTransform Identity => new(1, 0, 0, 0, 1, 0);

    /// <summary>
    /// Rotation by <paramref name="angleDegrees"/> (counter-clockwise on screen, y down) and isotropic scaling about a
    /// centre; equal to <c>cv2.getRotationMatrix2D(center, angle, scale)</c>.
    /// </summary>
    public static AffineTransform Rotation(double centerX, double centerY, double angleDegrees, double scale = 1.0)
    {
        double rad = angleDegrees * Math.PI / 180;
        double a = Math.Cos(rad) * scale, b = Math.Sin(rad) * scale;
        return new AffineTransform(a, b, (1 - a) * centerX - b * centerY, -b, a, b * centerX + (1 - a) * centerY);
    }

    /// <summary>
    /// albumentations' ShiftScaleRotate matrix (1.3.x): rotation/scale about (width/2, height/2), then a shift of
    /// (<paramref name="shiftX"/> * width, <paramref name="shiftY"/> * height) pixels.
    /// </summary>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="angleDegrees">Rotation angle in degrees.</param>
    /// <param name="scale">Scale factor.</param>
    /// <param name="shiftX">Horizontal shift as a fraction of the width.</param>
    /// <param name="shiftY">Vertical shift as a fraction of the height.</param>
    public static AffineTransform ShiftScaleRotate(int width, int height, double angleDegrees, double scale, double shiftX, double shiftY)
    {
        var m = Rotation(width / 2.0, height / 2.0, angleDegrees, scale);
        return m with { C = m.C + shiftX * width, F = m.F + shiftY * height };
    }

    /// <summary>The inverse transform (OpenCV <c>invertAffineTransform</c>; a singular matrix gives all-zero linear part).</summary>
    public AffineTransform Invert()
    {
        double det = A * E - B * D;
        det = det != 0 ? 1.0 / det : 0;
        double a = E * det, b = -B * det, d = -D * det, e = A * det;
        return new AffineTransform(a, b, -a * C - b * F, d, e, -d * C - e * F);
    }
}
