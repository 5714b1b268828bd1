using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Thorax.Imaging.Ops;
using Thorax.Pipelines.Lungs;

namespace Thorax.Cli.Commands;

/// <summary>
/// <c>thorax lungs build-dataset</c>: builds CXLSeg (lung-masked 224x224 images, <c>-mask</c> JPEGs and the four gzip
/// CSVs) from a MIMIC-CXR-JPG tree with a trained lung model; resumable, shardable (<c>--shard i/n</c>, then
/// <c>--merge</c>). Exit codes: 0 done (failed images are skipped, counted and listed in failures.csv); 2 bad input
/// (option, file or CSV named); 3 the merge wrote the CSVs but selected images other than the listed failures lack
/// outputs (unfinished shards, sources missing from the tree); 1 engine error.
/// </summary>
internal static class LungsBuildDatasetCommand
{
    public static Command Create()
    {
        var d = new CxlSegBuilderOptions();
        var model = new Option<string>("--model") { Description = "Lung model run folder (config.json + model.safetensors); not needed with --merge." };
        var mimic = new Option<string>("--mimic") { Description = "MIMIC-CXR-JPG root: files/, mimic-cxr-2.0.0-metadata.csv[.gz], mimic-cxr-2.0.0-chexpert.csv[.gz].", Required = true };
        var output = new Option<string>("--out") { Description = "Output root (same relative layout as MIMIC; CSVs, failures.csv).", Required = true };
        var shard = new Option<string>("--shard") { Description = "Build shard i of n (0-based, by a stable hash of dicom_id), e.g. 3/16. With n > 1 run --merge afterwards.", DefaultValueFactory = _ => "0/1" };
        var workers = new Option<int>("--workers") { Description = "Parallel decode/segment/encode workers.", DefaultValueFactory = _ => d.Workers };
        var merge = new Option<bool>("--merge") { Description = "Only write the four CSVs and failures.csv from the outputs of all shards." };
        var batch = new Option<int>("--max-batch") { Description = "Largest model batch (waiting workers' images are batched).", DefaultValueFactory = _ => d.MaxBatch };
        var size = new Option<int>("--size") { Description = "Output image and mask size in pixels.", DefaultValueFactory = _ => d.OutputSize };
        var quality = new Option<int>("--quality") { Description = "Output JPEG quality.", DefaultValueFactory = _ => d.JpegQuality };
        var downscale = new Option<string>("--downscale") { Description = "Kernel for downsizing the source: area or linear.", DefaultValueFactory = _ => "area" };
        var keep = new Option<bool>("--keep-unlabelled") { Description = "Keep frontal images of studies without a CheXpert row (CXLSeg dropped them)." };
        var metadata = new Option<string?>("--metadata") { Description = "Metadata CSV (default: found in --mimic)." };
        var chexpert = new Option<string?>("--chexpert") { Description = "CheXpert CSV (default: found in --mimic)." };
        var seed = new Option<ulong>("--split-seed") { Description = "Seed of the per-patient 80:10:10 split.", DefaultValueFactory = _ => 0UL };
        var every = new Option<int>("--progress-every") { Description = "Progress line every N images (0 = none).", DefaultValueFactory = _ => d.ProgressEvery };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("build-dataset",
            "Build the CXLSeg dataset from MIMIC-CXR-JPG: frontal (PA/AP) images segmented and lung-masked at 224x224 with their -mask JPEGs, " +
            "and CXLSeg-{metadata,segmented,split,mask}.csv.gz. Resumable; --shard i/n for Slurm arrays or Kubernetes indexed jobs, then --merge.")
            { model, mimic, output, shard, workers, merge, batch, size, quality, downscale, keep, metadata, chexpert, seed, every, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var o = new CxlSegBuilderOptions
            {
                Device = r.GetValue(deviceOpt)!, ModelDir = r.GetValue(model), MimicDir = r.GetValue(mimic)!, OutDir = r.GetValue(output)!, Shard = CxlSegShard.Parse(r.GetValue(shard)!),
                Workers = r.GetValue(workers), MaxBatch = r.GetValue(batch), OutputSize = r.GetValue(size), JpegQuality = r.GetValue(quality),
                Downscale = r.GetValue(downscale)!.Trim().ToLowerInvariant() switch
                {
                    "area" => Interpolation.Area,
                    "linear" => Interpolation.Linear,
                    var other => throw new ArgumentException($"--downscale '{other}': use area or linear"),
                },
                RequireLabels = !r.GetValue(keep), MetadataCsv = r.GetValue(metadata), ChexpertCsv = r.GetValue(chexpert), SplitSeed = r.GetValue(seed),
                ProgressEvery = r.GetValue(every),
            };
            var builder = new CxlSegBuilder(o);
            void Log(string line) => Console.Error.WriteLine(line);
            var asJson = r.GetValue(json);
            var inv = CultureInfo.InvariantCulture;
            CxlSegMergeSummary? merged;
            if (r.GetValue(merge))
            {
                merged = builder.Merge(Log);
                if (asJson) CliJson.Print(new { merge = merged });
            }
            else
            {
                var s = builder.Build(Log);
                merged = s.Merge;
                if (asJson)
                {
                    CliJson.Print(new
                    {
                        shard = s.Shard.ToString(), catalogued = s.Catalogued, in_shard = s.InShard, absent_source = s.AbsentSource, already_done = s.AlreadyDone,
                        built = s.Built, failed = s.Failed, catalog_seconds = Math.Round(s.CatalogSeconds, 2), build_seconds = Math.Round(s.BuildSeconds, 2),
                        images_per_second = Math.Round(s.ImagesPerSecond, 2), merge = s.Merge,
                    });
                }
                else
                {
                    Console.WriteLine(string.Create(inv,
                        $"shard {s.Shard}: built {s.Built}, failed {s.Failed}, already done {s.AlreadyDone}, not in tree {s.AbsentSource} (of {s.InShard} in shard, {s.Catalogued} in all); " +
                        $"{s.BuildSeconds:F1} s, {s.ImagesPerSecond:F2} images/s"));
                    if (s.Failed > 0) Console.WriteLine($"failed images are listed in {Path.Combine(o.OutDir, CxlSegBuilder.FailuresFolder, o.Shard.Tag + ".csv")}");
                    if (s.Merge == null) Console.WriteLine($"shard done; after all {o.Shard.Count} shards finish run: thorax lungs build-dataset --mimic {o.MimicDir} --out {o.OutDir} --merge");
                }
            }
            if (merged != null && !asJson)
                Console.WriteLine($"wrote {string.Join(", ", merged.Files)}: {merged.Written} images, {merged.Missing} without outputs, {merged.Failed} failed");
            return merged != null && merged.Missing > merged.Failed ? 3 : 0;
        }));
        return cmd;
    }
}
