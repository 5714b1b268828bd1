namespace Thorax.Models.GdVig;

/// <summary>The two published GD-ViG configurations (IPMI-NWU/GD-ViG <c>End2End_EGDCXR</c> and <c>End2End_SIIMACR</c>).</summary>
public enum GdVigVariant
{
    /// <summary>EGD-CXR (MIMIC gaze): ViG-Ti widths [48, 96, 240, 384], 3 classes (Normal, CHF, Pneumonia), a single
    /// head whose last conv is 1024 → 3, and a GMG head ending in ConvT(24 → 24) + Conv1x1(24 → 1).</summary>
    EgdCxr,

    /// <summary>SIIM-ACR (pneumothorax gaze): ViG-S widths [80, 160, 400, 640], 2 classes through the stacked head
    /// (1024 → 1000, then <c>pred2</c> BN + GELU + Dropout(0.5) + Conv1x1 1000 → 2), GMG head ending in ConvT(40 → 1).</summary>
    SiimAcr,
}

/// <summary>Configuration of a GD-ViG model (the two published ones, or reduced ones for tests and small runs).</summary>
/// <param name="Channels">Stage widths of both ViG backbones (GMG encoder and GDC).</param>
/// <param name="Blocks">Blocks per stage ([2, 2, 6, 2] in both published variants).</param>
/// <param name="NumClasses">Classes.</param>
/// <param name="StackedHead">SIIM's head: 1024 → 1000 then <c>pred2</c> (1000 → classes); otherwise 1024 → classes.</param>
/// <param name="HeadDropout">Dropout inside the head(s) (SIIM 0.5, EGD-CXR 0.0).</param>
/// <param name="PointwiseGazeOutput">EGD-CXR's GMG head (last ConvT keeps C0/2 channels, then Conv1x1 → 1) instead of
/// SIIM's (last ConvT → 1).</param>
/// <param name="GazeLambda">Weight of the gaze distance in the GDC's KNN (the authors' code: 1; their paper: 3).</param>
/// <param name="ImageSize">Input side in pixels (the published models: 224; a multiple of 32). Smaller sizes are for
/// small runs; every block's KNN needs k·dilation key nodes, which <see cref="Validate"/> checks.</param>
public sealed record GdVigOptions(
    IReadOnlyList<int> Channels,
    IReadOnlyList<int> Blocks,
    int NumClasses,
    bool StackedHead,
    double HeadDropout,
    bool PointwiseGazeOutput,
    double GazeLambda = 1.0,
    int ImageSize = 224)
{
    /// <summary>The published configuration of <paramref name="variant"/>.</summary>
    public static GdVigOptions For(GdVigVariant variant, double gazeLambda = 1.0) => variant switch
    {
        GdVigVariant.EgdCxr => new([48, 96, 240, 384], [2, 2, 6, 2], 3, StackedHead: false, HeadDropout: 0.0, PointwiseGazeOutput: true, gazeLambda),
        GdVigVariant.SiimAcr => new([80, 160, 400, 640], [2, 2, 6, 2], 2, StackedHead: true, HeadDropout: 0.5, PointwiseGazeOutput: false, gazeLambda),
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    /// <summary>The published widths and heads of <paramref name="variant"/> with other stage widths, blocks or input
    /// size (small runs on a CPU).</summary>
    public static GdVigOptions Reduced(GdVigVariant variant, IReadOnlyList<int>? channels, IReadOnlyList<int>? blocks, int imageSize, double gazeLambda = 1.0)
    {
        var o = For(variant, gazeLambda);
        return o with { Channels = channels ?? o.Channels, Blocks = blocks ?? o.Blocks, ImageSize = imageSize };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting: four stages, widths multiples of 4 (grouped
    /// graph convolution), size a multiple of 32, lambda finite and non-negative, and enough key nodes in every
    /// block for its k·dilation neighbours (the reference's topk would fail otherwise).</summary>
    public void Validate()
    {
        Backbone(NumClasses).Validate();
        if (NumClasses < 2) throw new ArgumentException($"GD-ViG needs at least 2 classes, got {NumClasses}");
        if (!double.IsFinite(GazeLambda) || GazeLambda < 0) throw new ArgumentException($"gaze lambda must be finite and >= 0, got {GazeLambda}");
        var side = ImageSize / 4;
        var idx = 0;
        for (var s = 0; s < 4; s++)
        {
            if (s > 0) side /= 2;
            var r = Vig.PyramidVigOptions.ReduceRatios[s];
            var keys = (side / r) * (side / r);
            for (var j = 0; j < Blocks[s]; j++, idx++)
            {
                var need = 9 * (idx / 4 + 1);
                if (need > keys)
                    throw new ArgumentException(FormattableString.Invariant(
                        $"image size {ImageSize} with blocks [{string.Join(", ", Blocks)}]: block {idx} (stage {s + 1}, {side}x{side} nodes, {keys} keys) needs k·dilation = {need} neighbours; use a larger size (224 fits [2, 2, 6, 2]) or fewer blocks"));
            }
        }
    }

    internal Vig.PyramidVigOptions Backbone(int numClasses) =>
        new(Channels, Blocks, numClasses, K: 9, RelativePos: false, CapDilation: false, InChannels: 3, ImageSize: ImageSize);
}
