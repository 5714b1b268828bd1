using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Thorax.Data.IO;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// Builds the CXLSeg dataset from a MIMIC-CXR-JPG tree: for every frontal image (see <see cref="CxlSegCatalog"/>) it
/// decodes the JPEG, downsizes it to <see cref="CxlSegBuilderOptions.OutputSize"/>, segments the lungs with a
/// <see cref="LungModel"/> (CLAHE, model forward, threshold, <see cref="LungModel.CleanUp"/>), and writes the
/// lung-masked image (image AND mask) and its <c>-mask</c> JPEG at the source's relative path under the output root.
/// </summary>
/// <remarks>
/// <para>Resumable: outputs are written to temporary files and renamed, and images whose two outputs are complete
/// JPEGs are skipped, so a killed run can simply be started again.</para>
/// <para>Unreadable or undecodable sources are logged, skipped and listed in <c>failures/SHARD.csv</c> (merged into
/// <c>failures.csv</c>); failing to write an output or to run the model aborts the run.</para>
/// <para>Sharding: <see cref="CxlSegShard"/> picks the images by a stable hash of dicom_id; <see cref="Merge"/>
/// writes the CSVs from whatever outputs exist, so it can run once after all shards (a single-shard build merges
/// by itself).</para>
/// </remarks>
public sealed class CxlSegBuilder
{
    private readonly CxlSegBuilderOptions _o;

    /// <summary>Creates a builder; the options are validated (build-only settings when <see cref="Build"/> runs).</summary>
    /// <exception cref="ArgumentException">An invalid setting.</exception>
    public CxlSegBuilder(CxlSegBuilderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(forBuild: false);
        _o = options;
    }

    /// <summary>Folder of the per-shard failure lists, relative to the output root.</summary>
    public const string FailuresFolder = "failures";

    /// <summary>Merged failure list in the output root.</summary>
    public const string FailuresFile = "failures.csv";

    /// <summary>Reads the metadata and CheXpert CSVs and selects the images.</summary>
    public CxlSegCatalog LoadCatalog() => CxlSegCatalog.Load(_o.ResolveMetadataCsv(), _o.ResolveChexpertCsv(), _o.RequireLabels);

