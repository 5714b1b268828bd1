using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Pipelines.Saliency;

/// <summary>
/// The input and gaze-target geometry of CXRGazeLearn's data preparation (seed-specs 2.4, <c>process</c>): zero-pad
/// centrally to a canvas (left = int((W−w)/2), the remainder on the right; the same vertically; a negative pad crops),
/// subsample by strided slicing with <see cref="Stride"/> (nearest, no anti-aliasing); the image is then divided by its
/// maximum and the gaze map min-max scaled. <see cref="Reference"/> is the reference's 3200 x 2560 canvas with stride
/// 10 (320 x 256) for MIMIC-CXR DICOMs; <see cref="ForImageSize"/> scales the same construction to smaller images
/// (e.g. 256 px synthetic studies: a 320 x 256 canvas, the reference's 5:4 aspect), so the network sees the reference's
/// aspect and padding on any data.
/// </summary>
/// <param name="CanvasHeight">Padded height (a multiple of 32·stride).</param>
/// <param name="CanvasWidth">Padded width (a multiple of 32·stride).</param>
/// <param name="Stride">Subsampling stride D.</param>
public sealed record SaliencyGeometry(int CanvasHeight, int CanvasWidth, int Stride)
{
    /// <summary>The reference's canvas for D = 10: (int(3056/D/32)+1)·32·D by (int(2544/D/32)+1)·32·D = 3200 x 2560, output 320 x 256.</summary>
    public static SaliencyGeometry Reference { get; } = ForReference(SaliencyInput.ReferenceDownsample);

    /// <summary>The reference's canvas for downsample <paramref name="d"/> (seed-specs 2.4).</summary>
    public static SaliencyGeometry ForReference(int d)
    {
        var (h, w) = SaliencyInput.Canvas(d);
        return new SaliencyGeometry(h, w, d);
    }

