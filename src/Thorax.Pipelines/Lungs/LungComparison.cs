using System.Globalization;
using System.Text;
using System.Text.Json;
using Thorax.Training;

namespace Thorax.Pipelines.Lungs;

/// <summary>One row of a model comparison (the CXLSeg paper's Table IV): validation metrics of a run's best epoch.</summary>
/// <param name="Model">Architecture name (<c>unet</c>, <c>unetpp</c>, <c>attention-unet</c>, <c>sa-unet</c>).</param>
/// <param name="Parameters">Trainable parameter count.</param>
/// <param name="EpochsRun">Epochs trained.</param>
/// <param name="BestEpoch">Epoch whose weights were kept.</param>
/// <param name="TrainSeconds">Wall-clock training time, resumed sessions summed.</param>
/// <param name="ValLoss">Validation BCE + Dice loss of the best epoch.</param>
/// <param name="Dice">Mean per-image Dice (DC) on the validation split.</param>
/// <param name="IoU">Mean per-image IoU.</param>
/// <param name="Recall">Mean per-image recall.</param>
/// <param name="Precision">Mean per-image precision.</param>
/// <param name="ValidationImages">Validation images.</param>
public sealed record LungComparisonRow(string Model, long Parameters, int EpochsRun, int BestEpoch, double TrainSeconds, double ValLoss,
    double Dice, double IoU, double Recall, double Precision, int ValidationImages)
{
    /// <summary>The row of a finished run.</summary>
    public static LungComparisonRow From(string model, long parameters, LungTrainingResult r) =>
        new(model, parameters, r.History.Count, r.BestEpoch, r.TrainSeconds, r.BestValLoss, r.MeanDice, r.MeanIoU, r.MeanRecall, r.MeanPrecision,
            r.Validation.Count);
}

/// <summary>
/// Trains several lung segmenters on the same pairs, split and settings, and tabulates them as the CXLSeg paper's
/// Table IV (loss, DC, IoU, recall, precision in %). Each model trains into <c>OUT/&lt;model&gt;/</c> with
/// <see cref="LungTrainer"/>, so a killed comparison resumes where it stopped and finished models are only re-evaluated.
/// </summary>
public static class LungComparison
{
    /// <summary>The paper's order: U-Net, U-Net++, Attention U-Net, SA-UNet.</summary>
    public static IReadOnlyList<string> PaperModels { get; } = ["unet", "unetpp", "attention-unet", "sa-unet"];

    /// <summary>Display name used in the paper.</summary>
    public static string DisplayName(string model) => model switch
    {
        "unet" => "U-Net",
        "unetpp" => "U-Net++",
        "attention-unet" => "Attention U-Net",
        "sa-unet" => "SA-UNet",
        _ => model,
    };

    /// <summary>
    /// Trains <paramref name="models"/> one after the other with <paramref name="options"/> (its <c>Model</c> is replaced)
    /// into <c>outDir/&lt;model&gt;</c>; <paramref name="configure"/> can attach progress handlers to each trainer.
    /// Writes <c>table.md</c> and <c>table.json</c> to <paramref name="outDir"/> after every model (atomically).
    /// </summary>
    public static IReadOnlyList<LungComparisonRow> Run(IReadOnlyList<LungSample> samples, IReadOnlyList<string> models, LungTrainingOptions options,
        string outDir, string dataNote, Action<string, LungTrainer>? configure = null, CancellationToken cancel = default)
    {
        if (models.Count == 0) throw new ArgumentException("name at least one model");
        foreach (var m in models) (options with { Model = m }).Validate();
        if (models.Distinct().Count() != models.Count) throw new ArgumentException($"a model is named twice: {string.Join(",", models)}");
        Directory.CreateDirectory(outDir);
        var rows = new List<LungComparisonRow>();
        foreach (var m in models)
        {
            var o = options with { Model = m };
            var trainer = new LungTrainer(o);
            configure?.Invoke(m, trainer);
            var (result, model, _) = trainer.Train(samples, Path.Combine(outDir, m), cancel);
            long parameters;
            using (model) parameters = model.parameters().Sum(p => p.numel());
            rows.Add(LungComparisonRow.From(m, parameters, result));
            rows = InPaperOrder(rows);
            Write(outDir, rows, options, dataNote);
        }
        return rows;
    }

