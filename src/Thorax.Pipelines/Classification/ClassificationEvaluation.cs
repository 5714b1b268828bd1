using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Thorax.Metrics;
using Thorax.Training;

namespace Thorax.Pipelines.Classification;

/// <summary>One study's prediction.</summary>
/// <param name="Study">The study (id, split, label, subgroup attributes).</param>
/// <param name="Probability">Predicted probability of the positive class.</param>
public sealed record ClassificationPrediction(ClassificationStudy Study, double Probability);

/// <summary>ROC AUC of one subset: positives of a subgroup (or a subset of studies) against the negatives in it.</summary>
/// <param name="Name">Subgroup value (small, apical, cue_agrees ...).</param>
/// <param name="Positives">Positive studies in the subset.</param>
/// <param name="Negatives">Negative studies in the subset.</param>
/// <param name="Auc">ROC AUC, NaN when the subset lacks a class.</param>
public sealed record SubgroupAuc(string Name, int Positives, int Negatives, double Auc);

/// <summary>
/// The difficulty audit of a binary classifier on one split: overall ROC AUC with a 95% percentile-bootstrap interval,
/// accuracy, sensitivity and specificity at probability 0.5, AUC per pneumothorax size and location (the positives of
/// each value against all negatives of the split), and, when the split's shortcut cue varies, AUC on the studies where
/// the cue agrees with the label and where it disagrees.
/// </summary>
public sealed record ClassificationEvaluation
{
    /// <summary>Decision threshold on the probability for accuracy, sensitivity and specificity.</summary>
    public const double Threshold = 0.5;

    /// <summary>Bootstrap resamples of the AUC interval.</summary>
    public const int BootstrapResamples = 1000;

    /// <summary>The split evaluated.</summary>
    public required string Split { get; init; }

    /// <summary>The label spec.</summary>
    public required string Label { get; init; }

    /// <summary>Studies, positives and negatives.</summary>
    public required int Count { get; init; }

    /// <summary>Positive studies.</summary>
    public required int Positives { get; init; }

    /// <summary>Negative studies.</summary>
    public int Negatives => Count - Positives;

    /// <summary>ROC AUC over the split (NaN when it lacks a class).</summary>
    public required double Auc { get; init; }

    /// <summary>95% percentile bootstrap interval of <see cref="Auc"/> (null when the AUC is undefined).</summary>
    public BootstrapInterval? AucInterval { get; init; }

    /// <summary>Share of studies whose prediction (probability ≥ 0.5) equals the label.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Positives predicted positive (NaN without positives).</summary>
    public required double Sensitivity { get; init; }

    /// <summary>Negatives predicted negative (NaN without negatives).</summary>
    public required double Specificity { get; init; }

    /// <summary>Positives by <c>ptx_size</c> against all negatives (sizes present among the positives).</summary>
    public required IReadOnlyList<SubgroupAuc> BySize { get; init; }

    /// <summary>Positives by <c>ptx_location</c> against all negatives.</summary>
    public required IReadOnlyList<SubgroupAuc> ByLocation { get; init; }

    /// <summary><c>cue_agrees</c> and <c>cue_disagrees</c> subsets when the shortcut cue varies within the split; else empty.</summary>
    public required IReadOnlyList<SubgroupAuc> ByShortcut { get; init; }

    /// <summary>Computes the audit from predictions of one split.</summary>
    /// <param name="split">The split's name (reported).</param>
    /// <param name="label">The label spec (reported).</param>
    /// <param name="predictions">At least one prediction; finite probabilities.</param>
    /// <param name="seed">Bootstrap seed.</param>
    /// <exception cref="ArgumentException">No predictions, or a probability is not finite.</exception>
    public static ClassificationEvaluation Compute(string split, string label, IReadOnlyList<ClassificationPrediction> predictions, int seed = 0)
    {
        if (predictions.Count == 0) throw new ArgumentException($"split '{split}' has no studies to evaluate");
        var bad = predictions.FirstOrDefault(p => !double.IsFinite(p.Probability));
        if (bad is not null) throw new ArgumentException($"study '{bad.Study.Id}': probability {bad.Probability} is not finite");
        var scores = predictions.Select(p => p.Probability).ToArray();
        var labels = predictions.Select(p => p.Study.Label).ToArray();
        var positives = labels.Sum();
        var both = positives > 0 && positives < labels.Length;
        var auc = both ? RankingMetrics.RocAuc(scores, labels) : double.NaN;
        var interval = both ? Bootstrap.RocAucInterval(scores, labels, BootstrapResamples, 0.95, seed) : null;
        var at = RankingMetrics.AtThreshold(scores, labels, Threshold);
        var correct = at.TruePositive + at.TrueNegative;
        var cues = predictions.Select(p => p.Study.ShortcutCue).ToArray();
        var shortcut = new List<SubgroupAuc>();
        if (cues.All(c => c.HasValue) && cues.Distinct().Count() > 1)
        {
            shortcut.Add(Subset("cue_agrees", predictions.Where(p => p.Study.ShortcutCue == (p.Study.Label == 1))));
            shortcut.Add(Subset("cue_disagrees", predictions.Where(p => p.Study.ShortcutCue != (p.Study.Label == 1))));
        }
        return new ClassificationEvaluation
        {
            Split = split, Label = label, Count = predictions.Count, Positives = positives, Auc = auc, AucInterval = interval,
            Accuracy = (double)correct / predictions.Count,
            Sensitivity = positives > 0 ? at.Sensitivity : double.NaN,
            Specificity = positives < predictions.Count ? at.Specificity : double.NaN,
            BySize = PositivesBy(predictions, s => s.PtxSize, ["small", "moderate", "large"]),
            ByLocation = PositivesBy(predictions, s => s.PtxLocation, ["apical", "lateral", "basal"]),
            ByShortcut = shortcut,
        };
    }

