using Thorax.Data.Annotations;

namespace Thorax.Data.Tests.Annotations;

public class AnnotationTests
{
    [SkippableFact]
    public void NihBoxList_RealFile_984BoxesWith98Pneumothorax()
    {
        var boxes = NihBox.Read(TestData.RequireShared("nih/BBox_List_2017.csv.gz"));
        Assert.Equal(984, boxes.Count);
        Assert.Equal(98, boxes.Count(b => b.FindingLabel == "Pneumothorax"));
        Assert.Equal("00013118_008.png", boxes[0].ImageIndex);
        Assert.Equal(225.084745762712, boxes[0].X, 9);
    }

    [SkippableFact]
    public void ChestXDet_PneumothoraxSubset_189ImagesWithPolygons()
    {
        var images = ChestXDetImage.Read(TestData.RequireShared("chestx-det/ChestX_Det_pneumothorax_subset.json"));
        Assert.Equal(189, images.Count);
        Assert.All(images, i => Assert.Contains(i.Instances, x => x.ClassName == "Pneumothorax" && x.Polygon.Count >= 3));
        Assert.Equal("36244.png", images[0].FileName);
    }

    [SkippableFact]
    public void LungPairs_RealFile_604PairsWithExistingFiles()
    {
        var pairs = LungPair.Read(TestData.RequireShared("lungs/pairs.csv"));
        Assert.Equal(604, pairs.Count);
        Assert.All(pairs.Take(5), p => Assert.True(File.Exists(p.MaskPath), p.MaskPath));
        Assert.Equal(new[] { "montgomery", "shenzhen" }, pairs.Select(p => p.Source).Distinct().Order().ToArray());
    }
}
