using Thorax.Imaging.Ops;

namespace Thorax.Pipelines.Lungs;

/// <summary>Settings of a CXLSeg dataset build. Each default is documented; <see cref="Validate"/> checks ranges.</summary>
public sealed record CxlSegBuilderOptions
{
    /// <summary>MIMIC-CXR-JPG root: holds <c>files/</c> and (unless overridden) the metadata and CheXpert CSVs. Required.</summary>
    public string MimicDir { get; init; } = "";

    /// <summary>Output root: images, masks, CSVs, <c>failures.csv</c> and <c>failures/</c>. Required.</summary>
    public string OutDir { get; init; } = "";

    /// <summary>Lung model run folder (<c>config.json</c> + <c>model.safetensors</c>, see <see cref="LungModel.Load"/>).
    /// Required for building, not for merging.</summary>
    public string? ModelDir { get; init; }

    /// <summary>Metadata CSV; default <c>MimicDir/mimic-cxr-2.0.0-metadata.csv.gz</c> (or <c>.csv</c>).</summary>
    public string? MetadataCsv { get; init; }

    /// <summary>CheXpert CSV; default <c>MimicDir/mimic-cxr-2.0.0-chexpert.csv.gz</c> (or <c>.csv</c>).</summary>
    public string? ChexpertCsv { get; init; }

    /// <summary>Slice of the image set this run builds. Default <see cref="CxlSegShard.All"/> (0/1), which also merges.</summary>
    public CxlSegShard Shard { get; init; } = CxlSegShard.All;

    /// <summary>Parallel decode / pre-process / clean-up / encode workers (1..256). Default: the processor count.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Where the lung model runs: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA TorchSharp
    /// package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Largest batch of model inputs one forward pass takes; waiting workers' images are batched together, so
    /// the effective batch is at most min(this, <see cref="Workers"/>). 1..1024, default 16.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>Side of the square output image and mask in pixels. Default 224 (CXLSeg).</summary>
    public int OutputSize { get; init; } = 224;

    /// <summary>JPEG quality 1..100 of the outputs. Default 95 (OpenCV's <c>imwrite</c> default, as MIMIC-CXR-JPG).</summary>
    public int JpegQuality { get; init; } = 95;

    /// <summary>Kernel for the first downscale of the source X-ray to <see cref="OutputSize"/>. Default
    /// <see cref="Interpolation.Area"/> (alias-free for a ~12x reduction; OpenCV's default bilinear is
    /// <see cref="Interpolation.Linear"/>).</summary>
    public Interpolation Downscale { get; init; } = Interpolation.Area;

    /// <summary>Drop frontal images of studies without a CheXpert row, as CXLSeg did. Default true.</summary>
    public bool RequireLabels { get; init; } = true;

    /// <summary>Seed of the per-patient train/validate/test split (<see cref="CxlSegSplit"/>). Default 0.</summary>
    public ulong SplitSeed { get; init; }

    /// <summary>Log a progress line every this many finished images (0 = never). Default 1000.</summary>
    public int ProgressEvery { get; init; } = 1000;

    /// <summary>The metadata CSV path in use (explicit or found in <see cref="MimicDir"/>).</summary>
    public string ResolveMetadataCsv() => MetadataCsv ?? CxlSegCatalog.FindCsv(MimicDir, CxlSegCatalog.MetadataStem);

    /// <summary>The CheXpert CSV path in use (explicit or found in <see cref="MimicDir"/>).</summary>
    public string ResolveChexpertCsv() => ChexpertCsv ?? CxlSegCatalog.FindCsv(MimicDir, CxlSegCatalog.ChexpertStem);

    /// <summary>Throws naming the first invalid setting.</summary>
    /// <param name="forBuild">Also require <see cref="ModelDir"/> and the <c>files/</c> tree.</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    /// <exception cref="DirectoryNotFoundException">The MIMIC root (or its <c>files/</c> folder when building) is missing.</exception>
    public void Validate(bool forBuild)
    {
        if (string.IsNullOrWhiteSpace(MimicDir)) throw new ArgumentException("MimicDir (--mimic) is required", nameof(MimicDir));
        if (string.IsNullOrWhiteSpace(OutDir)) throw new ArgumentException("OutDir (--out) is required", nameof(OutDir));
        if (!Directory.Exists(MimicDir)) throw new DirectoryNotFoundException($"{MimicDir}: MIMIC-CXR-JPG root not found");
        if (Path.GetFullPath(OutDir).TrimEnd('/') == Path.GetFullPath(MimicDir).TrimEnd('/'))
            throw new ArgumentException($"--out must differ from --mimic ({OutDir}): the outputs keep the source file names", nameof(OutDir));
        if (Shard.Count < 1 || Shard.Index < 0 || Shard.Index >= Shard.Count) throw new ArgumentException($"shard {Shard} needs 0 <= i < n", nameof(Shard));
        if (Workers is < 1 or > 256) throw new ArgumentException($"workers {Workers} must be in 1..256", nameof(Workers));
        if (MaxBatch is < 1 or > 1024) throw new ArgumentException($"max batch {MaxBatch} must be in 1..1024", nameof(MaxBatch));
        if (OutputSize is < 16 or > 4096) throw new ArgumentException($"output size {OutputSize} must be in 16..4096", nameof(OutputSize));
        if (JpegQuality is < 1 or > 100) throw new ArgumentException($"JPEG quality {JpegQuality} must be in 1..100", nameof(JpegQuality));
        if (ProgressEvery < 0) throw new ArgumentException($"progress interval {ProgressEvery} must be >= 0", nameof(ProgressEvery));
        if (!forBuild) return;
        if (string.IsNullOrWhiteSpace(ModelDir)) throw new ArgumentException("ModelDir (--model) is required to build images", nameof(ModelDir));
        var files = Path.Combine(MimicDir, "files");
        if (!Directory.Exists(files)) throw new DirectoryNotFoundException($"{files}: no files/ folder under the MIMIC-CXR-JPG root");
    }
}
