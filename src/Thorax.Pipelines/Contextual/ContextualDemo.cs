using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Data.Reports;
using Thorax.Imaging;
using Thorax.Synthetic;
using Thorax.Training;

namespace Thorax.Pipelines.Contextual;

/// <summary>What the demo measured (test split of one fold, seed 98).</summary>
public sealed record ContextualDemoResult(double UnetDice, double ContextualDice, double ContextualEmptyReportDice, double ContextualSwappedSideDice,
    int Studies, int TestStudies, int UnetEpochs, int ContextualEpochs, double Seconds, string OutDirectory, string Data);

/// <summary>
/// <c>thorax contextual demo</c>: pneumothorax studies with reports (a given CANDID-PTX-layout folder, or studies made
/// by <c>thorax synth --background</c> from the real X-rays of ../shared/data/lungs with reports from real sentences,
/// procedural chests when that folder is absent), a small U-Net and ConTEXTual Net (MiniLM encoder) trained on one
/// fold within the budget, then the test Dice of both and of ConTEXTual Net with empty and side-swapped reports.
/// </summary>
public static class ContextualDemo
{
    /// <summary>Runs the demo into <paramref name="outDir"/>.</summary>
    public static ContextualDemoResult Run(string outDir, TimeSpan budget, ContextualOptions baseOptions, string? data, string? backgrounds,
        int studies, Action<string>? log = null, Action<ContextualTrainer>? configure = null, CancellationToken cancel = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        if (data is null)
        {
            data = Path.Combine(outDir, "data");
            if (!File.Exists(Path.Combine(data, "candid-ptx", "image_name_text_label.csv")))
            {
                var bg = backgrounds is not null && Directory.Exists(backgrounds) ? backgrounds : null;
                string? corpus = null;
                if (bg is not null)
                {
                    var sibling = Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(bg)))!, "reports");
                    if (File.Exists(Path.Combine(sibling, "indiana_reports.csv"))) corpus = sibling;
                }
                log?.Invoke(bg is null ? $"writing {studies} procedural pneumothorax studies ({backgrounds ?? "no background folder"} absent)" : $"writing {studies} pneumothorax studies on the real X-rays of {bg}");
                SyntheticDatasetWriter.Write(new SynthOptions
                {
                    OutputDirectory = data, Count = studies, Seed = 17, ImageSize = 256, PneumothoraxRate = 1, Dicom = DicomOutput.None, WriteGaze = false,
                    BackgroundDirectory = bg, ReportCorpus = corpus, Force = true,
                });
            }
        }
        var set = ContextualData.Load(data, baseOptions.Size);
        log?.Invoke($"{set.Studies.Count} positive studies from {set.Source}");
        var split = set.Split(ContextualAblation.PaperSeeds[0]);
        var each = TimeSpan.FromTicks((long)(budget.Ticks * 0.42));
        var device = Thorax.Models.Runtime.TorchRuntime.ParseDevice(baseOptions.Device);
        using var text = new ContextualText(Thorax.Text.TextEncoders.LoadDefault(baseOptions.MaxTokens), device);
        text.Truncated += m => log?.Invoke("warning: " + m);

        var unetOptions = baseOptions with { Language = false, TimeBudget = each, Seed = ContextualAblation.PaperSeeds[0] };
        var unetTrainer = new ContextualTrainer(unetOptions);
        configure?.Invoke(unetTrainer);
        log?.Invoke($"U-Net: training for up to {each.TotalMinutes:F1} min");
        var unet = unetTrainer.Train(split, null, Path.Combine(outDir, "unet"), cancel);

        var ctxOptions = baseOptions with { Language = true, TimeBudget = each, Seed = ContextualAblation.PaperSeeds[0] };
        var ctxTrainer = new ContextualTrainer(ctxOptions);
        configure?.Invoke(ctxTrainer);
        log?.Invoke($"ConTEXTual Net: training for up to {each.TotalMinutes:F1} min");
        var ctx = ctxTrainer.Train(split, text, Path.Combine(outDir, "contextual"), cancel);

        var result = new ContextualDemoResult(unet.Test.Dice, ctx.Test.Dice, ctx.Test.EmptyReportDice ?? double.NaN, ctx.Test.SwappedSideDice ?? double.NaN,
            set.Studies.Count, split.Test.Count, unet.Fit.History.Count, ctx.Fit.History.Count, clock.Elapsed.TotalSeconds, Path.GetFullPath(outDir), set.Source);

        // Report: figures of four test studies from both models, attention of one study as written and side-swapped.
        var figures = new List<(string, Image<byte>)>();
        var attention = new List<(string, TokenAttention)>();
        static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        using (var um = ContextualModel.Load(unet.RunDirectory, (string?)null, device))
        using (var cm = ContextualModel.Load(ctx.RunDirectory, (string?)null, device))
        {
            foreach (var s in split.Test.Take(4))
            {
                var (lu, _) = um.Predict(s.Image, s.Report);
                figures.Add(($"U-Net {s.Id}: Dice {F(ContextualDice.Of(lu, s.Mask))}", ContextualReport.Overlay(s.Image, s.Mask, lu, s.Size)));
                var (lc, ac) = cm.Predict(s.Image, s.Report);
                figures.Add(($"ConTEXTual {s.Id}: Dice {F(ContextualDice.Of(lc, s.Mask))}", ContextualReport.Overlay(s.Image, s.Mask, lc, s.Size)));
                var sw = ReportLaterality.FlipHorizontal(s.Report);
                var (ls, asw) = cm.Predict(s.Image, sw);
                figures.Add(($"ConTEXTual, sides swapped in the report: Dice {F(ContextualDice.Of(ls, s.Mask))}", ContextualReport.Overlay(s.Image, s.Mask, ls, s.Size)));
                if (attention.Count == 0)
                {
                    attention.Add(($"{s.Id}: \"{s.Report}\"", ac!));
                    attention.Add(($"{s.Id}, sides swapped: \"{sw}\"", asw!));
                }
            }
        }
        string[] header = ["model", "test Dice", "epochs"];
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "U-Net", F(result.UnetDice), unet.Fit.History.Count.ToString(CultureInfo.InvariantCulture) },
            new[] { "ConTEXTual Net", F(result.ContextualDice), ctx.Fit.History.Count.ToString(CultureInfo.InvariantCulture) },
            new[] { "ConTEXTual Net, empty reports at test", F(result.ContextualEmptyReportDice), "" },
            new[] { "ConTEXTual Net, left/right swapped at test", F(result.ContextualSwappedSideDice), "" },
        };
        var intro = System.Net.WebUtility.HtmlEncode(FormattableString.Invariant(
            $"{set.Studies.Count} positive studies ({set.Source}); fold seed 98: {split.Train.Count} train, {split.Validation.Count} validation, {split.Test.Count} test; {baseOptions.Size} px, widths {string.Join("/", baseOptions.Widths)}, MiniLM text encoder; {budget.TotalMinutes:F1} min budget."));
        RunFiles.WriteText(Path.Combine(outDir, "report.html"), ContextualReport.Page("ConTEXTual Net demo", intro, header, rows, figures, attention));
        RunFiles.WriteText(Path.Combine(outDir, "metrics.json"), ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return result;
    }

    /// <summary>The demo's JSON (snake_case, version 1).</summary>
    public static JsonObject ToJson(ContextualDemoResult r)
    {
        static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
        return new JsonObject
        {
            ["version"] = 1,
            ["unet_dice"] = N(r.UnetDice),
            ["contextual_dice"] = N(r.ContextualDice),
            ["contextual_empty_report_dice"] = N(r.ContextualEmptyReportDice),
            ["contextual_swapped_side_dice"] = N(r.ContextualSwappedSideDice),
            ["studies"] = r.Studies,
            ["test_studies"] = r.TestStudies,
            ["unet_epochs"] = r.UnetEpochs,
            ["contextual_epochs"] = r.ContextualEpochs,
            ["seconds"] = Math.Round(r.Seconds, 1),
            ["out"] = r.OutDirectory,
            ["data"] = r.Data,
        };
    }
}
