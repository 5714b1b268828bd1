using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Data.Reports;
using Thorax.Imaging;
using Thorax.Training;

namespace Thorax.Pipelines.Contextual;

/// <summary>One row of the ablation: a name and how it changes the base options.</summary>
public sealed record ContextualVariant(string Key, string Name, Func<ContextualOptions, ContextualOptions> Apply, double? PaperMean, double? PaperSd);

/// <summary>A finished row: per-fold test Dice and, for language models, the test-time empty/swapped-report Dice.</summary>
public sealed record ContextualAblationRow(ContextualVariant Variant, IReadOnlyList<int> Seeds, IReadOnlyList<double> Dice,
    IReadOnlyList<double> EmptyReportDice, IReadOnlyList<double> SwappedSideDice, IReadOnlyList<int> Epochs)
{
    /// <summary>Mean and SD over folds of the test Dice.</summary>
    public (double Mean, double Sd) Summary => ContextualDice.MeanSd(Dice);
}

/// <summary>
/// The paper's Table 1 as one run: every variant trained on the same Monte Carlo folds (the paper's seeds 98, 117,
/// 295, 456, 915; the first N), test Dice mean ± SD over folds; resumable (a finished fold's metrics.json is reused, an
/// unfinished one resumes from its checkpoints). Writes table.md, table.json and report.html.
/// </summary>
public static class ContextualAblation
{
    /// <summary>The paper's seeds.</summary>
    public static readonly int[] PaperSeeds = [98, 117, 295, 456, 915];

    /// <summary>The rows, in the paper's order (paper means and SDs from its Table 1, CANDID-PTX, T5-Large, 1024 px).</summary>
    public static IReadOnlyList<ContextualVariant> Variants { get; } =
    [
        new("unet", "U-Net", o => o with { Language = false }, 0.687, 0.014),
        new("contextual", "ConTEXTual Net", o => o, 0.716, 0.016),
        new("empty", "ConTEXTual Net, empty reports", o => o with { EmptyReports = true }, 0.671, 0.019),
        new("flip-keep-text", "ConTEXTual Net, flipped, text not swapped", o => o with { Flip = ContextualFlip.KeepText }, 0.675, 0.016),
        new("flip-swap", "ConTEXTual Net, flipped, left/right swapped", o => o with { Flip = ContextualFlip.SwapSides }, null, null),
        new("text-aug", "ConTEXTual Net, sentence shuffle + synonyms", o => o with { ShuffleSentences = true, SynonymProbability = 0.15 }, 0.714, 0.014),
        new("attend-padding", "ConTEXTual Net, padding attended (the reference)", o => o with { AttendToPadding = true }, null, null),
    ];

    /// <summary>Runs the selected rows over <paramref name="folds"/> folds into <paramref name="outDir"/>.</summary>
    public static IReadOnlyList<ContextualAblationRow> Run(ContextualData data, Func<ContextualText> textFactory, ContextualOptions baseOptions,
        IReadOnlyList<string> rows, int folds, string outDir, Action<string>? log = null, Action<ContextualTrainer>? configure = null, CancellationToken cancel = default)
    {
        if (folds is < 1 or > 5) throw new ArgumentException($"--folds must be in 1..5 (the paper's five seeds), got {folds}");
        var variants = rows.Select(k => Variants.FirstOrDefault(v => v.Key == k)
            ?? throw new ArgumentException($"unknown row '{k}'; rows: {string.Join(", ", Variants.Select(v => v.Key))}")).ToList();
        Directory.CreateDirectory(outDir);
        var results = new List<ContextualAblationRow>();
        using var text = textFactory();
        foreach (var v in variants)
        {
            var seeds = PaperSeeds.Take(folds).ToList();
            var dice = new List<double>();
            var empty = new List<double>();
            var swapped = new List<double>();
            var epochs = new List<int>();
            foreach (var seed in seeds)
            {
                var o = v.Apply(baseOptions with { Seed = seed });
                var run = Path.Combine(outDir, v.Key, "seed-" + seed.ToString(CultureInfo.InvariantCulture));
                var metricsPath = Path.Combine(run, "metrics.json");
                JsonObject m;
                if (File.Exists(metricsPath) && File.Exists(Path.Combine(run, ContextualModel.WeightsFile)))
                {
                    m = (JsonObject)JsonNode.Parse(File.ReadAllText(metricsPath))!;
                    log?.Invoke($"{v.Name}, seed {seed}: done before (test Dice {m["test_dice"]})");
                }
                else
                {
                    log?.Invoke($"{v.Name}, seed {seed}: training");
                    var trainer = new ContextualTrainer(o);
                    configure?.Invoke(trainer);
                    var r = trainer.Train(data.Split(seed), o.Language ? text : null, run, cancel);
                    m = (JsonObject)JsonNode.Parse(File.ReadAllText(metricsPath))!;
                    log?.Invoke($"{v.Name}, seed {seed}: test Dice {r.Test.Dice:F4} (best epoch {r.Fit.BestEpoch} of {r.Fit.History.Count})");
                }
                dice.Add(m["test_dice"]!.GetValue<double>());
                if (m["test_dice_empty_report"] is { } e) empty.Add(e.GetValue<double>());
                if (m["test_dice_swapped_side"] is { } s) swapped.Add(s.GetValue<double>());
                epochs.Add(m["epochs_run"]!.GetValue<int>());
            }
            results.Add(new ContextualAblationRow(v, seeds, dice, empty, swapped, epochs));
        }
        Write(results, data, baseOptions, text, outDir);
        return results;
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
    private static string MeanSd(IReadOnlyList<double> v) => v.Count == 0 ? "" : $"{F(ContextualDice.MeanSd(v).Mean)} ± {F(ContextualDice.MeanSd(v).Sd)}";

    /// <summary>The table rows as text cells: row, folds, test Dice, test-time empty and swapped, epochs, paper.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cells(IReadOnlyList<ContextualAblationRow> rows) => rows.Select(r => (IReadOnlyList<string>)new[]
    {
        r.Variant.Name, r.Dice.Count.ToString(CultureInfo.InvariantCulture), MeanSd(r.Dice), MeanSd(r.EmptyReportDice), MeanSd(r.SwappedSideDice),
        string.Join("/", r.Epochs), r.Variant.PaperMean is { } p ? $"{F(p)} ± {F(r.Variant.PaperSd ?? double.NaN)}" : "",
    }).ToList();

