using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Thorax.Metrics;
using Thorax.Models.GdVig;
using Thorax.Pipelines.Classification;
using Thorax.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>One study's prediction: logits, softmax probabilities, argmax class, and the predicted gaze map's agreement
/// with the ground truth (null without a predicted or a true map).</summary>
public sealed record GdVigStudyPrediction(GdVigStudy Study, double[] Logits, double[] Probabilities, int Predicted, double? GazeCc, double? GazeKl, double? GazeSim);

/// <summary>A study's input and maps at the network size, kept for figures.</summary>
public sealed record GdVigExample(GdVigStudy Study, Thorax.Imaging.Image<byte> Image, float[]? TrueGaze, float[]? PredictedGaze, int Predicted);

/// <summary>
/// The metrics of the authors' <c>inference_e2e.py</c> (seed-specs 1.9) on one split, plus the gaze map's quality and
/// the shortcut audit:
/// SIIM (2 classes): accuracy, precision/recall/F1 <c>average='weighted'</c>, AUC = <c>roc_auc_score(y, softmax[:, 1])</c>,
/// confusion matrix. EGD-CXR (3 classes): accuracy, precision/recall/F1 <c>average='macro'</c>, one-vs-rest AUC per class
/// on the raw logits (<c>roc_curve</c> + <c>auc</c>) and their plain mean. Gaze: Pearson CC, KL and SIM (MIT saliency
/// benchmark definitions) of the GMG map against the ground-truth map per study, averaged over studies where defined.
/// For two classes with a <c>shortcut_cue</c> column, <see cref="Shortcut"/> is the classification audit
/// (<see cref="ClassificationEvaluation"/>: AUC with bootstrap interval and AUC where the cue agrees / disagrees with the label).
/// </summary>
public sealed record GdVigEvaluation
{
    /// <summary>Split evaluated.</summary>
    public required string Split { get; init; }

    /// <summary>Variant (labels).</summary>
    public required GdVigVariant Variant { get; init; }

    /// <summary>Model kind evaluated.</summary>
    public required GdVigModelKind Model { get; init; }

    /// <summary>Studies.</summary>
    public required int Count { get; init; }

    /// <summary>Share of argmax predictions equal to the label.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Precision (weighted for SIIM, macro for EGD-CXR, as the reference).</summary>
    public required double Precision { get; init; }

    /// <summary>Recall (same averaging).</summary>
    public required double Recall { get; init; }

    /// <summary>F1 (same averaging).</summary>
    public required double F1 { get; init; }

    /// <summary>"weighted" or "macro".</summary>
    public required string Average { get; init; }

    /// <summary>SIIM: AUC of softmax[:, 1]; EGD-CXR: the mean of the per-class AUCs on raw logits. NaN when a class is absent.</summary>
    public required double Auc { get; init; }

    /// <summary>EGD-CXR: AUC per class (Normal, CHF, Pneumonia); SIIM: empty.</summary>
    public required IReadOnlyList<double> AucPerClass { get; init; }

    /// <summary>Confusion matrix [true, predicted].</summary>
    public required long[][] Confusion { get; init; }

    /// <summary>Mean CC of predicted vs true gaze (NaN when no study has both, or no model map).</summary>
    public required double GazeCc { get; init; }

    /// <summary>Mean KL (true ‖ predicted, MIT definition).</summary>
    public required double GazeKl { get; init; }

    /// <summary>Mean SIM.</summary>
    public required double GazeSim { get; init; }

    /// <summary>Studies whose gaze metrics are defined (both maps present and non-constant).</summary>
    public required int GazeStudies { get; init; }

    /// <summary>Binary shortcut audit, or null.</summary>
    public ClassificationEvaluation? Shortcut { get; init; }

    /// <summary>Where the classifier's attention lands (Grad-CAM and graph neighbours on the chest tube vs the
    /// pneumothorax), or null without region masks (SIIM variant on a synth folder with <c>masks/chest-tube</c>).</summary>
    public GdVigAttention? Attention { get; init; }

