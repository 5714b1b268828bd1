namespace Thorax.Metrics.Tests.Saliency;

public class AttributionShareTests
{
    [Fact]
    public void MassShare_HandComputed()
    {
        // map 1, 2, 3, 4 (total 10); region covers index 1 fully and index 3 by half: (2 + 0.5·4) / 10 = 0.4
        Assert.Equal(0.4, AttributionShare.MassShare([1f, 2f, 3f, 4f], [0f, 1f, 0f, 0.5f]), 12);
        // all mass inside; none inside
        Assert.Equal(1.0, AttributionShare.MassShare([0f, 5f], [0f, 1f]), 12);
        Assert.Equal(0.0, AttributionShare.MassShare([5f, 0f], [0f, 1f]), 12);
        // an even map gives the area fraction (the chance level)
        Assert.Equal(AttributionShare.AreaFraction([0f, 1f, 0.5f, 0.5f]), AttributionShare.MassShare([2f, 2f, 2f, 2f], [0f, 1f, 0.5f, 0.5f]), 12);
        Assert.Equal(0.5, AttributionShare.AreaFraction([0f, 1f, 0.5f, 0.5f]), 12);
    }

    [Fact]
    public void MassShare_NoMass_IsNaN_BadValuesNamed()
    {
        Assert.True(double.IsNaN(AttributionShare.MassShare([0f, 0f], [1f, 0f])));
        Assert.Contains("index 1", Assert.Throws<MetricException>(() => AttributionShare.MassShare([1f, -1f], [0f, 0f])).Message);
        Assert.Contains("index 0", Assert.Throws<MetricException>(() => AttributionShare.MassShare([1f, 1f], [2f, 0f])).Message);
        Assert.Throws<MetricException>(() => AttributionShare.MassShare([1f], [0f, 0f]));
    }

    [Fact]
    public void NeighbourShare_HandComputed()
    {
        // 3 query nodes, k = 2, 4 keys with target coverage [1, 0, 0.5, 0].
        // node 0 (weight 1): keys 0, 1 -> (1 + 0) / 2 = 0.5
        // node 1 (weight 0): ignored
        // node 2 (weight 0.5): keys 2, 0 -> (0.5 + 1) / 2 = 0.75
        // share = (1·0.5 + 0.5·0.75) / 1.5 = 0.875 / 1.5
        long[] idx = [0, 1, 3, 3, 2, 0];
        Assert.Equal(0.875 / 1.5, AttributionShare.NeighbourShare(idx, 2, [1f, 0f, 0.5f], [1f, 0f, 0.5f, 0f]), 12);
        // no query node covered: NaN
        Assert.True(double.IsNaN(AttributionShare.NeighbourShare(idx, 2, [0f, 0f, 0f], [1f, 0f, 0.5f, 0f])));
    }

    [Fact]
    public void NeighbourShare_BadShapesAndIndicesNamed()
    {
        Assert.Contains("do not fit", Assert.Throws<MetricException>(() => AttributionShare.NeighbourShare([0L, 1L, 2L], 2, [1f, 1f], [0f, 0f, 0f])).Message);
        Assert.Contains("neighbour 7 of node 1", Assert.Throws<MetricException>(() => AttributionShare.NeighbourShare([0L, 1L, 7L, 0L], 2, [1f, 1f], [0f, 0f])).Message);
        Assert.Throws<MetricException>(() => AttributionShare.NeighbourShare([0L], 0, [1f], [0f]));
    }
}
