using System.Collections.Concurrent;
using System.Diagnostics;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic;

/// <summary>Writes a synthetic dataset (<c>thorax synth --out DIR --n N --seed S</c>) in the formats of the
/// real datasets. Layout under <see cref="SynthOptions.OutputDirectory"/>:
/// <list type="bullet">
/// <item><c>manifest.json</c>: every option, the seed, counts and the layout; <c>studies.csv</c>: one row per
/// study with all labels; <c>splits/{train,validation,test}.txt</c>: ids.</item>
/// <item><c>images/&lt;id&gt;.png</c> 8-bit; <c>images16/&lt;id&gt;.png</c> 16-bit (12-bit values) when
/// <see cref="SynthOptions.Write16BitPng"/>.</item>
/// <item><c>masks/{lungs,heart,pneumothorax,chest-tube}/&lt;id&gt;.png</c> (0/255; chest-tube: where a chest tube is drawn).</item>
/// <item><c>siim/train-rle.csv</c> (header <c>ImageId, EncodedPixels</c>, relative column-major RLE,
/// ImageId = SOP instance UID, -1 when empty).</item>
/// <item><c>montgomery/CXR_png/&lt;id&gt;.png</c>, <c>montgomery/ManualMask/{leftMask,rightMask}/&lt;id&gt;.png</c>
/// (left = patient's left lung, on the image right).</item>
/// <item><c>mimic-cxr/files/pNN/pNNNNNNNN/sNNNNNNNN/&lt;id&gt;.dcm</c>: DICOM, per <see cref="SynthOptions.Dicom"/>
/// uncompressed 12-bit or 8-bit (Explicit VR Little Endian) or JPEG Baseline 8-bit, some MONOCHROME1; the encoding of
/// each study is in <c>studies.csv</c>; the paths are listed in <c>egd-cxr/master_sheet.csv</c> (absent with
/// <see cref="DicomOutput.None"/>).</item>
/// <item><c>egd-cxr/master_sheet.csv</c>, <c>egd-cxr/fixations.csv</c>; <c>reflacx/metadata.csv</c>,
/// <c>reflacx/main_data/&lt;case&gt;/fixations.csv</c> (when <see cref="SynthOptions.WriteGaze"/>) and
/// <c>reflacx/main_data/&lt;case&gt;/transcription.txt</c> (the report, when reports are written too).</item>
/// <item><c>candid-ptx/Pneumothorax_reports.csv</c> and <c>candid-ptx/image_name_text_label.csv</c>
/// (standard row-major 1-based RLE; when <see cref="SynthOptions.WriteReports"/>).</item>
/// </list>
/// Same options give byte-identical files. Studies are generated and written in parallel, one study per worker
/// (at most <see cref="Environment.ProcessorCount"/> in flight, so memory stays bounded at a few studies); every
/// study is a pure function of (options, index) and the dataset tables are written afterwards in index order, so
/// the bytes do not depend on scheduling. Each worker generates into a reused set of pixel buffers (no fresh
/// image or mask arrays per study). PNGs are encoded with <see cref="Thorax.Imaging.Codecs.PngEncodeOptions.Fast"/>
/// (Up filter, zlib level 1 with run-length matching). <see cref="SyntheticBenchmark.Measure"/> times this method.</summary>
public static class SyntheticDatasetWriter
{
    /// <summary>Generates and writes the dataset.</summary>
    /// <param name="options">Options; <see cref="SynthOptions.OutputDirectory"/> is required.</param>
    /// <param name="progress">Receives the number of studies finished so far (from worker threads).</param>
    /// <param name="cancellationToken">Stops between studies; files already written stay.</param>
    /// <returns>Counts and timing.</returns>
    /// <exception cref="InvalidSynthOptionsException">An option is invalid or OutputDirectory is missing.</exception>
    /// <exception cref="SynthOutputExistsException">The folder is not empty and Force is false.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static SynthResult Write(SynthOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.OutputDirectory is null)
            throw new InvalidSynthOptionsException(nameof(SynthOptions.OutputDirectory), "OutputDirectory (--out) is required.");
        string root = Path.GetFullPath(options.OutputDirectory);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any() && !options.Force)
            throw new SynthOutputExistsException(root);

        var sw = Stopwatch.StartNew();
        var layout = new DatasetLayout(root, options);
        layout.CreateFolders();
        var gen = new StudyGenerator(options);
        var records = new StudyRecord[options.Count];
        int done = 0, files = 0;
        var po = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        // Each worker reuses one set of pixel buffers: a study is generated into them, written, and only its
        // pixel-free record is kept. Parallel.For retires and restarts its worker tasks every few hundred
        // milliseconds (each restart runs localInit), so the sets go back to a pool rather than being dropped.
        var pool = new ConcurrentBag<StudyBuffers>();
        Parallel.For(0, options.Count, po, () => pool.TryTake(out var b) ? b : new StudyBuffers(options.ImageSize), (i, _, buffers) =>
        {
            var st = gen.Generate(i, buffers);
            var rec = StudyRecord.From(st);
            int n = layout.WriteStudy(st, rec, buffers);
            records[i] = rec;
            Interlocked.Add(ref files, n);
            progress?.Report(Interlocked.Increment(ref done));
            return buffers;
        }, pool.Add);
        cancellationToken.ThrowIfCancellationRequested();
        files += DatasetTables.Write(layout, records, options);
        sw.Stop();
        int train = records.Count(r => r.Split == DatasetSplit.Train), val = records.Count(r => r.Split == DatasetSplit.Validation);
        int ptx = records.Count(r => r.Pneumothorax is not null);
        files += Manifest.Write(layout, records, options, gen.Backgrounds, gen.Corpus);
        return new SynthResult(root, records.Length, train, val, records.Length - train - val, ptx, files, sw.Elapsed)
        {
            BackgroundsUsed = gen.Backgrounds is null ? 0 : records.Select(r => r.Background).Distinct().Count(),
            BackgroundsSkipped = gen.Backgrounds?.Skipped ?? [],
        };
    }
}
