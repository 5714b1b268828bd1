namespace Thorax.Metrics.Internal;

/// <summary>
/// Cumulative true/false positive counts at each distinct score, in descending score order (sklearn
/// <c>_binary_clf_curve</c>). Built with one O(n log n) sort; every ranking metric reads from it.
/// </summary>
internal sealed class BinaryCurve
{
    private BinaryCurve(double[] thresholds, long[] tps, long[] fps, long positives, long negatives)
    {
        Thresholds = thresholds;
        Tps = tps;
        Fps = fps;
        Positives = positives;
        Negatives = negatives;
    }

    /// <summary>Distinct scores, descending.</summary>
    public double[] Thresholds { get; }

    /// <summary>Positives with score &gt;= Thresholds[i].</summary>
    public long[] Tps { get; }

    /// <summary>Negatives with score &gt;= Thresholds[i].</summary>
    public long[] Fps { get; }

    public long Positives { get; }

    public long Negatives { get; }

    public int Length => Thresholds.Length;

    /// <summary>Validates and builds the curve from scores and 0/1 labels.</summary>
    /// <param name="scores">Finite scores; higher = more positive.</param>
    /// <param name="labels">0/1 labels, same length.</param>
    /// <param name="scoresName">Argument name used in errors.</param>
    /// <param name="labelsName">Argument name used in errors.</param>
    /// <param name="requireBothClasses">Throw when either class is absent (AUC is undefined).</param>
    /// <param name="context">Appended to the single-class message (e.g. "class 2 one-vs-rest").</param>
    public static BinaryCurve Build(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, string scoresName,
        string labelsName, bool requireBothClasses, string? context = null)
    {
        Guard.SameLength(scores.Length, labels.Length, scoresName, labelsName);
        Guard.NotEmpty(scores.Length, scoresName);
        Guard.Finite(scores, scoresName);
        Guard.BinaryLabels(labels, labelsName);
        return FromArrays(scores.ToArray(), labels.ToArray(), labelsName, requireBothClasses, context);
    }

    /// <summary>Builds from already validated arrays (scores and 0/1 labels of equal length; not modified).</summary>
    /// <remarks>
    /// Positive and negative scores are sorted separately (two primitive <see cref="Array.Sort(Array)"/> calls,
    /// much faster than a keyed sort) and merged from the top, one step per distinct score.
    /// </remarks>
    public static BinaryCurve FromArrays(double[] keys, int[] items, string labelsName, bool requireBothClasses, string? context)
    {
        long positives = 0;
        foreach (var y in items)
        {
            positives += y;
        }

        var negatives = items.Length - positives;
        if (requireBothClasses && (positives == 0 || negatives == 0))
        {
            var present = positives == 0 ? "only negatives (0)" : "only positives (1)";
            throw new MetricException(
                $"{labelsName} holds {present}{(context is null ? "" : " for " + context)}; a ranking metric needs both classes.",
                labelsName);
        }

        var pos = new double[positives];
        var neg = new double[negatives];
        for (int i = 0, a = 0, b = 0; i < keys.Length; i++)
        {
            if (items[i] == 1)
            {
                pos[a++] = keys[i];
            }
            else
            {
                neg[b++] = keys[i];
            }
        }

        Array.Sort(pos);
        Array.Sort(neg);
        var capacity = keys.Length;
        var thresholds = new double[capacity];
        var tps = new long[capacity];
        var fps = new long[capacity];
        int ip = pos.Length - 1, jn = neg.Length - 1, k = 0;
        long tp = 0, fp = 0;
        while (ip >= 0 || jn >= 0)
        {
            var v = ip < 0 ? neg[jn] : jn < 0 ? pos[ip] : Math.Max(pos[ip], neg[jn]);
            while (ip >= 0 && pos[ip] == v)
            {
                tp++;
                ip--;
            }

            while (jn >= 0 && neg[jn] == v)
            {
                fp++;
                jn--;
            }

            thresholds[k] = v;
            tps[k] = tp;
            fps[k] = fp;
            k++;
        }

        Array.Resize(ref thresholds, k);
        Array.Resize(ref tps, k);
        Array.Resize(ref fps, k);
        return new BinaryCurve(thresholds, tps, fps, positives, negatives);
    }

    /// <summary>Trapezoidal ROC area, accumulated in integers and divided once (exact up to one rounding).</summary>
    public double RocAuc()
    {
        // 2 * area * P * N = sum (dFP) * (TP_i + TP_{i-1}); bounded by 2 * P * N, so it fits in a long.
        long twice = 0, prevTp = 0, prevFp = 0;
        for (var i = 0; i < Length; i++)
        {
            twice += (Fps[i] - prevFp) * (Tps[i] + prevTp);
            prevTp = Tps[i];
            prevFp = Fps[i];
        }

        return twice / (2.0 * Positives * (double)Negatives);
    }

    /// <summary>Average precision: sum over thresholds of (R_i - R_{i-1}) * P_i (sklearn, no interpolation).</summary>
    public double AveragePrecision()
    {
        double ap = 0;
        long prevTp = 0;
        for (var i = 0; i < Length; i++)
        {
            if (Tps[i] != prevTp)
            {
                var precision = (double)Tps[i] / (Tps[i] + Fps[i]);
                ap += (Tps[i] - prevTp) / (double)Positives * precision;
                prevTp = Tps[i];
            }
        }

        return ap;
    }
}
