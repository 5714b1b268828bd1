using System.Globalization;
using System.Text;
using Thorax.Data.Gaze;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic;

/// <summary>Writes example files for documentation (<c>thorax synth --examples DIR</c>): a contact sheet of
/// downscaled studies, the same studies with their pixel truth drawn in, gaze maps computed from the simulated
/// fixations, and the reports of the gaze-map studies.</summary>
public static class SyntheticExamples
{
    /// <summary>File names written by <see cref="WriteAll"/>.</summary>
    public const string ExamplesFile = "synth-examples.png", TruthFile = "synth-truth.png", GazeFile = "synth-gaze.png", ReportsFile = "synth-reports.md";

    /// <summary>Writes <see cref="ExamplesFile"/> (studies 0..7, 4 columns of 256 px tiles), <see cref="TruthFile"/>
    /// (the same with masks drawn in), <see cref="GazeFile"/> (see <see cref="WriteGazeSheet"/>) and
    /// <see cref="ReportsFile"/> (Markdown: labels and report of each gaze-sheet study) into
    /// <paramref name="directory"/> (created when missing; existing files of those names are replaced).</summary>
    /// <param name="options">Dataset options (validated; OutputDirectory is ignored).</param>
    /// <param name="directory">Output folder.</param>
    /// <param name="tileSize">Tile edge in pixels, 16..ImageSize (default 256, or ImageSize when smaller).</param>
    /// <returns>The paths written, in the order above.</returns>
    public static IReadOnlyList<string> WriteAll(SynthOptions options, string directory, int tileSize = 256)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        tileSize = Math.Min(tileSize, options.ImageSize);
        var paths = new[] { ExamplesFile, TruthFile, GazeFile, ReportsFile }.Select(f => Path.Combine(directory, f)).ToArray();
        WriteContactSheet(options, paths[0], count: 8, columns: 4, tileSize: tileSize);
        WriteContactSheet(options, paths[1], count: 8, columns: 4, tileSize: tileSize, overlayMasks: true);
        var gaze = WriteGazeSheet(options, paths[2], tileSize: tileSize);
        File.WriteAllText(paths[3], ReportsMarkdown(gaze), new UTF8Encoding(false));
        return paths;
    }

    /// <summary>
    /// Writes an RGB PNG of four studies side by side - the first normal study without pneumothorax, the first with a
    /// pneumothorax, the first heart failure and the first pneumonia among the first 256 (a category with no study
    /// there is skipped) - each overlaid with its gaze map. The map is computed by
    /// <see cref="GazeMaps.Reflacx"/> (duration-weighted Gaussians, sigma one degree of visual angle) from the
    /// simulated fixations exactly as they are written to REFLACX <c>fixations.csv</c> (not from the generator's
    /// finding positions), scaled to [0, 1] by its maximum, coloured with <see cref="ColorMap.Jet"/> and blended at
    /// alpha 0.5 where it exceeds 0.05. The pneumothorax truth boundary is drawn in white for orientation.
    /// </summary>
    /// <param name="options">Dataset options (validated; OutputDirectory is ignored).</param>
    /// <param name="path">Output PNG path (overwritten).</param>
    /// <param name="tileSize">Tile edge in pixels, 16..ImageSize.</param>
    /// <returns>The studies shown, left to right.</returns>
    public static IReadOnlyList<SyntheticStudy> WriteGazeSheet(SynthOptions options, string path, int tileSize = 256)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 16);
        var opts = options with { Count = Math.Max(options.Count, 256) };
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tileSize, opts.ImageSize);
        var gen = new StudyGenerator(opts);
        var picks = new List<int>();
        var wanted = new Func<StudyPlan, bool>[]
        {
            p => p.Class == FindingClass.Normal && p.Pneumothorax is null,
            p => p.Pneumothorax is not null,
            p => p.Class == FindingClass.HeartFailure,
            p => p.Class == FindingClass.Pneumonia,
        };
        foreach (var want in wanted)
            for (int i = 0; i < 256; i++)
                if (!picks.Contains(i) && want(gen.Plan(i))) { picks.Add(i); break; }
        var studies = new SyntheticStudy[picks.Count];
        Parallel.For(0, picks.Count, k => studies[k] = gen.Generate(picks[k]));

        int w = picks.Count * tileSize;
        var sheet = new Image<byte>(w, tileSize, 3);
        for (int k = 0; k < studies.Length; k++)
        {
            var st = studies[k];
            var map = GazeMapOf(st);
            var grey = new byte[tileSize * tileSize];
            Downscale(st.Image8, st.Width, grey, tileSize, 0, 0, tileSize);
            var heat = new float[tileSize * tileSize];
            DownscaleFloat(map.Data, st.Width, heat, tileSize);
            GazeMaps.Normalize(heat, GazeMapNormalization.Max);
            var coloured = ColorMaps.Apply(new Image<float>(tileSize, tileSize, 1, heat), ColorMap.Jet);
            var mask = new Image<byte>(tileSize, tileSize);
            for (int i = 0; i < heat.Length; i++) mask.Data[i] = (byte)(heat[i] > 0.05f ? 255 : 0);
            var tile = ColorMaps.Overlay(new Image<byte>(tileSize, tileSize, 1, grey), coloured, 0.5, mask);
            var ptx = new byte[tileSize * tileSize];
            Downscale(st.PneumothoraxMask, st.Width, ptx, tileSize, 0, 0, tileSize);
            for (int y = 0; y < tileSize; y++)
                for (int x = 0; x < tileSize; x++)
                {
                    if (!IsBoundary(ptx, tileSize, x, y)) continue;
                    for (int c = 0; c < 3; c++) tile[x, y, c] = 255;
                }
            for (int y = 0; y < tileSize; y++)
                tile.Row(y).CopyTo(sheet.Row(y).Slice(k * tileSize * 3, tileSize * 3));
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Png.Encode(sheet));
        return studies;
    }

    /// <summary>The study's gaze map (REFLACX convention, sum-normalised) from its fixations as written to REFLACX
    /// <c>fixations.csv</c>: positions rounded to 0.01 px, times to 0.1 ms, one degree of visual angle =
    /// <see cref="DatasetLayout.ScreenPixelsPerDegree"/> x height / 1080 image pixels, whole image shown.</summary>
    public static GazeMap GazeMapOf(SyntheticStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        double ppd = Math.Round(DatasetLayout.ScreenPixelsPerDegree * study.Height / 1080.0, 3);
        var fixations = study.Fixations.Select(f => new ReflacxFixation(
            Math.Round(f.StartSeconds, 4), Math.Round(f.StartSeconds + f.DurationSeconds, 4),
            Math.Round(f.X, 2), Math.Round(f.Y, 2), ppd, ppd, 0, 0, study.Width, study.Height));
        return GazeMaps.Reflacx(fixations, study.Width, study.Height);
    }

    /// <summary>Markdown listing each study's id, labels and report.</summary>
    internal static string ReportsMarkdown(IEnumerable<SyntheticStudy> studies)
    {
        var sb = new StringBuilder();
        foreach (var st in studies)
        {
            var p = st.Pneumothorax;
            string labels = DatasetTables.Name(st.Class) + (p is null ? ", no pneumothorax"
                : string.Create(CultureInfo.InvariantCulture, $", pneumothorax {p.Size.ToString().ToLowerInvariant()} {p.Side.ToString().ToLowerInvariant()} {p.Location.ToString().ToLowerInvariant()}"));
            sb.Append("**Study ").Append(st.Index.ToString(CultureInfo.InvariantCulture)).Append("** (").Append(labels).Append(")\n\n");
            var lines = st.Report.Split('\n').Select(l => "> " + l.TrimEnd());
            sb.AppendJoin("\n>\n", lines).Append("\n\n");
        }
        return sb.ToString();
    }

    private static bool IsBoundary(byte[] mask, int size, int x, int y)
    {
        if (mask[y * size + x] < 128) return false;
        return x == 0 || y == 0 || x == size - 1 || y == size - 1
            || mask[y * size + x - 1] < 128 || mask[y * size + x + 1] < 128 || mask[(y - 1) * size + x] < 128 || mask[(y + 1) * size + x] < 128;
    }

    private static void DownscaleFloat(float[] src, int size, float[] dst, int tile)
    {
        for (int ty = 0; ty < tile; ty++)
        {
            int y0 = ty * size / tile, y1 = Math.Max(y0 + 1, (ty + 1) * size / tile);
            for (int tx = 0; tx < tile; tx++)
            {
                int x0 = tx * size / tile, x1 = Math.Max(x0 + 1, (tx + 1) * size / tile);
                double sum = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) sum += src[y * size + x];
                dst[ty * tile + tx] = (float)(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }

    /// <summary>Renders studies 0..count-1 of <paramref name="options"/> and writes an 8-bit greyscale PNG
    /// contact sheet of <paramref name="columns"/> columns with tiles of <paramref name="tileSize"/> pixels
    /// (box-downscaled). When <paramref name="overlayMasks"/> is true, lung fields are lightened, the heart is
    /// darkened and pneumothorax pixels are drawn white, to show the pixel truth.</summary>
    /// <param name="options">Dataset options (validated; OutputDirectory is ignored).</param>
    /// <param name="path">Output PNG path (overwritten).</param>
    /// <param name="count">Number of studies, 1..64.</param>
    /// <param name="columns">Tiles per row, 1..16.</param>
    /// <param name="tileSize">Tile edge in pixels, 16..ImageSize.</param>
    /// <param name="overlayMasks">Draw masks over the image.</param>
    /// <returns>The studies that were rendered.</returns>
    public static IReadOnlyList<SyntheticStudy> WriteContactSheet(SynthOptions options, string path, int count = 8,
        int columns = 4, int tileSize = 256, bool overlayMasks = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(columns, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 16);
        var opts = options with { Count = Math.Max(options.Count, count) };
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tileSize, opts.ImageSize);
        var gen = new StudyGenerator(opts);
        var studies = new SyntheticStudy[count];
        Parallel.For(0, count, i => studies[i] = gen.Generate(i));
        int rows = (count + columns - 1) / columns;
        int w = columns * tileSize, h = rows * tileSize;
        var sheet = new byte[w * h];
        for (int k = 0; k < count; k++)
        {
            var st = studies[k];
            var img = st.Image8;
            if (overlayMasks)
            {
                img = (byte[])img.Clone();
                for (int i = 0; i < img.Length; i++)
                {
                    if (st.PneumothoraxMask[i] != 0) img[i] = 255;
                    else if (st.RightLungMask[i] != 0 || st.LeftLungMask[i] != 0) img[i] = (byte)(img[i] / 2 + 110);
                    else if (st.HeartMask[i] != 0) img[i] = (byte)(img[i] / 3);
                }
            }
            Downscale(img, st.Width, sheet, w, (k % columns) * tileSize, (k / columns) * tileSize, tileSize);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Png.Encode(new Image<byte>(w, h, 1, sheet)));
        return studies;
    }

    private static void Downscale(byte[] src, int size, byte[] dst, int dstWidth, int ox, int oy, int tile)
    {
        for (int ty = 0; ty < tile; ty++)
        {
            int y0 = ty * size / tile, y1 = Math.Max(y0 + 1, (ty + 1) * size / tile);
            for (int tx = 0; tx < tile; tx++)
            {
                int x0 = tx * size / tile, x1 = Math.Max(x0 + 1, (tx + 1) * size / tile);
                int sum = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) sum += src[y * size + x];
                dst[(oy + ty) * dstWidth + ox + tx] = (byte)(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }
}