    /// <summary>
    /// For each value of <paramref name="attribute"/> among the positives (the <paramref name="order"/> first, then
    /// others alphabetically; empty values skipped): the AUC of those positives against every negative.
    /// </summary>
    public static IReadOnlyList<SubgroupAuc> PositivesBy(IReadOnlyList<ClassificationPrediction> predictions, Func<ClassificationStudy, string> attribute,
        IReadOnlyList<string> order)
    {
        var negatives = predictions.Where(p => p.Study.Label == 0).ToList();
        var groups = predictions.Where(p => p.Study.Label == 1 && attribute(p.Study).Length > 0).GroupBy(p => attribute(p.Study))
            .OrderBy(g => order.Contains(g.Key) ? order.ToList().IndexOf(g.Key) : order.Count).ThenBy(g => g.Key, StringComparer.Ordinal);
        return groups.Select(g => Subset(g.Key, g.Concat(negatives))).ToList();
    }

    /// <summary>The AUC of a subset of predictions (NaN when it lacks a class).</summary>
    public static SubgroupAuc Subset(string name, IEnumerable<ClassificationPrediction> subset)
    {
        var list = subset.ToList();
        var pos = list.Count(p => p.Study.Label == 1);
        var neg = list.Count - pos;
        var auc = pos > 0 && neg > 0
            ? RankingMetrics.RocAuc(list.Select(p => p.Probability).ToArray(), list.Select(p => p.Study.Label).ToArray())
            : double.NaN;
        return new SubgroupAuc(name, pos, neg, auc);
    }

    /// <summary>The audit as JSON with snake_case keys; undefined values (NaN) are null.</summary>
    public JsonObject ToJson()
    {
        static JsonObject Groups(IEnumerable<SubgroupAuc> g)
        {
            var o = new JsonObject();
            foreach (var s in g) o[s.Name] = new JsonObject { ["auc"] = Num(s.Auc), ["positives"] = s.Positives, ["negatives"] = s.Negatives };
            return o;
        }
        var json = new JsonObject
        {
            ["split"] = Split, ["label"] = Label, ["studies"] = Count, ["positives"] = Positives, ["negatives"] = Negatives,
            ["auc"] = Num(Auc),
            ["auc_ci95"] = AucInterval is { } ci ? new JsonArray(Num(ci.Lower), Num(ci.Upper)) : null,
            ["auc_bootstrap_resamples"] = AucInterval?.Resamples,
            ["threshold"] = Threshold, ["accuracy"] = Num(Accuracy), ["sensitivity"] = Num(Sensitivity), ["specificity"] = Num(Specificity),
            ["auc_by_ptx_size"] = Groups(BySize), ["auc_by_ptx_location"] = Groups(ByLocation),
        };
        if (ByShortcut.Count > 0) json["auc_by_shortcut_cue"] = Groups(ByShortcut);
        return json;
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary><c>predictions.csv</c>: <c>id,label,probability,split</c>, one row per prediction in order.</summary>
    public static string PredictionsCsv(IEnumerable<ClassificationPrediction> predictions)
    {
        var sb = new StringBuilder("id,label,probability,split\n");
        foreach (var p in predictions)
            sb.Append(Thorax.Data.IO.CsvText.Escape(p.Study.Id)).Append(',').Append(p.Study.Label.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(p.Probability.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(p.Study.Split).Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes <c>metrics.json</c> (<paramref name="metrics"/>) and <c>predictions.csv</c> into <paramref name="dir"/>, each atomically.</summary>
    public static void WriteFiles(string dir, JsonObject metrics, IEnumerable<ClassificationPrediction> predictions)
    {
        Directory.CreateDirectory(dir);
        RunFiles.WriteText(Path.Combine(dir, "metrics.json"), metrics.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        RunFiles.WriteText(Path.Combine(dir, "predictions.csv"), PredictionsCsv(predictions));
    }
}