    /// <summary>Rows in the paper's order (U-Net, U-Net++, Attention U-Net, SA-UNet), other names after them.</summary>
    public static List<LungComparisonRow> InPaperOrder(IEnumerable<LungComparisonRow> rows) =>
        rows.Select((r, i) => (r, i)).OrderBy(x => PaperModels.Contains(x.r.Model) ? PaperModels.ToList().IndexOf(x.r.Model) : PaperModels.Count + x.i)
            .Select(x => x.r).ToList();

    /// <summary>Writes <c>table.md</c> (Markdown, as Table IV) and <c>table.json</c>.</summary>
    public static void Write(string outDir, IReadOnlyList<LungComparisonRow> rows, LungTrainingOptions options, string dataNote)
    {
        RunFiles.WriteText(Path.Combine(outDir, "table.md"), Markdown(rows, options, dataNote));
        RunFiles.WriteText(Path.Combine(outDir, "table.json"), JsonSerializer.Serialize(new
        {
            settings = new
            {
                size = options.Size, base_channels = options.BaseChannels, epochs = options.Epochs, minutes = options.TimeBudget.TotalMinutes,
                batch = options.BatchSize, lr = options.LearningRate, seed = options.Seed, validation_fraction = options.ValidationFraction,
                plateau_patience = options.PlateauPatience, early_stopping_patience = options.EarlyStoppingPatience,
                batch_norm_momentum = options.BatchNormMomentum,
            },
            data = dataNote,
            rows = rows.Select(r => new
            {
                model = r.Model, parameters = r.Parameters, epochs_run = r.EpochsRun, best_epoch = r.BestEpoch, train_seconds = Math.Round(r.TrainSeconds, 1),
                val_loss = r.ValLoss, dice = r.Dice, iou = r.IoU, recall = r.Recall, precision = r.Precision, validation_images = r.ValidationImages,
            }),
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The comparison as a Markdown table in the paper's layout (values in %), with the settings underneath.</summary>
    public static string Markdown(IReadOnlyList<LungComparisonRow> rows, LungTrainingOptions options, string dataNote)
    {
        static string P(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var best = new Func<LungComparisonRow, double>[] { r => -r.ValLoss, r => r.Dice, r => r.IoU, r => r.Recall, r => r.Precision }
            .Select(f => rows.Count == 0 ? double.NaN : rows.Max(f)).ToArray();
        string Cell(LungComparisonRow r, int i, Func<LungComparisonRow, double> f, double shown) =>
            rows.Count > 1 && f(r) == best[i] ? $"**{P(shown)}**" : P(shown);
        var sb = new StringBuilder();
        sb.AppendLine("| Model | Parameters | Epochs (best) | Train min | Loss(%) | DC(%) | IoU(%) | Recall(%) | Precision(%) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            sb.AppendLine(FormattableString.Invariant(
                $"| {DisplayName(r.Model)} | {r.Parameters:N0} | {r.EpochsRun} ({r.BestEpoch}) | {r.TrainSeconds / 60:F1} | {Cell(r, 0, x => -x.ValLoss, r.ValLoss)} | {Cell(r, 1, x => x.Dice, r.Dice)} | {Cell(r, 2, x => x.IoU, r.IoU)} | {Cell(r, 3, x => x.Recall, r.Recall)} | {Cell(r, 4, x => x.Precision, r.Precision)} |"));
        }
        sb.AppendLine();
        sb.Append(FormattableString.Invariant(
            $"Validation split of {(rows.Count > 0 ? rows[0].ValidationImages : 0)} images ({dataNote}); {options.Size} px, base {options.BaseChannels} channels, batch {options.BatchSize}, Adam {options.LearningRate:G3}, {BatchNormNote(options)}, "));
        sb.AppendLine(FormattableString.Invariant(
            $"at most {options.Epochs} epochs or {options.TimeBudget.TotalMinutes:0.#} min per model, seed {options.Seed}. Loss = BCE + Dice at the best epoch; metrics are per-image means; bold = best."));
        return sb.ToString();
    }

    private static string BatchNormNote(LungTrainingOptions o) => o.BatchNormMomentum is { } m
        ? FormattableString.Invariant($"BatchNorm momentum {m:G3}")
        : "each architecture's own BatchNorm momentum";
}
