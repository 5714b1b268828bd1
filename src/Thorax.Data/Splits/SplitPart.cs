namespace Thorax.Data.Splits;

/// <summary>A named partition and its share of the samples.</summary>
/// <param name="Name">Partition name written to split files, e.g. "train", "val", "test".</param>
/// <param name="Fraction">Relative share (&gt; 0); shares are normalised by their sum.</param>
public sealed record SplitPart(string Name, double Fraction)
{
    /// <summary>train 0.8 / val 0.1 / test 0.1.</summary>
    public static IReadOnlyList<SplitPart> TrainValTest { get; } =
        [new("train", 0.8), new("val", 0.1), new("test", 0.1)];

    /// <summary>train 0.8 / test 0.2.</summary>
    public static IReadOnlyList<SplitPart> TrainTest { get; } = [new("train", 0.8), new("test", 0.2)];

    internal static void Check(IReadOnlyList<SplitPart> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("at least one split part is required", nameof(parts));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parts)
        {
            if (string.IsNullOrWhiteSpace(p.Name) || p.Name.Contains(',') || !names.Add(p.Name))
                throw new ArgumentException($"invalid or duplicate split name '{p.Name}'", nameof(parts));
            if (!(p.Fraction > 0) || double.IsInfinity(p.Fraction))
                throw new ArgumentException($"split '{p.Name}' has fraction {p.Fraction}; must be > 0", nameof(parts));
        }
    }

    /// <summary>Largest-remainder allocation of <paramref name="n"/> items (ties go to the earlier part).</summary>
    internal static int[] Allocate(IReadOnlyList<SplitPart> parts, int n)
    {
        double sum = parts.Sum(p => p.Fraction);
        var counts = new int[parts.Count];
        var rema = new double[parts.Count];
        int used = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            double exact = parts[i].Fraction / sum * n;
            counts[i] = (int)Math.Floor(exact);
            rema[i] = exact - counts[i];
            used += counts[i];
        }
        var order = Enumerable.Range(0, parts.Count).OrderByDescending(i => rema[i]).ThenBy(i => i).ToArray();
        for (int k = 0; used < n; k++, used++) counts[order[k % order.Length]]++;
        return counts;
    }
}