    /// <summary>Computes the metrics from predictions.</summary>
    /// <exception cref="ArgumentException">No predictions, or a non-finite logit (study named).</exception>
    public static GdVigEvaluation Compute(string split, GdVigVariant variant, GdVigModelKind model, IReadOnlyList<GdVigStudyPrediction> predictions, int seed = 0)
    {
        if (predictions.Count == 0) throw new ArgumentException($"split '{split}' has no studies to evaluate");
        var bad = predictions.FirstOrDefault(p => p.Logits.Any(l => !double.IsFinite(l)));
        if (bad is not null) throw new ArgumentException($"study '{bad.Study.Id}': the model produced non-finite logits");
        var k = variant == GdVigVariant.EgdCxr ? 3 : 2;
        var y = predictions.Select(p => p.Study.Label).ToArray();
        var yp = predictions.Select(p => p.Predicted).ToArray();
        var cm = ConfusionMatrix.Compute(y, yp, k);
        var avg = variant == GdVigVariant.EgdCxr ? AverageMethod.Macro : AverageMethod.Weighted;
        double auc;
        var perClass = new List<double>();
        if (variant == GdVigVariant.SiimAcr)
        {
            var present = y.Distinct().Count() == 2;
            auc = present ? RankingMetrics.RocAuc(predictions.Select(p => p.Probabilities[1]).ToArray(), y) : double.NaN;
        }
        else
        {
            for (var c = 0; c < k; c++)
            {
                var binary = y.Select(v => v == c ? 1 : 0).ToArray();
                var pos = binary.Sum();
                perClass.Add(pos > 0 && pos < binary.Length ? RankingMetrics.RocAuc(predictions.Select(p => p.Logits[c]).ToArray(), binary) : double.NaN);
            }
            auc = perClass.Average();
        }
        var gaze = predictions.Where(p => p.GazeCc is { } cc && double.IsFinite(cc)).ToList();
        ClassificationEvaluation? shortcut = null;
        if (k == 2 && predictions.All(p => p.Study.ShortcutCue.HasValue) && predictions.Select(p => p.Study.ShortcutCue).Distinct().Count() > 1)
        {
            var cls = predictions.Select(p => new ClassificationPrediction(
                new ClassificationStudy(p.Study.Id, p.Study.Split, p.Study.Label, "", "", p.Study.ShortcutCue), p.Probabilities[1])).ToList();
            shortcut = ClassificationEvaluation.Compute(split, "pneumothorax", cls, seed);
        }
        return new GdVigEvaluation
        {
            Split = split, Variant = variant, Model = model, Count = predictions.Count,
            Accuracy = ClassificationMetrics.Accuracy(cm),
            Precision = ClassificationMetrics.Precision(cm, avg), Recall = ClassificationMetrics.Recall(cm, avg), F1 = ClassificationMetrics.F1(cm, avg),
            Average = avg == AverageMethod.Macro ? "macro" : "weighted",
            Auc = auc, AucPerClass = perClass,
            Confusion = Enumerable.Range(0, k).Select(t => Enumerable.Range(0, k).Select(p => cm[t, p]).ToArray()).ToArray(),
            GazeCc = gaze.Count > 0 ? gaze.Average(p => p.GazeCc!.Value) : double.NaN,
            GazeKl = gaze.Count > 0 ? gaze.Average(p => p.GazeKl!.Value) : double.NaN,
            GazeSim = gaze.Count > 0 ? gaze.Average(p => p.GazeSim!.Value) : double.NaN,
            GazeStudies = gaze.Count,
            Shortcut = shortcut,
        };
    }

    /// <summary>AUC where the shortcut cue disagrees with the label (NaN without the audit).</summary>
    public double AucCueDisagrees => Shortcut?.ByShortcut.FirstOrDefault(s => s.Name == "cue_disagrees")?.Auc ?? double.NaN;

    /// <summary>AUC where the shortcut cue agrees with the label (NaN without the audit).</summary>
    public double AucCueAgrees => Shortcut?.ByShortcut.FirstOrDefault(s => s.Name == "cue_agrees")?.Auc ?? double.NaN;