    /// <summary>
    /// The smallest canvas of at least the reference's 5:4 (H:W) aspect that holds a <paramref name="width"/> x
    /// <paramref name="height"/> image, each side a multiple of 32·<paramref name="stride"/> (so the output is a multiple of
    /// 32 as the DenseNet needs): W = ceil(w / 32D)·32D, H = max(ceil(h / 32D), ceil(1.25·W / 32D))·32D. A 256 px image
    /// gives 320 x 256 (stride 1) or 160 x 128 (stride 2).
    /// </summary>
    public static SaliencyGeometry ForImageSize(int width, int height, int stride)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height}");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "stride must be at least 1");
        var unit = 32 * stride;
        var w = (width + unit - 1) / unit * unit;
        var h = Math.Max((height + unit - 1) / unit, (int)Math.Ceiling(1.25 * w / unit)) * unit;
        return new SaliencyGeometry(h, w, stride);
    }

    /// <summary>Network input height (canvas / stride).</summary>
    public int OutputHeight => CanvasHeight / Stride;

    /// <summary>Network input width (canvas / stride).</summary>
    public int OutputWidth => CanvasWidth / Stride;

    /// <summary>
    /// The reference's GaussianBlur kernel (<c>blur = 500</c> → 501 taps, σ = 0 → OpenCV's 75.5 px) on the 3200-row
    /// canvas, scaled with the canvas height: 2·round(250·CanvasHeight/3200)+1 taps (σ from OpenCV's rule).
    /// </summary>
    public int BlurKernel => 2 * (int)Math.Round(250.0 * CanvasHeight / Reference.CanvasHeight, MidpointRounding.AwayFromZero) + 1;

    /// <summary>Pads (or crops) <paramref name="plane"/> (row-major <paramref name="width"/> x <paramref name="height"/>) to the
    /// canvas and subsamples it: [OutputHeight x OutputWidth], row-major.</summary>
    public float[] PadAndSubsample(ReadOnlySpan<float> plane, int width, int height)
    {
        if (plane.Length != width * height) throw new ArgumentException($"plane holds {plane.Length} values, not {width}x{height}");
        int oh = OutputHeight, ow = OutputWidth;
        int top = (int)((CanvasHeight - height) / 2.0), left = (int)((CanvasWidth - width) / 2.0);
        var dst = new float[oh * ow];
        for (var i = 0; i < oh; i++)
        {
            var y = i * Stride - top;
            if (y < 0 || y >= height) continue;
            for (var j = 0; j < ow; j++)
            {
                var x = j * Stride - left;
                if (x >= 0 && x < width) dst[i * ow + j] = plane[y * width + x];
            }
        }
        return dst;
    }

    /// <summary>The network input: padded, subsampled, divided by its maximum (the reference's <c>cxr /= cxr.max()</c>).</summary>
    /// <exception cref="InvalidDataException">The prepared image is all zero (named).</exception>
    public float[] PrepareImage(ReadOnlySpan<float> plane, int width, int height, string source)
    {
        var x = PadAndSubsample(plane, width, height);
        var max = x.Length == 0 ? 0 : x.Max();
        if (!(max > 0) || !float.IsFinite(max))
            throw new InvalidDataException($"{source}: the prepared image's maximum is {max}; it cannot be scaled to [0, 1] (an all-black image?)");
        for (var k = 0; k < x.Length; k++) x[k] /= max;
        return x;
    }

    /// <summary>
    /// The reference's gaze target (<c>get_gaze_heatmap</c> then <c>process</c>): gaze samples counted per pixel on the
    /// image grid (a point (x, y) kept when 0 ≤ x &lt; w and 0 ≤ y &lt; h, coordinates truncated to integers as
    /// <c>astype(int32)</c>), <c>cv2.GaussianBlur</c> with <see cref="BlurKernel"/> taps and σ = 0 (OpenCV's rule,
    /// BORDER_REFLECT_101), divided by the maximum, padded and subsampled as the image, then min-max scaled to [0, 1].
    /// </summary>
    /// <param name="points">(x, y, weight): weight 1 per raw 60 Hz sample (eye_gaze.csv).</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="source">Named in errors (file and study).</param>
    /// <returns>The map and the number of points inside the image.</returns>
    /// <exception cref="InvalidDataException">No sample falls inside the image, or the subsampled map is constant (KL undefined).</exception>
    public (float[] Map, int Inside) GazeTarget(IEnumerable<(double X, double Y, double Weight)> points, int width, int height, string source)
    {
        var counts = new float[width * height];
        var inside = 0;
        foreach (var (px, py, w) in points)
        {
            if (!double.IsFinite(px) || !double.IsFinite(py)) continue;
            var x = (int)px;
            var y = (int)py;
            if (x < 0 || x >= width || y < 0 || y >= height) continue;
            counts[y * width + x] += (float)w;
            inside++;
        }
        if (inside == 0)
            throw new InvalidDataException($"{source}: none of the gaze samples lies inside the {width}x{height} image; the gaze map would be all zero and KL undefined");
        var blurred = Gaussian.CvBlur(new Image<float>(width, height, 1, counts), BlurKernel, BlurKernel, 0, 0, BorderMode.Reflect101).Data;
        var max = blurred.Max();
        if (!(max > 0)) throw new InvalidDataException($"{source}: the blurred gaze map is all zero; KL undefined");
        for (var k = 0; k < blurred.Length; k++) blurred[k] /= max;
        var map = PadAndSubsample(blurred, width, height);
        float lo = map.Min(), hi = map.Max();
        if (!(hi > lo)) throw new InvalidDataException($"{source}: the subsampled gaze map is constant ({lo}); KL undefined");
        for (var k = 0; k < map.Length; k++) map[k] = (map[k] - lo) / (hi - lo);
        return (map, inside);
    }

    /// <summary>As config JSON.</summary>
    public JsonObject ToJson() => new() { ["canvas_height"] = CanvasHeight, ["canvas_width"] = CanvasWidth, ["stride"] = Stride, ["blur_kernel"] = BlurKernel };

    /// <summary>Reads <see cref="ToJson"/>'s form.</summary>
    public static SaliencyGeometry FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{source}: 'geometry' is missing");
        int Get(string k) => o[k]?.GetValue<int>() ?? throw new InvalidDataException($"{source}: geometry.{k} is missing");
        return new SaliencyGeometry(Get("canvas_height"), Get("canvas_width"), Get("stride"));
    }
}
