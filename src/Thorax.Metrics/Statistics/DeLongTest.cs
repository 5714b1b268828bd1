using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// DeLong's test for correlated ROC AUCs, with the fast O(n log n) midrank algorithm of Sun &amp; Xu (IEEE SPL
/// 2014). Ties count one half, so the AUCs equal sklearn's <c>roc_auc_score</c>.
/// </summary>
public static class DeLongTest
{
    /// <summary>Compares the AUCs of two score sets on the same labelled samples.</summary>
    /// <param name="scores1">First model's finite scores.</param>
    /// <param name="scores2">Second model's finite scores, same samples and order.</param>
    /// <param name="labels">0/1 labels, at least 2 positives and 2 negatives.</param>
    /// <exception cref="MetricException">Length mismatch, non-finite score, bad label, or fewer than 2 samples of a class.</exception>
    public static DeLongResult Compare(ReadOnlySpan<double> scores1, ReadOnlySpan<double> scores2, ReadOnlySpan<int> labels)
    {
        Guard.SameLength(scores1.Length, labels.Length, nameof(scores1), nameof(labels));
        Guard.SameLength(scores2.Length, labels.Length, nameof(scores2), nameof(labels));
        Guard.Finite(scores1, nameof(scores1));
        Guard.Finite(scores2, nameof(scores2));
        Guard.BinaryLabels(labels, nameof(labels));
        var (m, n) = CountClasses(labels);
        var (auc1, v01a, v10a) = Components(scores1, labels, m, n);
        var (auc2, v01b, v10b) = Components(scores2, labels, m, n);
        var var1 = Covariance(v01a, v01a) / m + Covariance(v10a, v10a) / n;
        var var2 = Covariance(v01b, v01b) / m + Covariance(v10b, v10b) / n;
        var cov = Covariance(v01a, v01b) / m + Covariance(v10a, v10b) / n;
        var diffVar = var1 + var2 - 2 * cov;
        var diff = auc1 - auc2;
        double z, p;
        if (diffVar > 0)
        {
            z = diff / Math.Sqrt(diffVar);
            p = Math.Min(1.0, 2 * SpecialFunctions.NormalSf(Math.Abs(z)));
        }
        else if (diff == 0)
        {
            (z, p) = (0.0, 1.0);
        }
        else
        {
            (z, p) = (Math.CopySign(double.PositiveInfinity, diff), 0.0);
        }

        return new DeLongResult(auc1, auc2, var1, var2, cov, z, p);
    }

    /// <summary>DeLong variance of one AUC and its normal-approximation confidence interval (clipped to [0, 1]).</summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels, at least 2 positives and 2 negatives.</param>
    /// <param name="confidence">Confidence level in (0, 1), default 0.95.</param>
    /// <returns>(AUC, variance, lower, upper).</returns>
    public static (double Auc, double Variance, double Lower, double Upper) AucInterval(
        ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, double confidence = 0.95)
    {
        Guard.SameLength(scores.Length, labels.Length, nameof(scores), nameof(labels));
        Guard.Finite(scores, nameof(scores));
        Guard.BinaryLabels(labels, nameof(labels));
        if (!(confidence > 0 && confidence < 1))
        {
            throw new MetricException($"confidence must be in (0, 1), got {confidence}.", nameof(confidence));
        }

        var (m, n) = CountClasses(labels);
        var (auc, v01, v10) = Components(scores, labels, m, n);
        var variance = Covariance(v01, v01) / m + Covariance(v10, v10) / n;
        var half = SpecialFunctions.NormalQuantile(0.5 + confidence / 2) * Math.Sqrt(variance);
        return (auc, variance, Math.Max(0, auc - half), Math.Min(1, auc + half));
    }

    private static (int Positives, int Negatives) CountClasses(ReadOnlySpan<int> labels)
    {
        var m = 0;
        foreach (var y in labels)
        {
            m += y;
        }

        var n = labels.Length - m;
        if (m < 2 || n < 2)
        {
            throw new MetricException(
                $"DeLong's test needs at least 2 positives and 2 negatives, got {m} and {n}.", nameof(labels));
        }

        return (m, n);
    }

    /// <summary>AUC and the structural components V01 (per positive) and V10 (per negative).</summary>
    private static (double Auc, double[] V01, double[] V10) Components(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int m, int n)
    {
        var pos = new double[m];
        var neg = new double[n];
        for (int i = 0, a = 0, b = 0; i < labels.Length; i++)
        {
            if (labels[i] == 1)
            {
                pos[a++] = scores[i];
            }
            else
            {
                neg[b++] = scores[i];
            }
        }

        var all = new double[m + n];
        pos.CopyTo(all, 0);
        neg.CopyTo(all, m);
        var tx = MidRanks(pos);
        var ty = MidRanks(neg);
        var tz = MidRanks(all);
        double sumPos = 0;
        var v01 = new double[m];
        for (var i = 0; i < m; i++)
        {
            sumPos += tz[i];
            v01[i] = (tz[i] - tx[i]) / n;
        }

        var v10 = new double[n];
        for (var j = 0; j < n; j++)
        {
            v10[j] = 1.0 - (tz[m + j] - ty[j]) / m;
        }

        var auc = sumPos / m / n - (m + 1.0) / 2.0 / n;
        return (auc, v01, v10);
    }

    /// <summary>1-based ranks with ties given their average rank.</summary>
    private static double[] MidRanks(double[] values)
    {
        var n = values.Length;
        var keys = (double[])values.Clone();
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        var ranks = new double[n];
        var start = 0;
        while (start < n)
        {
            var end = start;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            var rank = 0.5 * (start + end - 1) + 1;
            for (var k = start; k < end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end;
        }

        return ranks;
    }

    /// <summary>Sample covariance (divisor n − 1, numpy <c>np.cov</c>).</summary>
    private static double Covariance(double[] x, double[] y)
    {
        double mx = 0, my = 0;
        for (var i = 0; i < x.Length; i++)
        {
            mx += x[i];
            my += y[i];
        }

        mx /= x.Length;
        my /= y.Length;
        double s = 0;
        for (var i = 0; i < x.Length; i++)
        {
            s += (x[i] - mx) * (y[i] - my);
        }

        return s / (x.Length - 1);
    }
}
