namespace Thorax.Nn;

/// <summary>
/// Resizes (N, C, H, W) inputs to a fixed size or by a scale factor with nearest, bilinear or bicubic interpolation.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Upsample</c>.</remarks>
public sealed class Upsample : Module<Tensor, Tensor>
{
    private readonly long[]? _size;
    private readonly double[]? _scale;

    private Upsample(long[]? size, double[]? scale, InterpolationMode mode, bool? alignCorners)
    {
        if (alignCorners.HasValue && mode is InterpolationMode.Nearest or InterpolationMode.NearestExact or InterpolationMode.Area)
            throw new ArgumentException("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear");
        _size = size;
        _scale = scale;
        Mode = mode;
        AlignCorners = alignCorners;
    }

    /// <summary>Resizes by <paramref name="scaleFactor"/> in both spatial dimensions.</summary>
    public static Upsample ByScale(double scaleFactor, InterpolationMode mode = InterpolationMode.Nearest, bool? alignCorners = null) =>
        new(null, new[] { scaleFactor, scaleFactor }, mode, alignCorners);

    /// <summary>Resizes to (height, width).</summary>
    public static Upsample ToSize(long height, long width, InterpolationMode mode = InterpolationMode.Nearest, bool? alignCorners = null) =>
        new(new[] { height, width }, null, mode, alignCorners);

    /// <summary>Interpolation mode.</summary>
    public InterpolationMode Mode { get; }

    /// <summary>PyTorch's align_corners (null = default false).</summary>
    public bool? AlignCorners { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Interpolate(input, _size, _scale, Mode, AlignCorners);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        (_size is not null ? $"size=({_size[0]}, {_size[1]})" : $"scale_factor={_scale![0]}") + $", mode={Mode}";
}
