using System.Globalization;
using System.IO.Compression;
using System.Text;
using Thorax.Data.Mimic;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Lungs;
using Xunit.Abstractions;

namespace Thorax.Pipelines.Tests.Lungs;

/// <summary>
/// Throughput measurement of <see cref="CxlSegBuilder"/> on MIMIC-sized JPEGs (2544x3056, quality 95). Runs only when
/// <c>THORAX_CXLSEG_BENCH</c> is set to the number of images (it takes minutes); optional <c>THORAX_CXLSEG_BENCH_MODEL</c>
/// = <c>arch:size:base</c> (default <c>unet:64:8</c>) and <c>THORAX_CXLSEG_BENCH_WORKERS</c> (default: processor count).
/// See docs/cxlseg-builder.md for the command and the figures.
/// </summary>
public sealed class CxlSegBuilderBenchmark(ITestOutputHelper output)
{
    [SkippableFact]
    public void Benchmark_MimicSizedImages_ReportsImagesPerSecond()
    {
        var env = Environment.GetEnvironmentVariable("THORAX_CXLSEG_BENCH");
        Skip.If(string.IsNullOrEmpty(env), "set THORAX_CXLSEG_BENCH=<images> to measure the CXLSeg builder's throughput");
        var count = int.Parse(env!, CultureInfo.InvariantCulture);
        var spec = (Environment.GetEnvironmentVariable("THORAX_CXLSEG_BENCH_MODEL") ?? "unet:64:8").Split(':');
        var workers = int.TryParse(Environment.GetEnvironmentVariable("THORAX_CXLSEG_BENCH_WORKERS"), out var w) ? w : Environment.ProcessorCount;
        var root = Directory.CreateTempSubdirectory("thorax-cxlseg-bench-").FullName;
        var outDir = Path.Combine(root, "out");
        var model = SyntheticMimicTree.UntrainedModel(int.Parse(spec[1], CultureInfo.InvariantCulture), int.Parse(spec[2], CultureInfo.InvariantCulture), spec[0]);
        try
        {
            var mimic = Path.Combine(root, "mimic");
            var bytes = WriteTree(mimic, count);
            var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            var summary = new CxlSegBuilder(new CxlSegBuilderOptions
            {
                MimicDir = mimic, OutDir = outDir, ModelDir = model, Workers = workers, ProgressEvery = 0,
            }).Build();
            Assert.Equal((count, 0), (summary.Built, summary.Failed));
            var cpuSeconds = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"CXLSeg builder: {count} images of 2544x3056 (mean {bytes / count / 1024.0:F0} KiB), model {string.Join(':', spec)}, {workers} workers, " +
                $"{Environment.ProcessorCount} cores: {summary.BuildSeconds:F1} s, {summary.ImagesPerSecond:F2} images/s; " +
                $"243,324 images -> {243324 / summary.ImagesPerSecond / 3600:F1} h at this rate; CPU {cpuSeconds / count * 1000:F0} ms per image " +
                $"(load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}) -> {243324 * cpuSeconds / count / 3600:F1} core-hours");
            output.WriteLine(line);
            Console.WriteLine(line);
        }
        finally
        {
            Directory.Delete(root, true);
            Directory.Delete(model, true);
        }
    }

    /// <summary>Writes <paramref name="count"/> frontal 2544x3056 JPEGs (8 distinct pictures, reused) and the two CSVs; returns total JPEG bytes.</summary>
    private static long WriteTree(string root, int count)
    {
        var pictures = Enumerable.Range(0, 8).Select(i => Jpeg.Encode(Picture(2544, 3056, i), 95)).ToArray();
        var meta = new StringBuilder(SyntheticMimicTree.MetadataHeader + "\n");
        var labels = new StringBuilder("subject_id,study_id," + string.Join(",", ChexpertLabels.Names) + "\n");
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            long subject = 10000000 + 17L * i, study = 50000000 + i;
            var dicom = $"{i:x8}-bench";
            var jpeg = pictures[i % pictures.Length];
            var path = Path.Combine(root, MimicCxrPath.Build(subject, study, dicom));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, jpeg);
            total += jpeg.Length;
            meta.Append(CultureInfo.InvariantCulture, $"{dicom},{subject},{study},CHEST (PA AND LAT),PA,3056,2544,21800506,213014.531,CHEST (PA AND LAT),postero-anterior,Erect\n");
            labels.Append(CultureInfo.InvariantCulture, $"{subject},{study},{string.Join(",", ChexpertLabels.Names.Select(_ => "0.0"))}\n");
        }
        using (var gz = new GZipStream(File.Create(Path.Combine(root, "mimic-cxr-2.0.0-metadata.csv.gz")), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(meta.ToString()));
        File.WriteAllText(Path.Combine(root, "mimic-cxr-2.0.0-chexpert.csv"), labels.ToString());
        return total;
    }

    /// <summary>A chest-like picture with smooth structure and film-grain noise, so a quality-95 JPEG is about MIMIC's size.</summary>
    private static Image<byte> Picture(int w, int h, int seed)
    {
        var small = SyntheticMimicTree.ChestLike(w / 16, h / 16, seed);
        var img = Thorax.Imaging.Ops.Resampling.Resize(small, w, h, Thorax.Imaging.Ops.Interpolation.Cubic);
        var rng = new Random(seed);
        var px = img.Pixels;
        for (var i = 0; i < px.Length; i++) px[i] = (byte)Math.Clamp(px[i] + rng.Next(-3, 4), 0, 255);
        return img;
    }
}
