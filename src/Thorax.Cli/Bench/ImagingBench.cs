using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench imaging</c>: DICOM decode, resize, CLAHE, large-sigma Gaussian blur and connected components in
/// Thorax and, in the same run, the Python equivalents (pydicom, OpenCV, SciPy; tools/bench/imaging_bench.py) with the
/// same thread count. Medians in milliseconds.
/// </summary>
/// <remarks>
/// <para>The DICOM is a real 1024x1024 JPEG-baseline SIIM file; the resize and CLAHE input is its decoded frame. The blur
/// and component inputs come from integer formulas that imaging_bench.py evaluates identically.</para>
/// <para>Threads: the main rows run both sides with the same thread count N (Thorax: <see cref="OpsThreading.MaxThreads"/>
/// = N row bands; OpenCV: <c>cv2.setNumThreads(N)</c>). SciPy's <c>gaussian_filter</c> is single-threaded whatever N.
/// Connected components: Thorax labels up to N row bands in parallel, OpenCV up to N strips. When N &gt; 1 the resize, CLAHE and
/// component cases are repeated as "... 1 thread" rows with both sides limited to one thread: that is the per-core
/// comparison.</para>
/// <para>Memory: every Thorax case starts after a full collection, and the CLI runs with a 5 MiB large-object threshold
/// and 8 MiB GC regions (Thorax.Cli.csproj), so 1024^2 images and 512^2 outputs are ordinary generation-0 arrays rather than fresh
/// large-object-heap memory; the "dicom -> model input" row times <see cref="Thorax.Pipelines.Lungs.LungDataset.PreprocessImage"/>,
/// the library's own preprocessing.</para>
/// </remarks>
internal static class ImagingBench
{
    public const string DicomCase = "dicom decode jpeg 1024^2";
    public const string ClaheCase = "clahe clip2 8x8 1024 u8";
    public const string BlurCase = "gauss blur s150 2000^2 f32";
    public const string CvBlurCase = "cv2 blur s150 2000^2 f32";
    public const string ResizeIntoCase = "resize 1024->512 area u8 into";
    public const string ComponentsCase = "components 8-conn 1024^2";
    public const string ModelInputCase = "dicom -> model input 224 f32";
    public const string SingleThreadSuffix = " 1 thread";

    /// <summary>Resize, CLAHE and component samples time batches of calls lasting at least this long (2 ms; the peer
    /// passes the same to its <c>median_ms</c>): a 30 us resize timed one call at a time moved by +-40% between runs on
    /// a shared two-core machine, on both sides.</summary>
    public const double MinSampleMs = 2.0;

    /// <summary>Runs every case; <paramref name="dicomPath"/> must be an 8-bit single-frame DICOM.</summary>
    public static List<BenchResult> Run(string dicomPath, int threads, int repeats, bool withPeer, Action<string> log)
    {
        var cases = new List<(string Name, Func<double> Run)>
        {
            (DicomCase, () => Timing.MedianMs(() => DecodeDicom(dicomPath), 1, repeats)),
        };
        var image = DecodeDicom(dicomPath);
        foreach (var size in new[] { 224, 512 })
        {
            foreach (var (name, interpolation) in new[] { ("linear", Interpolation.Linear), ("area", Interpolation.Area) })
                cases.Add(($"resize 1024->{size} {name} u8", () => Timing.MedianMs(() => Resampling.Resize(image, size, size, interpolation), 3, repeats * 4, minSampleMs: MinSampleMs)));
        }
        // Into a reused output (ResizeInto; cv2.resize(..., dst=buf)): the kernel without the fresh-memory cost of a new
        // 256 KiB result, which .NET hands out from not-recently-used memory while numpy reuses the block it just freed.
        var into512 = new Image<byte>(512, 512);
        cases.Add((ResizeIntoCase, () => Timing.MedianMs(() => Resampling.ResizeInto(image, into512, Interpolation.Area), 3, repeats * 4, minSampleMs: MinSampleMs)));
        cases.Add((ClaheCase, () => Timing.MedianMs(() => Histogram.Clahe(image, 2.0, 8, 8), 2, repeats * 2, minSampleMs: MinSampleMs)));
        var mask = ComponentsMask(1024, 8);
        cases.Add((ComponentsCase, () => Timing.MedianMs(() => ConnectedComponents.Label(mask, Connectivity.Eight), 2, repeats * 2, minSampleMs: MinSampleMs)));
        if (threads > 1)
        {
            // Per-core rows: the same cases with both sides on one thread.
            foreach (var (name, run) in cases.Where(c => c.Name.StartsWith("resize") || c.Name == ClaheCase || c.Name == ComponentsCase).ToList())
                cases.Add((name + SingleThreadSuffix, () => WithThreads(1, run)));
        }
        // The whole CXLSeg input path: read and decode the DICOM, CLAHE (2.0, 8x8), bilinear resize to 224, float in [0, 1].
        cases.Add((ModelInputCase, () => Timing.MedianMs(() => ModelInput(dicomPath, 224), 1, repeats)));
        var big = BlurInput(2000);
        int blurRepeats = Math.Clamp(repeats, 1, 3);
        cases.Add((BlurCase, () => Timing.MedianMs(() => Gaussian.Blur(big, 150.0, BorderMode.Reflect, 4.0), 1, blurRepeats)));
        // The same blur with cv2.GaussianBlur's semantics (kernel 1201 = round(8 sigma + 1) | 1, BORDER_REFLECT_101).
        cases.Add((CvBlurCase, () => Timing.MedianMs(() => Gaussian.CvBlur(big, 0, 0, 150.0), 1, blurRepeats)));
        if (threads > 1)
        {
            // Per core: SciPy's gaussian_filter is single-threaded anyway; OpenCV runs with cv2.setNumThreads(1).
            cases.Add((BlurCase + SingleThreadSuffix, () => WithThreads(1, () => Timing.MedianMs(() => Gaussian.Blur(big, 150.0, BorderMode.Reflect, 4.0), 1, blurRepeats))));
            cases.Add((CvBlurCase + SingleThreadSuffix, () => WithThreads(1, () => Timing.MedianMs(() => Gaussian.CvBlur(big, 0, 0, 150.0), 1, blurRepeats))));
        }

        var ours = new Dictionary<string, double>();
        foreach (var (name, run) in cases)
        {
            log($"Thorax  {name} ...");
            // Each case starts from a collected heap: the previous case's garbage is not charged to it, and its outputs
            // reuse generation-0 memory that is already mapped (numpy's malloc likewise reuses freed blocks), instead
            // of first-touch page faults of a process that has not had a collection yet.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            ours[name] = WithThreads(threads, run);
        }
        Dictionary<string, double>? peer = null;
        if (withPeer)
        {
            log("Python peer (pydicom, cv2, scipy; same cases, same threads) ...");
            peer = Commands.BenchCommand.RunPeer("imaging_bench.py", false,
                new[] { "--dicom", dicomPath, "--threads", threads.ToString(), "--repeats", repeats.ToString(), "--per-core" }, log);
        }
        return cases.Select(c => new BenchResult(c.Name, ours[c.Name], peer != null && peer.TryGetValue(c.Name, out var v) ? v : null)).ToList();
    }