    /// <summary>snake_case JSON; undefined values are null.</summary>
    public JsonObject ToJson()
    {
        var j = new JsonObject
        {
            ["split"] = Split, ["variant"] = GdVigPredictor.Name(Variant), ["model"] = GdVigTrainingOptions.KindName(Model), ["studies"] = Count,
            ["accuracy"] = Num(Accuracy), ["precision"] = Num(Precision), ["recall"] = Num(Recall), ["f1"] = Num(F1), ["average"] = Average,
            ["auc"] = Num(Auc),
            ["auc_definition"] = Variant == GdVigVariant.SiimAcr ? "roc_auc_score(y, softmax(logits)[:, 1])" : "mean of one-vs-rest roc_curve+auc on raw logits",
            ["confusion_matrix"] = new JsonArray(Confusion.Select(r => (JsonNode?)new JsonArray(r.Select(v => (JsonNode?)v).ToArray())).ToArray()),
            ["gaze_cc"] = Num(GazeCc), ["gaze_kl"] = Num(GazeKl), ["gaze_sim"] = Num(GazeSim), ["gaze_studies"] = GazeStudies,
        };
        if (AucPerClass.Count > 0)
        {
            var names = GdVigDataset.ClassNames(Variant);
            var o = new JsonObject();
            for (var c = 0; c < AucPerClass.Count; c++) o[names[c]] = Num(AucPerClass[c]);
            j["auc_per_class"] = o;
        }
        if (Shortcut is not null)
        {
            j["auc_cue_agrees"] = Num(AucCueAgrees);
            j["auc_cue_disagrees"] = Num(AucCueDisagrees);
            j["shortcut_audit"] = Shortcut.ToJson();
        }
        Attention?.AddTo(j);
        return j;
    }

