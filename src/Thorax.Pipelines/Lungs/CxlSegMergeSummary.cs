namespace Thorax.Pipelines.Lungs;

/// <summary>What the merge step wrote.</summary>
/// <param name="Catalogued">Images selected from the CSVs.</param>
/// <param name="Written">Images with complete outputs, listed in the four CSVs.</param>
/// <param name="Missing">Selected images without complete outputs (failed, absent from the tree, or in an unfinished shard).</param>
/// <param name="Failed">Distinct images listed in <c>failures.csv</c> (failures of all shards that are still unbuilt).</param>
/// <param name="SplitCounts">Images per split name (train, validate, test).</param>
/// <param name="Files">Paths of the CSVs written.</param>
public sealed record CxlSegMergeSummary(
    int Catalogued, int Written, int Missing, int Failed, IReadOnlyDictionary<string, int> SplitCounts, IReadOnlyList<string> Files);
