using System.Globalization;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// CXLSeg's train / validate / test split (80:10:10), assigned per patient: all images of a <c>subject_id</c> land in the
/// same part, so no patient straddles train and test. The part follows from a stable hash of the subject id alone,
/// which keeps the split identical however the set is sharded, resumed or partly failed; the shares are therefore
/// 80:10:10 in expectation (over patients), not exactly.
/// </summary>
/// <remarks>The CXLSeg release ships its own split file, made by an unpublished procedure; this is a reproducible
/// stand-in with the same ratios and names.</remarks>
public static class CxlSegSplit
{
    /// <summary>The split names, in CXLSeg's spelling.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train", "validate", "test"];

    /// <summary>Part of patient <paramref name="subjectId"/>: "train" (80 %), "validate" (10 %) or "test" (10 %).</summary>
    /// <param name="subjectId">MIMIC-CXR subject_id.</param>
    /// <param name="seed">Split seed; another seed gives another (equally balanced) split.</param>
    public static string Assign(long subjectId, ulong seed = 0)
    {
        var h = CxlSegShard.StableHash(subjectId.ToString(CultureInfo.InvariantCulture), seed ^ 0x5851F42D4C957F2DUL);
        var u = (h >> 11) * (1.0 / (1UL << 53)); // uniform in [0, 1)
        return u < 0.8 ? "train" : u < 0.9 ? "validate" : "test";
    }
}
