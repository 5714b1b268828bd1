using System.Globalization;
using System.Text;
using System.Text.Json;
using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// Per-class and averaged classification metrics for one prediction set, as one record with
/// <see cref="ToJson"/> and a text table (<see cref="ToText"/>). Built from a CSV with <see cref="FromCsv"/> or
/// from arrays with <see cref="FromScores"/>.
/// </summary>
/// <remarks>
/// Binary problems (a <c>p</c> column, or exactly two <c>p_&lt;class&gt;</c> columns) predict the second class when
/// its score is &gt;= <see cref="Threshold"/>; multiclass problems predict the arg-max column (first on ties).
/// Undefined ranking metrics (a class with no sample or only samples of it) are <c>null</c>, never a made-up
/// number. Label metrics follow <see cref="ClassificationMetrics"/> (zero division gives 0).
/// </remarks>
public sealed record ClassificationReport
{
    /// <summary>Where the predictions came from (file path or caller-supplied name).</summary>
    public required string Source { get; init; }

    /// <summary>Number of samples.</summary>
    public required int SampleCount { get; init; }

    /// <summary>Class names in column order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>True for a two-class problem scored by the second class's probability.</summary>
    public required bool IsBinary { get; init; }

    /// <summary>Decision threshold on the positive score (binary only, else <c>null</c>).</summary>
    public double? Threshold { get; init; }

    /// <summary>One row per class.</summary>
    public required IReadOnlyList<ClassReportRow> PerClass { get; init; }

    /// <summary>Accuracy in [0, 1].</summary>
    public required double Accuracy { get; init; }

    /// <summary>Balanced accuracy (mean recall over present classes).</summary>
    public required double BalancedAccuracy { get; init; }

    /// <summary>Matthews correlation coefficient in [-1, 1].</summary>
    public required double Mcc { get; init; }

    /// <summary>Macro-averaged precision, recall, F1.</summary>
    public required AveragedScores Macro { get; init; }

    /// <summary>Support-weighted precision, recall, F1.</summary>
    public required AveragedScores Weighted { get; init; }

    /// <summary>Micro-averaged precision, recall, F1 (all equal to accuracy for single-label data).</summary>
    public required AveragedScores Micro { get; init; }

    /// <summary>Binary: ROC AUC of the positive class. Multiclass: macro one-vs-rest AUC. <c>null</c> when undefined.</summary>
    public double? RocAuc { get; init; }

    /// <summary>Multiclass support-weighted one-vs-rest AUC (<c>null</c> for binary or when undefined).</summary>
    public double? RocAucWeighted { get; init; }

    /// <summary>Binary: average precision; multiclass: macro AP. <c>null</c> when undefined.</summary>
    public double? AveragePrecision { get; init; }

    /// <summary>Binary: the Youden-optimal operating point (<c>null</c> for multiclass or when undefined).</summary>
    public ThresholdResult? Youden { get; init; }

    /// <summary>Binary: sensitivity/specificity at <see cref="Threshold"/> (<c>null</c> for multiclass).</summary>
    public ThresholdResult? AtThreshold { get; init; }

    /// <summary>Confusion matrix, rows = true class, columns = predicted class, in <see cref="Classes"/> order.</summary>
    public required long[][] ConfusionMatrix { get; init; }

    /// <summary>
    /// Reads a predictions CSV: a <c>label</c> column plus either one <c>p</c> column (binary; labels 0/1 or
    /// true/false) or one <c>p_&lt;class&gt;</c> column per class (labels are class names). Other columns are ignored.
    /// </summary>
    /// <param name="path">CSV path (UTF-8, comma-separated, header row first).</param>
    /// <param name="threshold">Binary decision threshold on the positive score (default 0.5).</param>
    /// <exception cref="MetricFileException">
    /// Unreadable file, missing columns, a bad label or probability (message names file, row and column).
    /// </exception>
    public static ClassificationReport FromCsv(string path, double threshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(path);
        var table = CsvTable.Read(path);
        var labelCol = table.ColumnIndex("label");
        if (labelCol < 0)
        {
            throw new MetricFileException(path, 1, "label", "the header has no 'label' column.");
        }

        var pCol = table.ColumnIndex("p");
        var classCols = new List<(string Name, int Index)>();
        for (var i = 0; i < table.Header.Length; i++)
        {
            if (table.Header[i].StartsWith("p_", StringComparison.Ordinal) && table.Header[i].Length > 2)
            {
                classCols.Add((table.Header[i][2..], i));
            }
        }

        if (pCol >= 0 && classCols.Count > 0)
        {
            throw new MetricFileException(path, 1, "p", "use either one 'p' column (binary) or 'p_<class>' columns, not both.");
        }

        if (pCol < 0 && classCols.Count < 2)
        {
            throw new MetricFileException(path, 1, null,
                "need a 'p' column (binary) or at least two 'p_<class>' columns.");
        }

        if (table.Rows.Count == 0)
        {
            throw new MetricFileException(path, null, null, "the file has a header but no data rows.");
        }

        var n = table.Rows.Count;
        var labels = new int[n];
        if (pCol >= 0)
        {
            var scores = new double[n];
            for (var r = 0; r < n; r++)
            {
                var (line, fields) = table.Rows[r];
                labels[r] = ParseBinaryLabel(path, line, fields[labelCol]);
                scores[r] = ParseProbability(path, line, "p", fields[pCol]);
            }

            return FromScores(scores, labels, new[] { "0", "1" }, threshold, path);
        }

        var k = classCols.Count;
        var matrix = new double[n * k];
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var c = 0; c < k; c++)
        {
            lookup[classCols[c].Name] = c;
        }

