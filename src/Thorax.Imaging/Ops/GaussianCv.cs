namespace Thorax.Imaging.Ops;

// cv2.GaussianBlur / cv2.getGaussianKernel semantics (explicit kernel size, sigma = 0 rule), next to the scipy-style
// Blur of Gaussian.cs.
public static partial class Gaussian
{
    /// <summary>OpenCV's fixed kernels for odd sizes up to 9 when sigma &lt;= 0 (getGaussianKernel's small table).</summary>
    private static readonly double[][] SmallKernels =
    [
        [1.0],
        [0.25, 0.5, 0.25],
        [0.0625, 0.25, 0.375, 0.25, 0.0625],
        [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
        [0.015625, 0.05078125, 0.1171875, 0.19921875, 0.234375, 0.19921875, 0.1171875, 0.05078125, 0.015625],
    ];

    /// <summary>The 1-D kernel of <c>cv2.getGaussianKernel(ksize, sigma)</c>.</summary>
    /// <param name="ksize">Kernel length, odd and &gt;= 1.</param>
    /// <param name="sigma">Standard deviation; &lt;= 0 means OpenCV's rule: the fixed binomial-like table for
    /// ksize &lt;= 9, otherwise sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8.</param>
    /// <returns>exp(-x²/(2σ²)) at x = i - (ksize - 1)/2, normalised to sum 1.</returns>
    public static double[] CvKernel(int ksize, double sigma)
    {
        if (ksize < 1 || ksize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(ksize), ksize, "Gaussian kernel size must be odd and >= 1.");
        if (ksize <= 9 && sigma <= 0) return (double[])SmallKernels[ksize >> 1].Clone();
        double s = sigma > 0 ? sigma : 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
        double scale = -0.5 / (s * s);
        int r = ksize / 2;
        var k = new double[ksize];
        double sum = 0;
        for (int i = 0; i < ksize; i++)
        {
            double x = i - r;
            sum += k[i] = Math.Exp(scale * x * x);
        }
        for (int i = 0; i < ksize; i++) k[i] /= sum;
        return k;
    }

    /// <summary>
    /// Gaussian blur with <c>cv2.GaussianBlur(src, (ksizeX, ksizeY), sigmaX, sigmaY, borderType)</c> semantics on
    /// float data (each channel independently).
    /// </summary>
    /// <param name="src">Float image, any channel count.</param>
    /// <param name="ksizeX">Kernel width, odd; 0 derives it from <paramref name="sigmaX"/> as OpenCV does for float
    /// images: round(sigma * 8 + 1) | 1.</param>
    /// <param name="ksizeY">Kernel height, odd; 0 derives it from the y sigma the same way.</param>
    /// <param name="sigmaX">Horizontal standard deviation; &lt;= 0 derives it from the kernel width
    /// (see <see cref="CvKernel"/>).</param>
    /// <param name="sigmaY">Vertical standard deviation; 0 means equal to <paramref name="sigmaX"/>.</param>
    /// <param name="border">Border extrapolation; OpenCV's default is <see cref="BorderMode.Reflect101"/>.</param>
    /// <remarks>Matches OpenCV to float rounding (golden tests: |diff| &lt;= 1e-5 relative).</remarks>
    public static Image<float> CvBlur(Image<float> src, int ksizeX, int ksizeY, double sigmaX, double sigmaY = 0,
        BorderMode border = BorderMode.Reflect101)
    {
        ArgumentNullException.ThrowIfNull(src);
        var (kx, ky) = CvKernels(ksizeX, ksizeY, sigmaX, sigmaY, 4);
        return Separable(src, kx, ky, border, 0f);
    }

    /// <summary>
    /// Gaussian blur of an 8-bit image with <c>cv2.GaussianBlur</c> semantics (kernel size from sigma:
    /// round(sigma * 6 + 1) | 1), using OpenCV's fixed-point scheme for 8-bit data.
    /// </summary>
    /// <remarks>
    /// As OpenCV's GaussianBlurFixedPoint: both kernels are quantised to 8 fractional bits by error diffusion from the
    /// outside in (the centre tap takes the remainder so each kernel sums to exactly 256), the row pass keeps exact
    /// integer sums (16-bit fixed point), and the column pass rounds the 32-bit fixed-point sum:
    /// (sum + 2^15) &gt;&gt; 16. Integer arithmetic throughout, so the result is bit-exact with OpenCV on the golden cases.
    /// </remarks>
    /// <inheritdoc cref="CvBlur(Image{float}, int, int, double, double, BorderMode)"/>
    public static Image<byte> CvBlur(Image<byte> src, int ksizeX, int ksizeY, double sigmaX, double sigmaY = 0,
        BorderMode border = BorderMode.Reflect101)
    {
        ArgumentNullException.ThrowIfNull(src);
        var (kx, ky) = CvKernelsDouble(ksizeX, ksizeY, sigmaX, sigmaY, 3);
        int[] qx = FixedPointKernel(kx), qy = FixedPointKernel(ky);
        int w = src.Width, h = src.Height, cn = src.Channels, rx = qx.Length / 2, ry = qy.Length / 2;
        var s = src.Data;
        var rows = new int[w * h * cn];
        var colIdx = new int[w + 2 * rx];
        for (int i = 0; i < colIdx.Length; i++) colIdx[i] = Border.Index(i - rx, w, border);
        for (int y = 0; y < h; y++)
        {
            int srow = y * w * cn;
            for (int x = 0; x < w; x++)
                for (int c = 0; c < cn; c++)
                {
                    int acc = 0;
                    for (int i = 0; i < qx.Length; i++)
                    {
                        int sx = colIdx[x + i];
                        if (sx >= 0) acc += qx[i] * s[srow + sx * cn + c];
                    }
                    rows[srow + x * cn + c] = acc;
                }
        }
        var dst = new Image<byte>(w, h, cn);
        var d = dst.Data;
        int rowLen = w * cn;
        for (int y = 0; y < h; y++)
            for (int i = 0; i < rowLen; i++)
            {
                long acc = 0;
                for (int j = 0; j < qy.Length; j++)
                {
                    int sy = Border.Index(y - ry + j, h, border);
                    if (sy >= 0) acc += (long)qy[j] * rows[sy * rowLen + i];
                }
                d[y * rowLen + i] = (byte)Math.Min((acc + (1 << 15)) >> 16, 255);
            }
        return dst;
    }

    /// <summary>OpenCV's getGaussianKernelFixedPoint_ED with 8 fractional bits: symmetric taps from the outside in
    /// are rounded (half to even) with the rounding error carried to the next tap; the centre is 256 minus the rest.</summary>
    private static int[] FixedPointKernel(double[] k)
    {
        int n = k.Length, half = n / 2;
        var q = new int[n];
        double err = 0;
        int sum = 0;
        for (int i = 0; i < half; i++)
        {
            double adj = k[i] * 256 + err;
            int v = (int)Math.Round(adj, MidpointRounding.ToEven);
            err = adj - v;
            q[i] = q[n - 1 - i] = v;
            sum += v;
        }
        q[half] = 256 - 2 * sum;
        return q;
    }

    /// <summary>OpenCV's createGaussianKernels: sigmaY defaults to sigmaX, missing sizes come from the sigmas
    /// (<paramref name="sigmas"/> standard deviations each side: 3 for 8-bit, 4 otherwise).</summary>
    private static (float[] Kx, float[] Ky) CvKernels(int ksizeX, int ksizeY, double sigmaX, double sigmaY, int sigmas)
    {
        var (kx, ky) = CvKernelsDouble(ksizeX, ksizeY, sigmaX, sigmaY, sigmas);
        return (Array.ConvertAll(kx, v => (float)v), Array.ConvertAll(ky, v => (float)v));
    }

    private static (double[] Kx, double[] Ky) CvKernelsDouble(int ksizeX, int ksizeY, double sigmaX, double sigmaY, int sigmas)
    {
        if (sigmaY <= 0) sigmaY = sigmaX;
        if (ksizeX <= 0 && sigmaX > 0) ksizeX = (int)Math.Round(sigmaX * sigmas * 2 + 1, MidpointRounding.ToEven) | 1;
        if (ksizeY <= 0 && sigmaY > 0) ksizeY = (int)Math.Round(sigmaY * sigmas * 2 + 1, MidpointRounding.ToEven) | 1;
        if (ksizeX < 1 || ksizeX % 2 == 0 || ksizeY < 1 || ksizeY % 2 == 0)
            throw new ArgumentException($"Gaussian kernel size ({ksizeX}, {ksizeY}) must be odd and positive, or 0 with a positive sigma.");
        sigmaX = Math.Max(sigmaX, 0);
        sigmaY = Math.Max(sigmaY, 0);
        return (CvKernel(ksizeX, sigmaX), CvKernel(ksizeY, sigmaY));
    }
}
