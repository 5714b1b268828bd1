using Thorax.Data.Datasets;
using Thorax.Data.Loading;

namespace Thorax.Data.Tests.Datasets;

/// <summary>Datasets over ../shared/data (skipped when absent).</summary>
public class RealDataTests
{
    [SkippableFact]
    public void LungPairsDataset_SharedPairs_LoadsBinaryLungMask()
    {
        string csv = TestData.RequireShared("lungs/pairs.csv");
        var ds = new LungPairsDataset(csv);
        Assert.Equal(604, ds.Count);
        var s = ds.Get(0);
        s.Validate();
        Assert.Equal((1, 256, 256), (s.Channels, s.Height, s.Width));
        Assert.Equal(ds.Pairs[0].LungPixels, s.Masks[0].Sum(v => v));
        Assert.Equal(["tb"], ds.LabelNames);
    }

    [SkippableFact]
    public void LungPairsDataset_LoaderWithCache_BatchesAndHitsCacheSecondEpoch()
    {
        string csv = TestData.RequireShared("lungs/pairs.csv");
        var cache = ImageCache.InMemory();
        var ds = new SubsetDataset(new LungPairsDataset(csv, new DatasetOptions { Size = new ImageSize(64, 64), Cache = cache }), Enumerable.Range(0, 12));
        var loader = new DataLoader(ds, new DataLoaderOptions { BatchSize = 4, NumWorkers = 2, Shuffle = true });
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var b in loader.Epoch(epoch))
                using (b)
                {
                    Assert.Equal(new long[] { 4, 1, 64, 64 }, b.Images.shape);
                    Assert.Equal(new long[] { 4, 1, 64, 64 }, b.Masks!.shape);
                }
        Assert.Equal(12, cache.Misses);
        Assert.Equal(12, cache.Hits);
    }

    [SkippableFact]
    public void SiimDataset_SharedDicoms_MaskAreasMatchReadme()
    {
        string folder = TestData.RequireShared("siim");
        string rle = TestData.RequireShared("siim/train-rle.csv.gz");
        var ds = new SiimDataset(folder, rle);
        Assert.Equal(3, ds.Count);
        var areas = new Dictionary<string, int>();
        for (int i = 0; i < ds.Count; i++)
        {
            var s = ds.Get(i);
            Assert.Equal((1024, 1024), (s.Width, s.Height));
            Assert.InRange(s.Image.Max(), 0.5f, 1f);
            areas[s.Id.Split('.')[^3]] = s.Masks[0].Sum(v => v);
        }
        Assert.Equal(10133, areas["301"]);
        Assert.Equal(69274, areas["307"]);
        Assert.Equal(0, areas["6904"]);
    }

    [SkippableFact]
    public void SiimDataset_SopInstanceUidKey_FindsSameImages()
    {
        string folder = TestData.RequireShared("siim");
        string rle = TestData.RequireShared("siim/train-rle.csv.gz");
        var ds = new SiimDataset(folder, rle, new DatasetOptions { Size = new ImageSize(128, 128) }, SiimImageKey.SopInstanceUid);
        Assert.Equal(3, ds.Count);
        var s = ds.Get(Enumerable.Range(0, 3).First(i => ds.IdOf(i).Contains(".307.")));
        Assert.InRange(s.Masks[0].Sum(v => v), 69274 / 64 - 200, 69274 / 64 + 200);
    }

    [SkippableFact]
    public void NihDataset_SharedPngsWithOwnBoxList_BoxBecomesMaskAndDataEntryGivesLabels()
    {
        string folder = TestData.RequireShared("nih");
        var real = new NihDataset(folder, TestData.RequireShared("nih/BBox_List_2017.csv.gz"));
        Assert.Equal(3, real.Count);
        Assert.Empty(real.BoxesOf("00000013_005.png")); // none of the three sample images has a box
        Assert.All(real.LabelsOf(0), v => Assert.True(float.IsNaN(v)));

        using var t = new TempLayout();
        string boxes = t.Text("boxes.csv", "Image Index,Finding Label,Bbox [x,y,w,h],,,\n00000013_005.png,Pneumothorax,100,200,64,128\n00000013_005.png,Infiltrate,0,0,16,16\n");
        string entry = t.Text("entry.csv", "Image Index,Finding Labels,Patient ID\n00000013_005.png,Pneumothorax|Emphysema,13\n00000001_000.png,No Finding,1\n");
        var ds = new NihDataset(folder, boxes, new DatasetOptions { Size = new ImageSize(256, 256) }, maskFinding: "Pneumothorax");
        int i = Enumerable.Range(0, 3).First(k => ds.IdOf(k) == "00000013_005.png");
        var s = ds.Get(i);
        Assert.Equal(1f, s.Labels[NihDataset.FindingIndex("Pneumothorax")]);
        Assert.Equal(1f, s.Labels[NihDataset.FindingIndex("Infiltration")]);
        Assert.Equal(64 * 128 / 16, s.Masks[0].Sum(v => v));
        Assert.Equal(1, s.Masks[0][(200 / 4 + 2) * 256 + 100 / 4 + 2]);
        var labelled = new NihDataset(folder, boxes, dataEntryCsv: entry);
        var l = labelled.LabelsOf(i);
        Assert.Equal(2f, l.Sum());
        Assert.Equal(1f, l[NihDataset.FindingIndex("Emphysema")]);
        Assert.Equal(0f, labelled.LabelsOf(Enumerable.Range(0, 3).First(k => labelled.IdOf(k) == "00000001_000.png")).Sum());
    }
}
