using Thorax.Training.Optim;
using System.Diagnostics;
using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;
using Thorax.Data.Loading;
using Thorax.Data.Siim;
using Thorax.Metrics;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Synthetic;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench data</c>: SIIM RLE decoding, the data loader, ROC AUC, synthetic-study throughput and whether the
/// loader keeps a U-Net training step fed, in Thorax and, in the same run, in Python (csv + numpy, torch DataLoader,
/// sklearn; tools/bench/data_bench.py) with the same thread count. Medians in milliseconds.
/// </summary>
/// <remarks>
/// Inputs are the real files under ../shared/data: <c>siim/train-rle.csv.gz</c> (12,954 rows, 12,047 images) and
/// <c>lungs/pairs.csv</c> (604 lung pairs, 256 px PNGs). A missing file drops its rows. The synthetic row has no peer.
/// </remarks>
internal static class DataBench
{
    // Case names are shared with tools/bench/data_bench.py.
    public const string RleDecode = "rle decode 12k union masks 1024^2";
    public const string RleStatsCase = "rle stats (pixels, bbox)";
    public const string Loader = "loader 256 imgs 512px, 2 workers";
    public const string Auc = "roc_auc 1e6 scores";
    public const string Synthetic = "synthetic study 1024px (wall)";
    public const string Realistic256 = "realistic study 256px (wall)";
    public const string Realistic1024 = "realistic study 1024px (wall)";
    public const string StepPrebuilt = "unet16 b8 step, pre-built batch";
    public const string StepFed = "unet16 b8 step, loader-fed";
    public const string Wait = "loader wait per step (mean)";

    /// <summary>Steps timed in each U-Net feed run (after one warm-up step).</summary>
    public const int FeedSteps = 4;

    /// <summary>Studies written by the synthetic-throughput row.</summary>
    public const int SyntheticStudies = 8;

    /// <summary>Studies written by each realistic-study row (on the real lung pairs).</summary>
    public const int RealisticStudies = 64;

    public static List<BenchResult> Run(string dataDir, int threads, int repeats, bool withPeer, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        var rle = Path.Combine(dataDir, "siim", "train-rle.csv.gz");
        var pairs = Path.Combine(dataDir, "lungs", "pairs.csv");
        var cases = new List<(string Name, string Unit, Func<double> Run)>();
        if (File.Exists(rle))
        {
            cases.Add((RleDecode, "ms", () => Timing.MedianMs(() => DecodeAll(rle), 1, repeats)));
            cases.Add((RleStatsCase, "ms", () => Timing.MedianMs(() => RleStats.Compute(rle), 1, repeats)));
        }
        else log($"{rle} not found: SIIM RLE rows skipped");
        if (File.Exists(pairs)) cases.Add((Loader, "ms", () => Timing.MedianMs(() => LoaderEpoch(pairs), 1, repeats)));
        else log($"{pairs} not found: loader and U-Net feed rows skipped");
        cases.Add((Auc, "ms", () => RocAuc(repeats)));
        // The dataset writer's own path (generate, encode, write every file, tables) into a temporary folder; the
        // median of `repeats` runs, each after its own 2-study warm-up.
        cases.Add((Synthetic, "ms/study", () =>
        {
            var perStudy = new double[Math.Max(1, repeats)];
            for (int i = 0; i < perStudy.Length; i++)
            {
                var r = SyntheticBenchmark.Measure(SyntheticStudies, 1024);
                perStudy[i] = r.Wall.TotalMilliseconds / r.Studies;
            }
            Array.Sort(perStudy);
            return perStudy[perStudy.Length / 2];
        }));
        // Studies on the real lung pairs (findings, devices, reports from the Indiana corpus when present): 64 studies
        // per run, so loading and checking the 604 backgrounds is part of the figure, as it is of a real run.
        if (File.Exists(pairs))
        {
            string reports = Path.Combine(dataDir, "reports");
            var template = SynthOptions.Default with
            {
                BackgroundDirectory = Path.GetDirectoryName(pairs),
                ReportCorpus = File.Exists(Path.Combine(reports, "indiana_reports.csv")) ? reports : null,
            };
            foreach (var (name, size) in new[] { (Realistic256, 256), (Realistic1024, 1024) })
                cases.Add((name, "ms/study", () =>
                {
                    var perStudy = new double[Math.Max(1, repeats)];
                    for (int i = 0; i < perStudy.Length; i++)
                    {
                        var r = SyntheticBenchmark.Measure(template, RealisticStudies, size);
                        perStudy[i] = r.Wall.TotalMilliseconds / r.Studies;
                    }
                    Array.Sort(perStudy);
                    return perStudy[perStudy.Length / 2];
                }));
        }

        var ours = new Dictionary<string, double>();
        foreach (var (name, _, run) in cases)
        {
            log($"Thorax  {name} ...");
            ours[name] = run();
        }
        var rows = cases.Select(c => (c.Name, c.Unit)).ToList();
        if (File.Exists(pairs))
        {
            log($"Thorax  {StepPrebuilt} / {StepFed} ...");
            var (prebuilt, fed, wait) = UNetFeed(pairs, FeedSteps);
            ours[StepPrebuilt] = prebuilt;
            ours[StepFed] = fed;
            ours[Wait] = wait;
            rows.AddRange(new[] { (StepPrebuilt, "ms"), (StepFed, "ms"), (Wait, "ms") });
        }

        Dictionary<string, double>? peer = null;
        if (withPeer)
        {
            log("Python peer (csv + numpy, torch DataLoader, sklearn; same cases, same threads) ...");
            peer = Commands.BenchCommand.RunPeer("data_bench.py", false, new[]
            {
                "--rle", rle, "--pairs", pairs, "--threads", threads.ToString(), "--repeats", repeats.ToString(),
                "--steps", FeedSteps.ToString(),
            }, log);
        }
        return rows.Select(r => new BenchResult(r.Name, ours[r.Name], peer != null && peer.TryGetValue(r.Name, out var v) ? v : null, r.Unit))
            .ToList();
    }

