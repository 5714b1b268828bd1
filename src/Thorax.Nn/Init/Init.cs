namespace Thorax.Nn;

/// <summary>Non-linearity names for <see cref="Init.CalculateGain"/>.</summary>
public enum Nonlinearity
{
    /// <summary>Identity / linear: gain 1.</summary>
    Linear,
    /// <summary>Convolution without non-linearity: gain 1.</summary>
    Conv,
    /// <summary>Sigmoid: gain 1.</summary>
    Sigmoid,
    /// <summary>Tanh: gain 5/3.</summary>
    Tanh,
    /// <summary>ReLU: gain sqrt(2).</summary>
    Relu,
    /// <summary>Leaky ReLU with slope a: gain sqrt(2 / (1 + a^2)).</summary>
    LeakyRelu,
    /// <summary>SELU: gain 3/4.</summary>
    Selu,
}

/// <summary>Fan mode for Kaiming initialisation.</summary>
public enum FanMode
{
    /// <summary>Preserve the variance of the forward pass.</summary>
    FanIn,
    /// <summary>Preserve the variance of the backward pass.</summary>
    FanOut,
}

/// <summary>
/// In-place weight initialisers with PyTorch's formulas (<c>torch.nn.init</c>). With the same seed in a
/// <see cref="Generator"/> they draw the same numbers as PyTorch on the CPU. All run without autograd and return the tensor.
/// </summary>
public static class Init
{
    /// <summary>The recommended gain for a non-linearity (PyTorch: <c>calculate_gain</c>).</summary>
    /// <param name="nonlinearity">The non-linearity.</param>
    /// <param name="param">Negative slope for <see cref="Nonlinearity.LeakyRelu"/> (default 0.01).</param>
    public static double CalculateGain(Nonlinearity nonlinearity, double? param = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Conv or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        Nonlinearity.Selu => 3.0 / 4,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity)),
    };

    /// <summary>
    /// Fan-in and fan-out of a weight: dim 1 (resp. 0) times the product of the remaining (receptive-field) dims.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 dimensions.</exception>
    public static (long FanIn, long FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        var s = tensor.Shape;
        if (s.Length < 2) throw new ArgumentException($"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [{string.Join(", ", s)}])", nameof(tensor));
        long receptive = 1;
        for (var i = 2; i < s.Length; i++) receptive *= s[i];
        return (s[1] * receptive, s[0] * receptive);
    }

    /// <summary>Fills with U(low, high).</summary>
    public static Tensor Uniform_(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        using (Torch.NoGrad()) Torch.Uniform_(tensor, low, high, generator);
        return tensor;
    }

    /// <summary>Fills with N(mean, std²).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        using (Torch.NoGrad()) Torch.Normal_(tensor, mean, std, generator);
        return tensor;
    }

    /// <summary>Fills with <paramref name="value"/>.</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        using (Torch.NoGrad()) tensor.Fill_(value);
        return tensor;
    }

    /// <summary>Fills with zeros.</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Fills with ones.</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>Xavier/Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        var a = gain * Math.Sqrt(2.0 / (fi + fo)) * Math.Sqrt(3.0);
        return Uniform_(tensor, -a, a, generator);
    }

    /// <summary>Xavier/Glorot normal: N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fi + fo)), generator);
    }

    private static double KaimingStd(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        var fan = mode == FanMode.FanIn ? fi : fo;
        if (fan == 0) throw new ArgumentException("initialising a zero-element tensor", nameof(tensor));
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    /// <summary>
    /// Kaiming/He uniform: U(-b, b), b = gain * sqrt(3 / fan). PyTorch's Linear and Conv layers use
    /// <c>a = sqrt(5)</c> with <see cref="Nonlinearity.LeakyRelu"/>, i.e. b = 1 / sqrt(fan_in).
    /// </summary>
    /// <param name="tensor">Weight with at least 2 dimensions.</param>
    /// <param name="a">Negative slope of the following leaky ReLU.</param>
    /// <param name="mode">Which fan to use.</param>
    /// <param name="nonlinearity">The following non-linearity (PyTorch default leaky_relu).</param>
    /// <param name="generator">Optional seeded generator.</param>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu,
                                         Generator? generator = null)
    {
        var bound = Math.Sqrt(3.0) * KaimingStd(tensor, a, mode, nonlinearity);
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>Kaiming/He normal: N(0, std²), std = gain / sqrt(fan).</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu,
                                        Generator? generator = null) =>
        Normal_(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity), generator);

    /// <summary>
    /// Truncated normal: N(mean, std²) restricted to [a, b], drawn by inverse-CDF sampling exactly as PyTorch's
    /// <c>trunc_normal_</c> (uniform in CDF space, erfinv, scale, shift, clamp).
    /// </summary>
    public static Tensor TruncNormal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
    {
        static double NormCdf(double x) => (1.0 + Erf(x / Math.Sqrt(2.0))) / 2.0;
        var l = NormCdf((a - mean) / std);
        var u = NormCdf((b - mean) / std);
        using (Torch.NoGrad())
        using (var scope = Torch.NewScope())
        {
            Torch.Uniform_(tensor, 2 * l - 1, 2 * u - 1, generator);
            var t = tensor.Erfinv();
            t.Mul_(std * Math.Sqrt(2.0)).Add_(mean).Clamp_(a, b);
            tensor.Copy_(t);
        }
        return tensor;
    }

    /// <summary>The error function to double precision: Taylor series below 3, continued fraction for erfc above.</summary>
    internal static double Erf(double x)
    {
        // erf saturates to ±1 (within 1e-16) beyond 6.
        if (double.IsNaN(x)) return double.NaN;
        var ax = Math.Abs(x);
        if (ax > 6) return Math.Sign(x);
        if (ax < 3)
        {
            double sum = x, term = x, x2 = x * x;
            for (var n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        // Continued fraction for erfc (Lentz), accurate for x >= 3.
        double f = ax, c = ax, d = 0, tiny = 1e-300;
        for (var k = 1; k < 300; k++)
        {
            var an = k / 2.0;
            d = ax + an * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = ax + an / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        var erfc = Math.Exp(-ax * ax) / (f * Math.Sqrt(Math.PI));
        return Math.Sign(x) * (1 - erfc);
    }
}