        for (var r = 0; r < n; r++)
        {
            var (line, fields) = table.Rows[r];
            var label = fields[labelCol].Trim();
            if (!lookup.TryGetValue(label, out labels[r]))
            {
                throw new MetricFileException(path, line, "label",
                    $"label '{label}' is not one of the classes [{string.Join(", ", classCols.Select(c => c.Name))}].");
            }

            for (var c = 0; c < k; c++)
            {
                matrix[r * k + c] = ParseProbability(path, line, table.Header[classCols[c].Index], fields[classCols[c].Index]);
            }
        }

        var names = classCols.Select(c => c.Name).ToArray();
        if (k == 2)
        {
            var positive = new double[n];
            for (var r = 0; r < n; r++)
            {
                positive[r] = matrix[r * 2 + 1];
            }

            return FromScores(positive, labels, names, threshold, path);
        }

        return FromScores(matrix, labels, names, threshold, path);
    }

    /// <summary>Builds a report from scores and labels.</summary>
    /// <param name="scores">
    /// Two classes: the positive (second) class's score per sample, length n. More classes: row-major n×K scores.
    /// </param>
    /// <param name="labels">Class index per sample (0..K-1), length n.</param>
    /// <param name="classes">Class names, K &gt;= 2.</param>
    /// <param name="threshold">Binary decision threshold (default 0.5).</param>
    /// <param name="source">Name recorded in <see cref="Source"/>.</param>
    /// <exception cref="MetricException">Shape mismatch, non-finite score or label outside 0..K-1.</exception>
    public static ClassificationReport FromScores(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels,
        IReadOnlyList<string> classes, double threshold = 0.5, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var k = classes.Count;
        Guard.NumClasses(k, nameof(classes));
        Guard.NotEmpty(labels.Length, nameof(labels));
        Guard.Labels(labels, k, nameof(labels));
        Guard.Finite(scores, nameof(scores));
        var binary = k == 2;
        var expected = binary ? labels.Length : (long)labels.Length * k;
        if (scores.Length != expected)
        {
            throw new MetricException($"Length mismatch: scores has {scores.Length} elements, expected {expected}.", nameof(scores));
        }

        var n = labels.Length;
        var pred = new int[n];
        for (var i = 0; i < n; i++)
        {
            if (binary)
            {
                pred[i] = scores[i] >= threshold ? 1 : 0;
                continue;
            }

            var best = 0;
            for (var c = 1; c < k; c++)
            {
                if (scores[i * k + c] > scores[i * k + best])
                {
                    best = c;
                }
            }

            pred[i] = best;
        }

        var cm = Metrics.ConfusionMatrix.Compute(labels, pred, k);
        var per = ClassificationMetrics.PerClass(cm);
        var aucs = new double?[k];
        var aps = new double?[k];
        var s = scores.ToArray();
        var y = labels.ToArray();
        for (var c = 0; c < k; c++)
        {
            var support = per.Support[c];
            if (support == 0 || support == n)
            {
                continue;
            }

            var colScores = new double[n];
            var colLabels = new int[n];
            for (var i = 0; i < n; i++)
            {
                // Binary: class 0 is scored by the negated positive score (same ranking as 1 - p).
                colScores[i] = binary ? (c == 1 ? s[i] : -s[i]) : s[i * k + c];
                colLabels[i] = y[i] == c ? 1 : 0;
            }

            aucs[c] = RankingMetrics.RocAuc(colScores, colLabels);
            aps[c] = RankingMetrics.AveragePrecision(colScores, colLabels);
        }

        var rows = new ClassReportRow[k];
        for (var c = 0; c < k; c++)
        {
            rows[c] = new ClassReportRow(classes[c], per.Precision[c], per.Recall[c], per.FBeta[c], per.Support[c], aucs[c], aps[c]);
        }

        var allDefined = aucs.All(a => a is not null);
        var cmArray = new long[k][];
        for (var r = 0; r < k; r++)
        {
            cmArray[r] = new long[k];
            for (var c = 0; c < k; c++)
            {
                cmArray[r][c] = cm[r, c];
            }
        }

        return new ClassificationReport
        {
            Source = source ?? "(arrays)",
            SampleCount = n,
            Classes = classes.ToArray(),
            IsBinary = binary,
            Threshold = binary ? threshold : null,
            PerClass = rows,
            Accuracy = ClassificationMetrics.Accuracy(cm),
            BalancedAccuracy = ClassificationMetrics.BalancedAccuracy(cm),
            Mcc = ClassificationMetrics.Mcc(cm),
            Macro = AveragedScores.From(cm, AverageMethod.Macro),
            Weighted = AveragedScores.From(cm, AverageMethod.Weighted),
            Micro = AveragedScores.From(cm, AverageMethod.Micro),
            RocAuc = binary ? aucs[1] : allDefined ? aucs.Average(a => a!.Value) : null,
            RocAucWeighted = !binary && allDefined
                ? Enumerable.Range(0, k).Sum(c => aucs[c]!.Value * per.Support[c]) / n
                : null,
            AveragePrecision = binary ? aps[1] : allDefined ? aps.Average(a => a!.Value) : null,
            Youden = binary && aucs[1] is not null ? RankingMetrics.YoudenThreshold(s, y) : null,
            AtThreshold = binary ? RankingMetrics.AtThreshold(s, y, threshold) : null,
            ConfusionMatrix = cmArray,
        };
    }

    /// <summary>The report as indented camelCase JSON (NaN/∞ written as the strings "NaN"/"Infinity").</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ReportJson.Options);

    /// <summary>A fixed-width text table in the style of sklearn's <c>classification_report</c>, plus summary lines.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var w = Math.Max(12, Classes.Max(c => c.Length) + 2);
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Classification report: {Source} (n = {SampleCount}, {Classes.Count} classes)");
        sb.AppendLine(inv, $"{"class".PadRight(w)}{"precision",10}{"recall",10}{"f1-score",10}{"support",10}{"roc-auc",10}{"avg-prec",10}");
        foreach (var r in PerClass)
        {
            sb.AppendLine(inv, $"{r.Class.PadRight(w)}{ReportJson.F(r.Precision),10}{ReportJson.F(r.Recall),10}{ReportJson.F(r.F1),10}{r.Support,10}{ReportJson.F(r.RocAuc),10}{ReportJson.F(r.AveragePrecision),10}");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"{"accuracy".PadRight(w)}{"",10}{"",10}{ReportJson.F(Accuracy),10}{SampleCount,10}");
        foreach (var (name, a) in new[] { ("macro avg", Macro), ("weighted avg", Weighted), ("micro avg", Micro) })
        {
            sb.AppendLine(inv, $"{name.PadRight(w)}{ReportJson.F(a.Precision),10}{ReportJson.F(a.Recall),10}{ReportJson.F(a.F1),10}{SampleCount,10}");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"balanced accuracy {ReportJson.F(BalancedAccuracy)}   MCC {ReportJson.F(Mcc)}");
        if (IsBinary)
        {
            sb.AppendLine(inv, $"ROC AUC {ReportJson.F(RocAuc)}   average precision {ReportJson.F(AveragePrecision)}");
            if (AtThreshold is not null)
            {
                sb.AppendLine(inv, $"at threshold {Threshold?.ToString("G6", inv)}: sensitivity {ReportJson.F(AtThreshold.Sensitivity)}   specificity {ReportJson.F(AtThreshold.Specificity)}");
            }

            if (Youden is not null)
            {
                sb.AppendLine(inv, $"Youden threshold {Youden.Threshold.ToString("G6", inv)}: J {ReportJson.F(Youden.YoudenJ)}   sensitivity {ReportJson.F(Youden.Sensitivity)}   specificity {ReportJson.F(Youden.Specificity)}");
            }
        }
        else
        {
            sb.AppendLine(inv, $"ROC AUC one-vs-rest: macro {ReportJson.F(RocAuc)}   weighted {ReportJson.F(RocAucWeighted)}   macro AP {ReportJson.F(AveragePrecision)}");
        }

        sb.AppendLine("confusion matrix (rows = true, columns = predicted):");
        sb.AppendLine(inv, $"{"".PadRight(w)}{string.Concat(Classes.Select(c => c.PadLeft(Math.Max(10, c.Length + 1))))}");
        for (var r = 0; r < Classes.Count; r++)
        {
            sb.Append(Classes[r].PadRight(w));
            for (var c = 0; c < Classes.Count; c++)
            {
                sb.Append(ConfusionMatrix[r][c].ToString(inv).PadLeft(Math.Max(10, Classes[c].Length + 1)));
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static int ParseBinaryLabel(string path, long line, string text)
    {
        var t = text.Trim();
        if (t == "0" || t.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        if (t == "1" || t.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return 1;
        }

        throw new MetricFileException(path, line, "label", $"binary label must be 0/1 or true/false, found '{text}'.");
    }

    private static double ParseProbability(string path, long line, string column, string text)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
        {
            throw new MetricFileException(path, line, column, $"expected a finite number, found '{text}'.");
        }

        return v;
    }
}
