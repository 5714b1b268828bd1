namespace Thorax.Models.Vig;

/// <summary>
/// Configuration of a pyramid Vision GNN (huawei <c>pyramid_vig.py</c>'s <c>OptInit</c>, plus the switches GD-ViG's
/// copies hard-code differently).
/// </summary>
/// <param name="Channels">Channels of the four stages.</param>
/// <param name="Blocks">Grapher+FFN blocks per stage.</param>
/// <param name="NumClasses">Classifier outputs; 0 for a backbone without <c>prediction</c> (GD-ViG's GMG encoder).</param>
/// <param name="K">Neighbours per node (9).</param>
/// <param name="RelativePos">Relative position term in every Grapher (huawei: true; GD-ViG: false).</param>
/// <param name="CapDilation">Cap the dilation at <c>49 // k</c> (huawei: true; GD-ViG: false; equal for 12 blocks).</param>
/// <param name="DropPath">Largest stochastic depth rate (linearly increasing over the blocks).</param>
/// <param name="Dropout">Dropout of the head.</param>
/// <param name="InChannels">Input channels of the stem.</param>
/// <param name="ImageSize">Input size the position embedding and relative positions are built for (224).</param>
public sealed record PyramidVigOptions(
    IReadOnlyList<int> Channels,
    IReadOnlyList<int> Blocks,
    int NumClasses = 1000,
    int K = 9,
    bool RelativePos = true,
    bool CapDilation = true,
    double DropPath = 0.0,
    double Dropout = 0.0,
    int InChannels = 3,
    int ImageSize = 224)
{
    /// <summary>Key pooling ratio of each stage.</summary>
    public static IReadOnlyList<int> ReduceRatios { get; } = [4, 2, 1, 1];

    /// <summary>Pyramid ViG-Ti: [48, 96, 240, 384], blocks [2, 2, 6, 2].</summary>
    public static PyramidVigOptions Tiny(int numClasses = 1000) => new([48, 96, 240, 384], [2, 2, 6, 2], numClasses);

    /// <summary>Pyramid ViG-S: [80, 160, 400, 640], blocks [2, 2, 6, 2].</summary>
    public static PyramidVigOptions Small(int numClasses = 1000) => new([80, 160, 400, 640], [2, 2, 6, 2], numClasses);

    /// <summary>Pyramid ViG-M: [96, 192, 384, 768], blocks [2, 2, 16, 2].</summary>
    public static PyramidVigOptions Medium(int numClasses = 1000) => new([96, 192, 384, 768], [2, 2, 16, 2], numClasses);

    /// <summary>Pyramid ViG-B: [128, 256, 512, 1024], blocks [2, 2, 18, 2].</summary>
    public static PyramidVigOptions Base(int numClasses = 1000) => new([128, 256, 512, 1024], [2, 2, 18, 2], numClasses);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (Channels.Count != 4 || Blocks.Count != 4) throw new ArgumentException("a pyramid ViG has four stages (channels and blocks)");
        if (Channels.Any(c => c < 4 || c % 4 != 0)) throw new ArgumentException($"stage channels must be positive multiples of 4 (grouped graph convolution), got [{string.Join(", ", Channels)}]");
        if (Blocks.Any(b => b < 1)) throw new ArgumentException("every stage needs at least one block");
        if (ImageSize % 32 != 0) throw new ArgumentException($"the image size must be a multiple of 32, got {ImageSize}");
        if (NumClasses < 0) throw new ArgumentOutOfRangeException(nameof(NumClasses));
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K));
    }
}