    /// <summary>Reads the CSV and decodes every image's union mask (row-major 1024x1024) into one reused buffer.</summary>
    private static void DecodeAll(string path)
    {
        var table = SiimRleTable.Read(path);
        var mask = new byte[1024 * 1024];
        foreach (var id in table.ImageIds) table.DecodeUnion(id, mask);
    }

    /// <summary>One epoch over the first 256 lung pairs: decode, resize to 512 (preset) + random flip, collate by 16.</summary>
    private static void LoaderEpoch(string pairs)
    {
        var dataset = new SubsetDataset(new LungPairsDataset(pairs), Enumerable.Range(0, 256));
        var transform = new Compose(AugmentationPresets.SiimFirstPlaceValid(512),
            new HorizontalFlip { Probability = 0.5, ReportPolicy = FlipReportPolicy.Ignore });
        var loader = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 16, NumWorkers = 2, Transform = transform });
        foreach (var batch in loader.Epoch(0)) batch.Dispose();
    }

    private static double RocAuc(int repeats)
    {
        const int n = 1_000_000;
        var rng = new Random(0);
        var labels = new int[n];
        var scores = new double[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = rng.NextDouble() < 0.3 ? 1 : 0;
            scores[i] = rng.NextDouble() + 0.5 * labels[i];
        }
        return Timing.MedianMs(() => RankingMetrics.RocAuc(scores, labels), 1, repeats * 2);
    }

    /// <summary>
    /// The 4-level U-Net (widths 16..256) trained with Adam and BCE-with-logits at batch 8, 256 px: median step time on
    /// a pre-built batch, median step time with batches pulled from a 2-worker loader (load + flip + collate), and the
    /// mean time per step spent waiting for the loader. One warm-up step precedes each run.
    /// </summary>
    private static (double Prebuilt, double Fed, double WaitMean) UNetFeed(string pairs, int steps)
    {
        var dataset = new LungPairsDataset(pairs);
        var options = new DataLoaderOptions
        {
            BatchSize = 8, NumWorkers = 2, Shuffle = true, DropLast = true,
            Transform = new HorizontalFlip { Probability = 0.5, ReportPolicy = FlipReportPolicy.Ignore },
        };
        using var model = SegmentationModels.Create("unet", 1, 1, 16);
        model.train();
        using var optimizer = new SafeAdam(model.parameters(), lr: 1e-3);
        void Step(Tensor x, Tensor y)
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad(set_to_none: true); // as the peer's opt.zero_grad(set_to_none=True)
            var loss = F.binary_cross_entropy_with_logits(model.forward(x), y);
            loss.backward();
            optimizer.step();
        }

        double prebuilt;
        using (var first = new DataLoader(dataset, options with { NumWorkers = 0, Shuffle = false }).Epoch(0).First())
            prebuilt = Timing.MedianMs(() => Step(first.Images, first.Masks!), 1, steps);

        var stepTimes = new double[steps];
        var waits = new double[steps];
        var loader = new DataLoader(dataset, options);
        using (var batches = loader.Epoch(1).GetEnumerator())
        {
            for (var k = 0; k <= steps; k++)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (!batches.MoveNext()) throw new InvalidOperationException($"{pairs}: fewer than {steps + 1} batches of 8");
                var t1 = Stopwatch.GetTimestamp();
                using (var batch = batches.Current) Step(batch.Images, batch.Masks!);
                var t2 = Stopwatch.GetTimestamp();
                if (k == 0) continue; // warm-up: worker start and first batch, like the pre-built run's warm-up step
                waits[k - 1] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                stepTimes[k - 1] = Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds;
            }
        }
        Array.Sort(stepTimes);
        var fed = steps % 2 == 1 ? stepTimes[steps / 2] : 0.5 * (stepTimes[steps / 2 - 1] + stepTimes[steps / 2]);
        return (prebuilt, fed, waits.Average());
    }
}
