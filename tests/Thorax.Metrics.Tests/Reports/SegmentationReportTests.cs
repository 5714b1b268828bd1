using System.Text.Json;

namespace Thorax.Metrics.Tests.Reports;

public class SegmentationReportTests
{
    private static readonly JsonElement Data = Golden.Load("segmentation.json");

    private static List<(string Id, BinaryMask Prediction, BinaryMask Truth)> Items()
    {
        var w = Data.GetProperty("width").GetInt32();
        var h = Data.GetProperty("height").GetInt32();
        return Data.Items("images").Select(e => (e.GetProperty("id").GetString()!,
            new BinaryMask(e.Bytes("pred"), w, h), new BinaryMask(e.Bytes("truth"), w, h))).ToList();
    }

    [Fact]
    public void FromMasks_Golden_KaggleMeanAndCounts()
    {
        var report = SegmentationReport.FromMasks(Items());
        Golden.Close(Data.D("kaggle_mean_dice"), report.MeanDice);
        Assert.Equal(10, report.ImageCount);
        Assert.Equal(10, report.ScoredImageCount);
        Assert.Equal(2, report.BothEmptyCount);        // kind 4 images: img4, img9
        Assert.Equal(2, report.FalsePositiveImageCount); // kind 3: prediction only
        Assert.Equal(2, report.MissedImageCount);        // kind 2: truth only
        var images = Data.Items("images").ToList();
        for (var i = 0; i < images.Count; i++)
        {
            if (!images[i].GetProperty("both_empty").GetBoolean())
            {
                Golden.Close(images[i].D("iou"), report.Images[i].IoU);
            }
        }

        long tp = images.Sum(e => e.GetProperty("tp").GetInt64());
        long fp = images.Sum(e => e.GetProperty("fp").GetInt64());
        long fn = images.Sum(e => e.GetProperty("fn").GetInt64());
        Golden.Close(2.0 * tp / (2 * tp + fp + fn), report.GlobalDice);
    }

    [Fact]
    public void FromMasks_NaNPolicy_JsonCarriesNaNAndMeansSkipIt()
    {
        var report = SegmentationReport.FromMasks(Items(), EmptyMaskPolicy.NaN);
        Golden.Close(Data.D("skip_mean_dice"), report.MeanDice);
        Assert.Equal(8, report.ScoredImageCount);
        var json = report.ToJson();
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("NaN", doc.RootElement.GetProperty("images")[4].GetProperty("dice").GetString());
        Assert.Equal("nan", doc.RootElement.GetProperty("empty_policy").GetString());
        var text = report.ToText(maxImages: 3);
        Assert.Contains("img2", text);
        Assert.Contains("7 more images", text);
    }

    [Fact]
    public void FromMasks_DuplicateIdOrSizeMismatch_NamesImage()
    {
        var a = new BinaryMask(new byte[4], 2, 2);
        var b = new BinaryMask(new byte[6], 3, 2);
        var ex = Assert.Throws<MetricException>(() => SegmentationReport.FromMasks(new[] { ("x", a, a), ("x", a, a) }));
        Assert.Contains("'x'", ex.Message);
        Assert.Equal(1, ex.Index);
        ex = Assert.Throws<MetricException>(() => SegmentationReport.FromMasks(new[] { ("ok", a, a), ("bad", a, b) }));
        Assert.Contains("'bad'", ex.Message);
        Assert.Throws<MetricException>(() => SegmentationReport.FromMasks(Array.Empty<(string, BinaryMask, BinaryMask)>()));
    }
}
