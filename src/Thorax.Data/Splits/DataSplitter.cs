namespace Thorax.Data.Splits;

/// <summary>
/// Seeded, deterministic dataset splits. Every method first sorts the ids (ordinal), so the result depends only on
/// the set of ids, their labels/groups and the seed, never on input order or platform. Randomness comes from
/// SplitMix64, not System.Random.
/// </summary>
/// <remarks>Splits published by Python tools (random.shuffle, numpy, torch.randperm) cannot be reproduced by any
/// seed here; read their exported CSV with <see cref="DataSplit.Read"/> / <see cref="FoldAssignment.Read"/> instead.</remarks>
public static class DataSplitter
{
    /// <summary>Random split into parts of the given shares (largest-remainder rounding).</summary>
    /// <param name="ids">Unique sample ids.</param>
    /// <param name="parts">Partitions and their shares, e.g. <see cref="SplitPart.TrainValTest"/>.</param>
    /// <param name="seed">Seed.</param>
    public static DataSplit Random(IEnumerable<string> ids, IReadOnlyList<SplitPart> parts, ulong seed)
    {
        SplitPart.Check(parts);
        var list = Sorted(ids);
        var rng = new SplitRng(seed);
        rng.Shuffle(list);
        return new DataSplit(Assign(list, parts));
    }

    /// <summary>Stratified split: each label's ids are split with the given shares separately, so every part
    /// keeps the label proportions (up to rounding per label).</summary>
    /// <param name="labels">id -&gt; stratum label (e.g. "0"/"1" or a class name).</param>
    /// <param name="parts">Partitions and shares.</param>
    /// <param name="seed">Seed.</param>
    public static DataSplit Stratified(IReadOnlyDictionary<string, string> labels, IReadOnlyList<SplitPart> parts, ulong seed)
    {
        SplitPart.Check(parts);
        var result = new List<KeyValuePair<string, string>>(labels.Count);
        ulong k = 0;
        foreach (var group in ByKey(labels))
        {
            var rng = SplitRng.Derive(seed, k++);
            rng.Shuffle(group);
            result.AddRange(Assign(group, parts));
        }
        return new DataSplit(result);
    }

    /// <summary>Grouped split (e.g. by patient): all ids of a group land in the same part. Groups are shuffled and
    /// each goes to the part whose sample count is furthest below its target.</summary>
    /// <param name="groups">id -&gt; group key (patient id).</param>
    /// <param name="parts">Partitions and shares (of samples, not groups).</param>
    /// <param name="seed">Seed.</param>
    public static DataSplit Grouped(IReadOnlyDictionary<string, string> groups, IReadOnlyList<SplitPart> parts, ulong seed)
    {
        SplitPart.Check(parts);
        var byGroup = ByKeyWithName(groups);
        var rng = new SplitRng(seed);
        rng.Shuffle(byGroup);
        double sum = parts.Sum(p => p.Fraction);
        var target = parts.Select(p => p.Fraction / sum * groups.Count).ToArray();
        var have = new int[parts.Count];
        var result = new List<KeyValuePair<string, string>>(groups.Count);
        foreach (var (_, members) in byGroup)
        {
            int best = 0;
            double bestDeficit = double.NegativeInfinity;
            for (int i = 0; i < parts.Count; i++)
            {
                double deficit = (target[i] - have[i]) / Math.Max(target[i], 1e-9);
                if (deficit > bestDeficit) { bestDeficit = deficit; best = i; }
            }
            have[best] += members.Count;
            foreach (var id in members) result.Add(KeyValuePair.Create(id, parts[best].Name));
        }
        return new DataSplit(result);
    }

    /// <summary>K-fold: shuffled ids dealt round-robin into <paramref name="folds"/> folds (sizes differ by at most 1).</summary>
    public static FoldAssignment KFold(IEnumerable<string> ids, int folds, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var list = Sorted(ids);
        var rng = new SplitRng(seed);
        rng.Shuffle(list);
        return new FoldAssignment(folds, list.Select((id, i) => KeyValuePair.Create(id, i % folds)));
    }

    /// <summary>Stratified k-fold: each label's shuffled ids are dealt round-robin, continuing where the previous
    /// label stopped, so folds keep the label proportions and differ in size by at most 1.</summary>
    public static FoldAssignment StratifiedKFold(IReadOnlyDictionary<string, string> labels, int folds, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var result = new List<KeyValuePair<string, int>>(labels.Count);
        int next = 0;
        ulong k = 0;
        foreach (var group in ByKey(labels))
        {
            var rng = SplitRng.Derive(seed, k++);
            rng.Shuffle(group);
            foreach (var id in group) { result.Add(KeyValuePair.Create(id, next)); next = (next + 1) % folds; }
        }
        return new FoldAssignment(folds, result);
    }

    /// <summary>Group k-fold (e.g. by patient): groups are shuffled, then placed largest first into the fold with the
    /// fewest samples, so no group spans two folds.</summary>
    public static FoldAssignment GroupKFold(IReadOnlyDictionary<string, string> groups, int folds, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var byGroup = ByKeyWithName(groups);
        var rng = new SplitRng(seed);
        rng.Shuffle(byGroup);
        var ordered = byGroup.Select((g, i) => (g, i)).OrderByDescending(t => t.g.Members.Count).ThenBy(t => t.i);
        var size = new int[folds];
        var result = new List<KeyValuePair<string, int>>(groups.Count);
        foreach (var (g, _) in ordered)
        {
            int f = 0;
            for (int i = 1; i < folds; i++) if (size[i] < size[f]) f = i;
            size[f] += g.Members.Count;
            foreach (var id in g.Members) result.Add(KeyValuePair.Create(id, f));
        }
        return new FoldAssignment(folds, result);
    }

    /// <summary>Monte Carlo cross-validation: <paramref name="repeats"/> independent random splits, repeat r using a
    /// stream derived from (seed, r).</summary>
    public static IReadOnlyList<DataSplit> MonteCarlo(IEnumerable<string> ids, IReadOnlyList<SplitPart> parts, int repeats, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        SplitPart.Check(parts);
        var sorted = Sorted(ids);
        var result = new DataSplit[repeats];
        for (int r = 0; r < repeats; r++)
        {
            var list = new List<string>(sorted);
            var rng = SplitRng.Derive(seed, (ulong)r);
            rng.Shuffle(list);
            result[r] = new DataSplit(Assign(list, parts));
        }
        return result;
    }

    private static List<string> Sorted(IEnumerable<string> ids)
    {
        var list = ids.ToList();
        list.Sort(StringComparer.Ordinal);
        for (int i = 1; i < list.Count; i++)
            if (list[i] == list[i - 1]) throw new ArgumentException($"duplicate id '{list[i]}'", nameof(ids));
        return list;
    }

    private static IEnumerable<KeyValuePair<string, string>> Assign(List<string> shuffled, IReadOnlyList<SplitPart> parts)
    {
        var counts = SplitPart.Allocate(parts, shuffled.Count);
        int pos = 0;
        for (int p = 0; p < parts.Count; p++)
            for (int i = 0; i < counts[p]; i++)
                yield return KeyValuePair.Create(shuffled[pos++], parts[p].Name);
    }

    private static List<List<string>> ByKey(IReadOnlyDictionary<string, string> keyed) =>
        ByKeyWithName(keyed).Select(g => g.Members).ToList();

    private static List<(string Key, List<string> Members)> ByKeyWithName(IReadOnlyDictionary<string, string> keyed) =>
        keyed.GroupBy(kv => kv.Value, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList()))
            .ToList();
}