    /// <summary>Runs <paramref name="run"/> with the Thorax image operations limited to <paramref name="threads"/>
    /// row bands, restoring the previous limit afterwards.</summary>
    private static double WithThreads(int threads, Func<double> run)
    {
        int saved = OpsThreading.MaxThreads;
        OpsThreading.MaxThreads = threads;
        try { return run(); }
        finally { OpsThreading.MaxThreads = saved; }
    }

    /// <summary>DICOM file to the float model input of the lung segmenter: the bench's decode, then
    /// <see cref="Thorax.Pipelines.Lungs.LungDataset.PreprocessImage"/> (what the dataset loader and the segmenter run).</summary>
    private static float[] ModelInput(string path, int size) => Thorax.Pipelines.Lungs.LungDataset.PreprocessImage(DecodeDicom(path), size);

    /// <summary>Opens, parses and decodes frame 0 into an 8-bit grey image (the timed DICOM case).</summary>
    private static Image<byte> DecodeDicom(string path)
    {
        var file = DicomFile.Open(path);
        var frame = DicomPixelData.Create(file).DecodeFrame(0);
        if (frame.Info.BitsAllocated != 8 || frame.Info.SamplesPerPixel != 1)
            throw new DicomDataException($"{path}: the imaging bench needs an 8-bit grey DICOM, got {frame.Info.BitsAllocated}-bit x {frame.Info.SamplesPerPixel}",
                DicomTag.BitsAllocated);
        return new Image<byte>(frame.Columns, frame.Rows, 1, frame.Data);
    }

    /// <summary>Blocks of <paramref name="cell"/> pixels switched on by an integer hash of the block index
    /// (imaging_bench.py's <c>components_mask</c>): about 43% foreground, a few hundred 8-connected components.</summary>
    private static Image<byte> ComponentsMask(int size, int cell)
    {
        var mask = new Image<byte>(size, size);
        for (var y = 0; y < size; y++)
        {
            var row = mask.Row(y);
            long by = y / cell;
            for (var x = 0; x < size; x++)
            {
                long bx = x / cell;
                row[x] = ((bx * 73856093) ^ (by * 19349663)) % 7 < 3 ? (byte)255 : (byte)0;
            }
        }
        return mask;
    }

    /// <summary>A diagonal ramp pattern in [0, 1] (imaging_bench.py's <c>blur_input</c>).</summary>
    private static Image<float> BlurInput(int size)
    {
        var image = new Image<float>(size, size);
        for (var y = 0; y < size; y++)
        {
            var row = image.Row(y);
            for (var x = 0; x < size; x++) row[x] = ((x * 31L + y * 17L) % 255) / 255f;
        }
        return image;
    }
}
