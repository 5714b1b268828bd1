namespace Thorax.Metrics;

/// <summary>
/// Where a classifier's attention lands, measured against known regions (e.g. a planted shortcut and the finding):
/// the share of an attribution map's mass inside a region, and the share of a graph's neighbours that fall in a region.
/// Regions are soft masks in [0, 1] (the fraction of each pixel or cell that the region covers), so a mask resized by
/// area averaging keeps its meaning. Values are accumulated in float64.
/// </summary>
public static class AttributionShare
{
    /// <summary>
    /// <c>Σ_p map_p · region_p / Σ_p map_p</c>: the share of the attribution mass inside the region (0..1). A map spread
    /// evenly gives the region's area fraction (<see cref="AreaFraction"/>), the chance level to compare with.
    /// </summary>
    /// <param name="map">Attribution map (e.g. Grad-CAM after ReLU), finite and non-negative.</param>
    /// <param name="region">Soft region mask in [0, 1], same length.</param>
    /// <returns>The share, or NaN when the map has no mass (all zero).</returns>
    /// <exception cref="MetricException">Lengths differ, or a negative or non-finite value (index named).</exception>
    public static double MassShare(ReadOnlySpan<float> map, ReadOnlySpan<float> region)
    {
        if (map.Length != region.Length) throw new MetricException($"map has {map.Length} values but the region {region.Length}");
        double total = 0, inside = 0;
        for (var i = 0; i < map.Length; i++)
        {
            float m = map[i], r = region[i];
            if (!float.IsFinite(m) || m < 0) throw new MetricException($"attribution map value {m} at index {i} is negative or not finite");
            if (!float.IsFinite(r) || r < 0 || r > 1) throw new MetricException($"region value {r} at index {i} is outside [0, 1]");
            total += m;
            inside += (double)m * r;
        }
        return total > 0 ? inside / total : double.NaN;
    }

    /// <summary>The region's mean coverage <c>Σ region / n</c> (its area fraction); NaN for an empty span.</summary>
    public static double AreaFraction(ReadOnlySpan<float> region)
    {
        if (region.Length == 0) return double.NaN;
        double s = 0;
        foreach (var r in region) s += r;
        return s / region.Length;
    }

    /// <summary>
    /// The share of graph neighbours that fall in a region, seen from the query nodes that cover another region:
    /// <c>Σ_i w_i · (1/k) Σ_{j ∈ N(i)} r_j / Σ_i w_i</c>, where <c>N(i)</c> are query node i's k neighbours (indices
    /// into the key nodes), <c>w_i</c> the query node's coverage by the source region (e.g. the finding) and <c>r_j</c>
    /// the key node's coverage by the target region (e.g. the shortcut). Random neighbours would give the target's
    /// mean key coverage (<see cref="AreaFraction"/> of <paramref name="keyRegion"/>).
    /// </summary>
    /// <param name="neighbours">Row-major [N, k] key indices (one sample of a KNN graph).</param>
    /// <param name="k">Neighbours per query node.</param>
    /// <param name="queryWeight">Source-region coverage of each query node, [N], in [0, 1].</param>
    /// <param name="keyRegion">Target-region coverage of each key node, [M], in [0, 1].</param>
    /// <returns>The share, or NaN when no query node is covered by the source region.</returns>
    /// <exception cref="MetricException">Shapes do not fit, an index is outside the keys, or a weight outside [0, 1].</exception>
    public static double NeighbourShare(ReadOnlySpan<long> neighbours, int k, ReadOnlySpan<float> queryWeight, ReadOnlySpan<float> keyRegion)
    {
        if (k < 1) throw new MetricException($"k must be positive, got {k}");
        if (neighbours.Length != (long)queryWeight.Length * k)
            throw new MetricException($"{neighbours.Length} neighbour indices do not fit {queryWeight.Length} query nodes x k = {k}");
        double wsum = 0, acc = 0;
        for (var i = 0; i < queryWeight.Length; i++)
        {
            var w = queryWeight[i];
            if (!float.IsFinite(w) || w < 0 || w > 1) throw new MetricException($"query weight {w} at node {i} is outside [0, 1]");
            if (w == 0) continue;
            double s = 0;
            for (var j = 0; j < k; j++)
            {
                var idx = neighbours[i * k + j];
                if (idx < 0 || idx >= keyRegion.Length) throw new MetricException($"neighbour {idx} of node {i} is outside the {keyRegion.Length} key nodes");
                var r = keyRegion[(int)idx];
                if (!float.IsFinite(r) || r < 0 || r > 1) throw new MetricException($"key region value {r} at key {idx} is outside [0, 1]");
                s += r;
            }
            wsum += w;
            acc += w * (s / k);
        }
        return wsum > 0 ? acc / wsum : double.NaN;
    }
}
