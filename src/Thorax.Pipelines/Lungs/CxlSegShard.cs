using System.Globalization;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// One of <see cref="Count"/> disjoint slices of the CXLSeg image set. An image belongs to shard
/// <c>StableHash(dicom_id) mod Count</c>, so membership depends only on the image's own id: it does not change when
/// other images are added, missing or failing, and it is the same on every machine and .NET version.
/// </summary>
/// <param name="Index">0-based shard index, 0 &lt;= Index &lt; Count (Slurm <c>SLURM_ARRAY_TASK_ID</c> with
/// <c>--array=0-(N-1)</c>, Kubernetes <c>JOB_COMPLETION_INDEX</c>).</param>
/// <param name="Count">Number of shards, &gt;= 1.</param>
public readonly record struct CxlSegShard(int Index, int Count)
{
    /// <summary>The whole set as a single shard (0/1).</summary>
    public static CxlSegShard All => new(0, 1);

    /// <summary>Parses <c>i/n</c> (0-based <c>i</c>, e.g. <c>3/16</c>).</summary>
    /// <exception cref="FormatException">Not two integers separated by '/', or not 0 &lt;= i &lt; n.</exception>
    public static CxlSegShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new FormatException($"shard '{text}' is not i/n (two non-negative integers, e.g. 0/4)");
        if (n < 1 || i >= n) throw new FormatException($"shard '{text}': need 0 <= i < n and n >= 1 (i is 0-based)");
        return new CxlSegShard(i, n);
    }

    /// <summary>True when the image <paramref name="dicomId"/> belongs to this shard.</summary>
    public bool Contains(string dicomId) => Count <= 1 || (int)(StableHash(dicomId) % (ulong)Count) == Index;

    /// <summary>File-name tag, e.g. <c>shard-3-of-16</c>.</summary>
    public string Tag => string.Create(CultureInfo.InvariantCulture, $"shard-{Index}-of-{Count}");

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>
    /// 64-bit FNV-1a over the UTF-16 code units of <paramref name="text"/>, finished with the SplitMix64 mixer so
    /// that every output bit (and hence any modulus) is well spread. Stable across processes and platforms.
    /// </summary>
    public static ulong StableHash(string text, ulong seed = 0)
    {
        var h = 14695981039346656037UL ^ seed;
        foreach (var c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}
