namespace Thorax.Pipelines.Lungs;

/// <summary>What one build run (one shard) did.</summary>
/// <param name="Shard">The shard built.</param>
/// <param name="Catalogued">Images selected from the CSVs (whole set, all shards).</param>
/// <param name="InShard">Of those, images belonging to this shard.</param>
/// <param name="AbsentSource">Shard images whose source JPEG is not in the MIMIC tree (partial download); not failures.</param>
/// <param name="AlreadyDone">Shard images whose outputs already existed complete (resumed run); not rebuilt.</param>
/// <param name="Built">Images segmented and written by this run.</param>
/// <param name="Failures">Images that could not be read or decoded (skipped; also in <c>failures/SHARD.csv</c>).</param>
/// <param name="CatalogSeconds">Seconds spent reading the CSVs and checking existing outputs.</param>
/// <param name="BuildSeconds">Seconds spent on the images (decode, segment, encode, write).</param>
/// <param name="Merge">The merge result when this run merged (single shard), else null.</param>
public sealed record CxlSegBuildSummary(
    CxlSegShard Shard, int Catalogued, int InShard, int AbsentSource, int AlreadyDone, int Built,
    IReadOnlyList<CxlSegFailure> Failures, double CatalogSeconds, double BuildSeconds, CxlSegMergeSummary? Merge)
{
    /// <summary>Images that failed.</summary>
    public int Failed => Failures.Count;

    /// <summary>Throughput of the image phase: (built + failed) / <see cref="BuildSeconds"/>, images per second (0 when nothing ran).</summary>
    public double ImagesPerSecond => BuildSeconds > 0 ? (Built + Failed) / BuildSeconds : 0;
}
