using Thorax.Data;
using Thorax.Data.Datasets;
using Thorax.Data.IO;
using Thorax.Training;

namespace Thorax.Pipelines.Contextual;

/// <summary>One study: image at the training size ([0, 1], row-major), pneumothorax mask (0/1), report, group.</summary>
public sealed record ContextualStudy(string Id, float[] Image, byte[] Mask, string Report, string Group, int Size);

/// <summary>Train / validation / test studies of one Monte Carlo fold.</summary>
public sealed record ContextualSplit(IReadOnlyList<ContextualStudy> Train, IReadOnlyList<ContextualStudy> Validation, IReadOnlyList<ContextualStudy> Test);

/// <summary>
/// ConTEXTual Net's data: the CANDID-PTX layout (a CSV <c>image_id,text,label</c>, label = absolute 1-based row-major
/// RLE at the image's native size or -1, and a folder of images), as published or as written by <c>thorax synth</c>
/// (<c>DIR/candid-ptx/image_name_text_label.csv</c> + <c>DIR/images/</c>; <c>studies.csv</c>'s <c>background</c>
/// column groups studies made from the same real X-ray so that a fold never splits them). Positive studies only, as
/// the paper. Images and masks are brought to the training size when read.
/// </summary>
public sealed class ContextualData
{
    private ContextualData(string source, IReadOnlyList<ContextualStudy> studies, int negativesSkipped)
    {
        Source = source;
        Studies = studies;
        NegativesSkipped = negativesSkipped;
    }

    /// <summary>The CSV read.</summary>
    public string Source { get; }
    /// <summary>The positive studies, file order.</summary>
    public IReadOnlyList<ContextualStudy> Studies { get; }
    /// <summary>Rows without a pneumothorax (label -1 or empty), left out as the paper does.</summary>
    public int NegativesSkipped { get; }

    /// <summary>The CSV and image folder of <paramref name="data"/>: a synth folder (<c>candid-ptx/</c> + <c>images/</c>), a folder
    /// holding <c>image_name_text_label.csv</c> and the images, or the CSV itself (images beside it unless <paramref name="images"/>).</summary>
    /// <exception cref="DataFormatException">Neither layout is found (the paths tried are named).</exception>
    public static (string Csv, string Images) Locate(string data, string? images = null)
    {
        if (File.Exists(data)) return (data, images ?? Path.GetDirectoryName(Path.GetFullPath(data))!);
        var synth = Path.Combine(data, "candid-ptx", "image_name_text_label.csv");
        if (File.Exists(synth)) return (synth, images ?? Path.Combine(data, "images"));
        var flat = Path.Combine(data, "image_name_text_label.csv");
        if (File.Exists(flat)) return (flat, images ?? data);
        throw new DataFormatException($"no CANDID-PTX table: neither {synth} nor {flat} exists (pass the CSV itself with --images DIR)", data);
    }

    /// <summary>Reads the positive studies at <paramref name="size"/> px (in parallel).</summary>
    /// <exception cref="DataFormatException">A missing column, an image that does not decode, or an RLE that does not fit its
    /// image (mask of another size), naming the file, line and column.</exception>
    public static ContextualData Load(string data, int size, string? images = null, Action<int, int>? progress = null)
    {
        var (csv, folder) = Locate(data, images);
        if (!Directory.Exists(folder)) throw new DataFormatException("image folder not found", folder);
        var ds = new CandidPtxDataset(csv, folder, new DatasetOptions { Size = new ImageSize(size, size), Channels = 1 });
        var groups = ReadGroups(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(csv)))!, "studies.csv"));
        var positive = Enumerable.Range(0, ds.Count).Where(i => ds.LabelsOf(i)[0] > 0).ToList();
        if (positive.Count == 0) throw new DataFormatException("no row has a pneumothorax label (RLE); ConTEXTual Net trains on positive studies only", csv);
        var studies = new ContextualStudy[positive.Count];
        var done = 0;
        try
        {
        Parallel.For(0, positive.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
        {
            var i = positive[k];
            var s = ds.Get(i);
            var id = ds.IdOf(i);
            var stem = Path.GetFileNameWithoutExtension(id);
            var report = s.Report ?? string.Empty;
            studies[k] = new ContextualStudy(stem, s.Image, s.Masks[0], report, groups.TryGetValue(stem, out var g) ? g : stem, size);
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 50 == 0 || n == positive.Count)) progress(n, positive.Count);
        });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first failing study's own exception (file, line and column named), not the parallel loop's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return new ContextualData(csv, studies, ds.Count - positive.Count);
    }

    private static Dictionary<string, string> ReadGroups(string studiesCsv)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(studiesCsv)) return map;
        var t = CsvTable.Read(studiesCsv);
        int id = t.IndexOf("id"), bg = t.IndexOf("background");
        if (id < 0 || bg < 0) return map;
        foreach (var r in t.Records)
        {
            var b = CsvTable.Field(r, bg);
            if (b.Length > 0) map[CsvTable.Field(r, id)] = b;
        }
        return map;
    }

    /// <summary>
    /// One Monte Carlo fold as the reference draws it (80% train, then the rest halved into test and validation), with
    /// Thorax's seeded generator instead of sklearn's (so the rows differ from the authors' splits for the same seed)
    /// and whole groups kept together.
    /// </summary>
    public ContextualSplit Split(int seed, double trainFraction = 0.8)
    {
        var groups = Studies.GroupBy(s => s.Group, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        groups.Sort((a, b) => string.CompareOrdinal(a[0].Group, b[0].Group));
        var perm = new SeededRandom(seed).Permutation(groups.Count);
        var n = Studies.Count;
        int nTrain = (int)Math.Round(trainFraction * n), nTest = (n - nTrain + 1) / 2;
        var train = new List<ContextualStudy>();
        var test = new List<ContextualStudy>();
        var val = new List<ContextualStudy>();
        foreach (var gi in perm)
        {
            var g = groups[gi];
            if (train.Count < nTrain) train.AddRange(g);
            else if (test.Count < nTest) test.AddRange(g);
            else val.AddRange(g);
        }
        if (train.Count < 2 || val.Count == 0 || test.Count == 0)
            throw new DataFormatException($"{n} positive studies give {train.Count} train, {val.Count} validation and {test.Count} test studies; need at least 2, 1 and 1", Source);
        return new ContextualSplit(train, val, test);
    }
}
