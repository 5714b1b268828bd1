namespace Thorax.Pipelines.Contextual;

/// <summary>
/// Dice as ConTEXTual Net's <c>utility.dice_coeff</c> and its loop compute it: per image, prediction =
/// round(sigmoid(logit)) (logit &gt; 0), dice = (2 |P ∩ G| + 1) / (|P| + |G| + 1), 1 when both masks are empty; the
/// score of a set is the plain mean over images.
/// </summary>
public static class ContextualDice
{
    /// <summary>Dice of one image from its logits and 0/1 truth (same length).</summary>
    /// <exception cref="ArgumentException">The lengths differ (the message gives both).</exception>
    public static double Of(ReadOnlySpan<float> logits, ReadOnlySpan<byte> truth)
    {
        if (logits.Length != truth.Length)
            throw new ArgumentException($"prediction has {logits.Length} pixels but the mask has {truth.Length}: the mask is of another size than the model's output");
        long inter = 0, p = 0, g = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var pi = logits[i] > 0f;
            var gi = truth[i] != 0;
            if (pi) p++;
            if (gi) g++;
            if (pi && gi) inter++;
        }
        if (p == 0 && g == 0) return 1.0;
        return (2.0 * inter + 1.0) / (p + g + 1.0);
    }

    /// <summary>Mean and sample standard deviation (n - 1; 0 for one value) of a list.</summary>
    public static (double Mean, double Sd) MeanSd(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        var mean = values.Average();
        var sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0.0;
        return (mean, sd);
    }
}
