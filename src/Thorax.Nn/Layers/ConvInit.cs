namespace Thorax.Nn;

/// <summary>Shared parameter creation and padding for the convolution layers.</summary>
internal static class ConvInit
{
    /// <summary>Creates weight and bias as PyTorch's <c>_ConvNd.reset_parameters</c>.</summary>
    public static (Tensor Weight, Tensor? Bias) Create(long[] weightShape, long biasSize, bool bias, DType dtype, Generator? generator)
    {
        var w = Torch.Empty(weightShape, dtype);
        Init.KaimingUniform_(w, Math.Sqrt(5), generator: generator);
        Tensor? b = null;
        if (bias)
        {
            b = Torch.Empty(new[] { biasSize }, dtype);
            var (fanIn, _) = Init.CalculateFanInAndFanOut(w);
            var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Init.Uniform_(b, -bound, bound, generator);
        }
        return (w, b);
    }

    public static PadMode ToPadMode(PaddingMode m) => m switch
    {
        PaddingMode.Reflect => PadMode.Reflect,
        PaddingMode.Replicate => PadMode.Replicate,
        PaddingMode.Circular => PadMode.Circular,
        _ => PadMode.Constant,
    };

    /// <summary>PyTorch's <c>_reversed_padding_repeated_twice</c>: last dim first, each side twice.</summary>
    public static long[] ReversedTwice(long[] padding)
    {
        var r = new long[padding.Length * 2];
        for (var i = 0; i < padding.Length; i++)
        {
            r[2 * i] = padding[padding.Length - 1 - i];
            r[2 * i + 1] = padding[padding.Length - 1 - i];
        }
        return r;
    }

    public static string Name(PaddingMode m) => m switch
    {
        PaddingMode.Reflect => "reflect",
        PaddingMode.Replicate => "replicate",
        PaddingMode.Circular => "circular",
        _ => "zeros",
    };

    public static void CheckChannels(long inChannels, long outChannels, long groups)
    {
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, "groups must be a positive integer");
        if (inChannels % groups != 0) throw new ArgumentException($"in_channels ({inChannels}) must be divisible by groups ({groups})");
        if (outChannels % groups != 0) throw new ArgumentException($"out_channels ({outChannels}) must be divisible by groups ({groups})");
    }
}