    internal static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary><c>predictions.csv</c>: id, split, label, predicted, one column per class probability, the logits, gaze CC.</summary>
    public static string PredictionsCsv(IReadOnlyList<GdVigStudyPrediction> predictions, int classes)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("id,split,label,predicted");
        for (var c = 0; c < classes; c++) sb.Append(inv, $",p{c}");
        for (var c = 0; c < classes; c++) sb.Append(inv, $",logit{c}");
        sb.Append(",shortcut_cue,gaze_cc\n");
        foreach (var p in predictions)
        {
            sb.Append(Thorax.Data.IO.CsvText.Escape(p.Study.Id)).Append(',').Append(p.Study.Split).Append(',').Append(p.Study.Label.ToString(inv)).Append(',').Append(p.Predicted.ToString(inv));
            foreach (var v in p.Probabilities) sb.Append(',').Append(v.ToString("R", inv));
            foreach (var v in p.Logits) sb.Append(',').Append(v.ToString("R", inv));
            sb.Append(',').Append(p.Study.ShortcutCue is { } cue ? (cue ? "1" : "0") : "");
            sb.Append(',').Append(p.GazeCc is { } cc && double.IsFinite(cc) ? cc.ToString("R", inv) : "").Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>Runs a <see cref="GdVigNetwork"/> over studies and scores it (<see cref="GdVigEvaluation"/>).</summary>
public static class GdVigEvaluator
{
    /// <summary>Images per forward pass.</summary>
    public const int Batch = 16;

    /// <summary>
    /// Predicts <paramref name="studies"/> with the test transform (eval mode, no gradients) and returns the predictions
    /// and the first <paramref name="examples"/> studies' inputs and maps.
    /// </summary>
    /// <exception cref="ArgumentException">A study lacks the true gaze that GD-ViG on the true gaze needs (study named).</exception>
    public static (List<GdVigStudyPrediction> Predictions, List<GdVigExample> Examples) Predict(GdVigNetwork net, GdVigDataset? dataset,
        IReadOnlyList<GdVigStudy> studies, int examples = 0, Func<GdVigStudy, GdVigPixels>? read = null, Action<int, int>? progress = null)
    {
        read ??= (dataset ?? throw new ArgumentNullException(nameof(dataset))).Read;
        var size = net.Size;
        var preds = new List<GdVigStudyPrediction>(studies.Count);
        var ex = new List<GdVigExample>();
        var wasTraining = net.Module.training;
        net.Module.eval();
        try
        {
            for (var start = 0; start < studies.Count; start += Batch)
            {
                var chunk = studies.Skip(start).Take(Batch).ToList();
                var pixels = chunk.Select(read).ToList();
                var inputs = pixels.Select(p => GdVigInputs.Test(p, size)).ToList();
                using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var x = GdVigInputs.Stack(inputs.Select(i => i.Image).ToList(), size);
                Tensor? tg = null;
                if (net.Kind == GdVigModelKind.GdVigTrueGaze)
                {
                    var missing = chunk.Where((s, i) => inputs[i].Gaze is null).FirstOrDefault();
                    if (missing is not null) throw new ArgumentException($"study '{missing.Id}' has no gaze map ({dataset?.GazeSource(missing) ?? missing.ImagePath}); GD-ViG on the true gaze needs one for every study");
                    tg = GdVigInputs.Stack(inputs.Select(i => i.Gaze!).ToList(), size);
                }
                var (logits, gaze) = net.Forward(x, tg);
                var l = logits.to_type(ScalarType.Float64).cpu();
                var probs = nn.functional.softmax(l, 1);
                var lv = l.data<double>().ToArray();
                var pv = probs.data<double>().ToArray();
                var gv = gaze?.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                var k = (int)l.shape[1];
                var plane = size * size;
                for (var i = 0; i < chunk.Count; i++)
                {
                    var li = lv.AsSpan(i * k, k).ToArray();
                    var pi = pv.AsSpan(i * k, k).ToArray();
                    var predicted = Array.IndexOf(li, li.Max());
                    float[]? map = gv is null ? null : gv.AsSpan(i * plane, plane).ToArray();
                    if (map is not null && map.Any(v => !float.IsFinite(v)))
                        throw new ArithmeticException($"study '{chunk[i].Id}': the gaze map holds non-finite values");
                    double? cc = null, kl = null, sim = null;
                    if (map is not null && inputs[i].Gaze is { } truth)
                    {
                        cc = SaliencyMetrics.CorrelationCoefficient(map, truth);
                        kl = SaliencyMetrics.KlDivergence(map, truth);
                        sim = SaliencyMetrics.Similarity(map, truth);
                    }
                    preds.Add(new GdVigStudyPrediction(chunk[i], li, pi, predicted, cc, kl, sim));
                    if (ex.Count < examples) ex.Add(new GdVigExample(chunk[i], GdVigInputs.Thumbnail(pixels[i], size), inputs[i].Gaze, map, predicted));
                }
                progress?.Invoke(Math.Min(start + Batch, studies.Count), studies.Count);
            }
        }
        finally
        {
            if (wasTraining) net.Module.train();
        }
        return (preds, ex);
    }

    /// <summary>Evaluates <paramref name="split"/> and writes <c>metrics.json</c> and <c>predictions.csv</c> into <paramref name="outDir"/> (atomically).</summary>
    public static (GdVigEvaluation Evaluation, List<GdVigStudyPrediction> Predictions, List<GdVigExample> Examples) Evaluate(GdVigNetwork net, GdVigDataset dataset,
        string split, string? outDir, int examples = 8, JsonObject? extra = null, Action<int, int>? progress = null, int seed = 0)
    {
        var studies = dataset.Split(split);
        if (studies.Count == 0) throw new ArgumentException($"{dataset.Root}: the {split} split is empty");
        var (preds, ex) = Predict(net, dataset, studies, examples, null, progress);
        var evaluation = GdVigEvaluation.Compute(split, net.Variant, net.Kind, preds, seed);
        if (net.Variant == GdVigVariant.SiimAcr && dataset.HasRegionMasks)
            evaluation = evaluation with { Attention = GdVigAttention.Measure(net, dataset, studies) };
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            var json = evaluation.ToJson();
            json["data"] = dataset.Root;
            if (extra is not null) foreach (var (key, v) in extra) json[key] = v?.DeepClone();
            json["version"] = 1;
            RunFiles.WriteText(Path.Combine(outDir, "metrics.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            RunFiles.WriteText(Path.Combine(outDir, "predictions.csv"), GdVigEvaluation.PredictionsCsv(preds, net.Options.NumClasses));
            if (evaluation.Attention is { } a) RunFiles.WriteText(Path.Combine(outDir, "attention.csv"), a.Csv());
        }
        return (evaluation, preds, ex);
    }
}