    /// <summary>Column names of <see cref="Cells"/>.</summary>
    public static readonly string[] Header = ["model", "folds", "test Dice", "test Dice, empty reports at test", "test Dice, sides swapped at test", "epochs per fold", "paper (CANDID-PTX)"];

    private static void Write(IReadOnlyList<ContextualAblationRow> rows, ContextualData data, ContextualOptions o, ContextualText text, string outDir)
    {
        var md = new StringBuilder("| " + string.Join(" | ", Header) + " |\n|" + string.Concat(Header.Select(_ => "---|")) + "\n");
        foreach (var c in Cells(rows)) md.Append("| ").Append(string.Join(" | ", c)).Append(" |\n");
        md.Append(FormattableString.Invariant($"\n{data.Studies.Count} positive studies ({data.Source}); {o.Size} px, widths {string.Join("/", o.Widths)}, batch {o.BatchSize}, AdamW {o.LearningRate:G3} wd {o.WeightDecay}, ")
            + $"text encoder {text.Encoder.Name}, image augmentation {(o.ImageAugmentation ? "on" : "off")}; Dice per image (smooth 1, empty/empty = 1), mean ± SD over folds.\n");
        RunFiles.WriteText(Path.Combine(outDir, "table.md"), md.ToString());
        var json = new JsonObject
        {
            ["version"] = 1,
            ["data"] = data.Source,
            ["studies"] = data.Studies.Count,
            ["size"] = o.Size,
            ["text_encoder"] = text.Encoder.Name,
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
            {
                ["key"] = r.Variant.Key,
                ["name"] = r.Variant.Name,
                ["seeds"] = new JsonArray(r.Seeds.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["test_dice"] = new JsonArray(r.Dice.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
                ["test_dice_mean"] = r.Summary.Mean,
                ["test_dice_sd"] = r.Summary.Sd,
                ["test_dice_empty_report_mean"] = r.EmptyReportDice.Count > 0 ? ContextualDice.MeanSd(r.EmptyReportDice).Mean : null,
                ["test_dice_swapped_side_mean"] = r.SwappedSideDice.Count > 0 ? ContextualDice.MeanSd(r.SwappedSideDice).Mean : null,
                ["paper_mean"] = r.Variant.PaperMean,
                ["paper_sd"] = r.Variant.PaperSd,
            }).ToArray()),
        };
        RunFiles.WriteText(Path.Combine(outDir, "table.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        // Figures: the first fold's test studies through the U-Net and ConTEXTual runs when present; attention for one study.
        var figures = new List<(string, Image<byte>)>();
        var attention = new List<(string, TokenAttention)>();
        var split = data.Split(PaperSeeds[0]);
        var shown = split.Test.Take(4).ToList();
        foreach (var key in new[] { "unet", "contextual" })
        {
            var run = Path.Combine(outDir, key, "seed-" + PaperSeeds[0].ToString(CultureInfo.InvariantCulture));
            if (!File.Exists(Path.Combine(run, ContextualModel.WeightsFile))) continue;
            using var model = ContextualModel.Load(run, text, Thorax.Models.Runtime.TorchRuntime.ParseDevice(o.Device)); // the encoder the rows were trained with (--text-encoder), not the default
            foreach (var s in shown)
            {
                var (logits, att) = model.Predict(s.Image, s.Report);
                figures.Add(($"{key}: {s.Id} Dice {F(ContextualDice.Of(logits, s.Mask))}", ContextualReport.Overlay(s.Image, s.Mask, logits, s.Size)));
                if (att is not null && attention.Count == 0) attention.Add(($"{s.Id}: \"{s.Report}\"", att));
                if (key == "contextual" && s == shown[0])
                {
                    var swappedText = ReportLaterality.FlipHorizontal(s.Report);
                    var (l2, a2) = model.Predict(s.Image, swappedText);
                    figures.Add(($"contextual, sides swapped in the report: {s.Id} Dice {F(ContextualDice.Of(l2, s.Mask))}", ContextualReport.Overlay(s.Image, s.Mask, l2, s.Size)));
                    if (a2 is not null) attention.Add(($"{s.Id}, sides swapped: \"{swappedText}\"", a2));
                }
            }
        }
        var page = ContextualReport.Page("ConTEXTual Net ablation (Table 1)", WebUtility(md.ToString().Split('\n').Last(l => l.Length > 0)), Header, Cells(rows), figures, attention);
        RunFiles.WriteText(Path.Combine(outDir, "report.html"), page);
    }

    private static string WebUtility(string s) => System.Net.WebUtility.HtmlEncode(s);
}