    /// <summary>Builds this shard's images (skipping complete ones), writes its failure list and, for a single shard,
    /// merges the CSVs.</summary>
    /// <param name="log">Receives progress lines and one line per skipped image (with its path); may be called from worker threads.</param>
    /// <param name="cancel">Stops handing out new images; finished images stay valid and a rerun resumes.</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="FileNotFoundException">The model run folder or a CSV is missing.</exception>
    /// <exception cref="Thorax.Data.DataFormatException">A malformed CSV (file, line, column).</exception>
    /// <exception cref="IOException">An output cannot be written.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> fired.</exception>
    public CxlSegBuildSummary Build(Action<string>? log = null, CancellationToken cancel = default)
    {
        _o.Validate(forBuild: true);
        var clock = Stopwatch.StartNew();
        var catalog = LoadCatalog();
        using var model = LungModel.Load(_o.ModelDir!, Thorax.Models.Runtime.TorchRuntime.ParseDevice(_o.Device));
        var shard = catalog.Images.Where(i => _o.Shard.Contains(i.DicomId)).ToList();
        var state = new int[shard.Count]; // 0 to build, 1 already done, 2 source absent
        Parallel.For(0, shard.Count, new ParallelOptions { MaxDegreeOfParallelism = _o.Workers, CancellationToken = cancel }, i =>
        {
            var img = shard[i];
            if (IsBuilt(img)) state[i] = 1;
            else if (!File.Exists(Path.Combine(_o.MimicDir, img.ImagePath))) state[i] = 2;
        });
        var pending = shard.Where((_, i) => state[i] == 0).ToList();
        int done = state.Count(s => s == 1), absent = state.Count(s => s == 2);
        var catalogSeconds = clock.Elapsed.TotalSeconds;
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"shard {_o.Shard}: {shard.Count} of {catalog.Images.Count} images; {done} already built, {absent} not in the tree, {pending.Count} to build ({_o.Workers} workers, model {model.Architecture} at {model.Size} px)"));

        clock.Restart();
        var failures = RunWorkers(pending, model, log, cancel);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var failList = failures.OrderBy(f => f.ImagePath, StringComparer.Ordinal).ToList();
        WriteFailures(Path.Combine(_o.OutDir, FailuresFolder, _o.Shard.Tag + ".csv"), failList);
        var merge = _o.Shard.Count == 1 ? MergeCatalog(catalog, log) : null;
        return new CxlSegBuildSummary(_o.Shard, catalog.Images.Count, shard.Count, absent, done, pending.Count - failList.Count,
            failList, catalogSeconds, buildSeconds, merge);
    }

    /// <summary>Writes the four CSVs (see <see cref="CxlSegCsv"/>) listing every catalogued image whose outputs are
    /// complete, and <c>failures.csv</c> from all shards' failure lists (images built since are dropped).</summary>
    /// <param name="log">Receives a summary line.</param>
    public CxlSegMergeSummary Merge(Action<string>? log = null) => MergeCatalog(LoadCatalog(), log);

    private CxlSegMergeSummary MergeCatalog(CxlSegCatalog catalog, Action<string>? log)
    {
        var images = catalog.Images;
        var built = new bool[images.Count];
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = _o.Workers }, i => built[i] = IsBuilt(images[i]));
        var written = images.Where((_, i) => built[i]).ToList();
        var counts = CxlSegCsv.Write(_o.OutDir, catalog.MetadataHeader, written, _o.SplitSeed);

        var builtPaths = new HashSet<string>(written.Select(i => i.ImagePath), StringComparer.Ordinal);
        var failed = new SortedDictionary<string, CxlSegFailure>(StringComparer.Ordinal);
        var folder = Path.Combine(_o.OutDir, FailuresFolder);
        if (Directory.Exists(folder))
        {
            foreach (var file in Directory.GetFiles(folder, "shard-*-of-*.csv").Order(StringComparer.Ordinal))
            {
                var csv = CsvTable.Read(file);
                int p = csv.Require("DicomPath"), d = csv.Require("dicom_id"), e = csv.Require("error");
                foreach (var r in csv.Records)
                {
                    var path = CsvTable.Field(r, p);
                    if (!builtPaths.Contains(path)) failed.TryAdd(path, new CxlSegFailure(path, CsvTable.Field(r, d), CsvTable.Field(r, e)));
                }
            }
        }
        var failuresPath = Path.Combine(_o.OutDir, FailuresFile);
        WriteFailures(failuresPath, failed.Values.ToList());
        var files = new[] { CxlSegCsv.MetadataFile, CxlSegCsv.SegmentedFile, CxlSegCsv.SplitFile, CxlSegCsv.MaskFile }
            .Select(f => Path.Combine(_o.OutDir, f)).Append(failuresPath).ToList();
        var summary = new CxlSegMergeSummary(images.Count, written.Count, images.Count - written.Count, failed.Count, counts, files);
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"merge: {written.Count} of {images.Count} images listed ({string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}"))}); {summary.Missing} without outputs, {failed.Count} failed"));
        return summary;
    }

    private bool IsBuilt(CxlSegImage img) =>
        CxlSegOutputFile.IsCompleteJpeg(Path.Combine(_o.OutDir, img.ImagePath)) && CxlSegOutputFile.IsCompleteJpeg(Path.Combine(_o.OutDir, img.MaskPath));

    private List<CxlSegFailure> RunWorkers(List<CxlSegImage> pending, LungModel model, Action<string>? log, CancellationToken cancel)
    {
        var failures = new ConcurrentQueue<CxlSegFailure>();
        if (pending.Count == 0) return [];
        var next = -1;
        var finished = 0;
        ExceptionDispatchInfo? fatal = null;
        var clock = Stopwatch.StartNew();
        using (var batcher = new CxlSegBatcher(model.Network, Math.Min(_o.MaxBatch, _o.Workers), model.Device))
        {
            void Work()
            {
                try
                {
                    int i;
                    while (Volatile.Read(ref fatal) == null && !cancel.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < pending.Count)
                    {
                        var img = pending[i];
                        var src = Path.Combine(_o.MimicDir, img.ImagePath);
                        Image<byte>? small = null;
                        LungSample? sample = null;
                        try
                        {
                            (small, sample) = Prepare(src, img.DicomId, model.Size);
                        }
                        catch (Exception e) when (IsSourceError(e))
                        {
                            var f = new CxlSegFailure(img.ImagePath, img.DicomId, (e.GetType().Name + ": " + e.Message).ReplaceLineEndings(" "));
                            failures.Enqueue(f);
                            log?.Invoke($"skipped {src}: {f.Error}");
                        }
                        if (small != null && sample != null) Finish(img, small, batcher.Predict(sample), model.Size);
                        var n = Interlocked.Increment(ref finished);
                        if (_o.ProgressEvery > 0 && n % _o.ProgressEvery == 0)
                            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                                $"{n}/{pending.Count} images, {n / clock.Elapsed.TotalSeconds:F1} images/s, {failures.Count} failed, mean batch {batcher.MeanBatch:F1}"));
                    }
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref fatal, ExceptionDispatchInfo.Capture(e), null);
                }
            }
            var threads = Enumerable.Range(0, Math.Min(_o.Workers, pending.Count))
                .Select(k => new Thread(Work) { IsBackground = true, Name = $"cxlseg-worker-{k}" }).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }
        fatal?.Throw();
        cancel.ThrowIfCancellationRequested();
        return failures.ToList();
    }

    /// <summary>Reads and decodes the source, converts to grey, downsizes to the output size and preprocesses for the model.</summary>
    private (Image<byte> Small, LungSample Sample) Prepare(string src, string id, int modelSize)
    {
        var decoded = Jpeg.Decode(File.ReadAllBytes(src), src);
        var grey = decoded.Channels == 1 ? decoded : PixelConvert.ToGrey(decoded);
        var s = _o.OutputSize;
        var small = grey.Width == s && grey.Height == s ? grey : Resampling.Resize(grey, s, s, _o.Downscale);
        var sample = LungDataset.Preprocess(id, small, new Image<byte>(s, s), modelSize, "mimic-cxr", src);
        return (small, sample);
    }

    /// <summary>Binary prediction -&gt; mask at the output size -&gt; clean-up -&gt; masked image; writes both JPEGs.</summary>
    private void Finish(CxlSegImage img, Image<byte> small, byte[] prediction, int modelSize)
    {
        var raw = new byte[prediction.Length];
        for (var i = 0; i < raw.Length; i++) raw[i] = prediction[i] != 0 ? (byte)255 : (byte)0;
        var mask = new Image<byte>(modelSize, modelSize, 1, raw);
        var s = _o.OutputSize;
        if (modelSize != s) mask = Resampling.Resize(mask, s, s, Interpolation.Nearest);
        mask = LungModel.CleanUp(mask);
        var segmented = new Image<byte>(s, s);
        ReadOnlySpan<byte> m = mask.Pixels, x = small.Pixels;
        var o = segmented.Pixels;
        for (var i = 0; i < o.Length; i++) o[i] = m[i] != 0 ? x[i] : (byte)0;
        // Image first, mask second: an image counts as built only when both exist, so a crash between them is redone.
        CxlSegOutputFile.Write(Path.Combine(_o.OutDir, img.ImagePath), Jpeg.Encode(segmented, _o.JpegQuality));
        CxlSegOutputFile.Write(Path.Combine(_o.OutDir, img.MaskPath), Jpeg.Encode(mask, _o.JpegQuality));
    }

    /// <summary>Problems of one source file (skip it); anything else, e.g. a missing codec library, is fatal.</summary>
    private static bool IsSourceError(Exception e) =>
        e is ImageFormatException or IOException or UnauthorizedAccessException or InvalidDataException;

    private static void WriteFailures(string path, IReadOnlyList<CxlSegFailure> failures) => DataFile.WriteAtomic(path, w =>
    {
        w.Write(CxlSegFailure.CsvHeader);
        w.Write('\n');
        foreach (var f in failures)
        {
            w.Write(CsvText.Join(f.ImagePath, f.DicomId, f.Error));
            w.Write('\n');
        }
    });
}
