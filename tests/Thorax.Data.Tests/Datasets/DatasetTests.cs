using Thorax.Data.Datasets;
using Thorax.Data.Siim;

namespace Thorax.Data.Tests.Datasets;

public class DatasetTests
{
    private static byte Ramp(int x, int y) => (byte)(x * 10 + y);

    [Fact]
    public void ImageFolderDataset_CsvWithMaskAndLabels_LoadsSampleAndAutoLabels()
    {
        using var t = new TempLayout();
        t.Png("img/a.png", 6, 4, Ramp);
        t.Png("img/b.png", 6, 4, (x, y) => 0);
        t.Png("msk/a.png", 6, 4, (x, y) => (byte)(x < 3 ? 255 : 0));
        string csv = t.Text("labels.csv", "image,mask,site,effusion,edema\nimg/a.png,msk/a.png,A,1,0\nimg/b.png,,B,,1\n");
        var ds = new ImageFolderDataset(t.Root, csv);
        Assert.Equal(["effusion", "edema"], ds.LabelNames);
        var a = ds.Get(0);
        Assert.Multiple(
            () => Assert.Equal("a", a.Id),
            () => Assert.Equal((1, 4, 6), (a.Channels, a.Height, a.Width)),
            () => Assert.Equal(Ramp(2, 1) / 255f, a.Image[1 * 6 + 2], 6),
            () => Assert.Equal(new byte[] { 1, 1, 1, 0, 0, 0 }, a.Masks[0][..6]),
            () => Assert.Equal(new float[] { 1, 0 }, a.Labels),
            () => Assert.Equal("A", a.Metadata["site"]));
        var b = ds.Get(1);
        Assert.Empty(b.Masks);
        Assert.True(float.IsNaN(b.Labels[0]));
    }

    [Fact]
    public void ImageFolderDataset_SizeAndChannels_ResizesAndRepeats()
    {
        using var t = new TempLayout();
        t.Png("a.png", 8, 8, Ramp);
        t.Png("m.png", 8, 8, (x, y) => (byte)(y < 4 ? 1 : 0));
        string csv = t.Text("l.csv", "path,mask\na.png,m.png\n");
        var ds = new ImageFolderDataset(t.Root, csv, new ImageFolderOptions { MaskColumn = "mask" },
            new DatasetOptions { Size = new ImageSize(4, 2), Channels = 3 });
        var s = ds.Get(0);
        s.Validate();
        Assert.Equal((3, 2, 4), (s.Channels, s.Height, s.Width));
        Assert.Equal(s.Plane(0).ToArray(), s.Plane(2).ToArray());
        Assert.Equal(new byte[] { 1, 1, 1, 1, 0, 0, 0, 0 }, s.Masks[0]);
        Assert.Empty(ds.LabelNames);
    }

    [Fact]
    public void ImageFolderDataset_NonNumericLabel_ThrowsWithLine()
    {
        using var t = new TempLayout();
        string csv = t.Text("l.csv", "image,y\na.png,1\nb.png,oops\n");
        var e = Assert.Throws<DataFormatException>(() => new ImageFolderDataset(t.Root, csv, new ImageFolderOptions { LabelColumns = ["y"] }));
        Assert.Equal(3, e.Line);
        Assert.Equal("y", e.Column);
    }

    [Fact]
    public void CandidPtxDataset_RleAndReport_DecodesRowMajorMask()
    {
        using var t = new TempLayout();
        t.Png("images/x1.png", 5, 4, Ramp);
        t.Png("images/x2.png", 5, 4, Ramp);
        string rle = StandardRle.Encode(new byte[] { 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 5, 4);
        string csv = t.Text("c.csv", $"image_id,text,label\nx1.png,\"Large right pneumothorax.\",{rle}\nx2.png,No pneumothorax.,-1\n");
        var ds = new CandidPtxDataset(csv, t.Path("images"));
        var s = ds.Get(0);
        Assert.Equal("Large right pneumothorax.", s.Report);
        Assert.Equal(3, s.Masks[0].Sum(v => v));
        Assert.Equal(1, s.Masks[0][1]);
        Assert.Equal(1, s.Masks[0][19]);
        Assert.Equal(new float[] { 1 }, ds.LabelsOf(0));
        Assert.Equal(new float[] { 0 }, ds.LabelsOf(1));
        Assert.Equal(0, ds.Get(1).Masks[0].Sum(v => v));
    }

    [Fact]
    public void EgdCxrDataset_SyntheticLayout_GazePeaksAtFixationsAndOneHotLabels()
    {
        using var t = new TempLayout();
        t.Png("mimic-cxr/files/p10/p10000001/s50000001/d1.png", 40, 40, Ramp);
        t.Text("egd-cxr/master_sheet.csv",
            "dicom_id,path,patient_id,study_id,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia,split\n" +
            "d1,files/p10/p10000001/s50000001/d1.png,10000001,50000001,0,0,440,440,0,1,0,train\n");
        t.Text("egd-cxr/fixations.csv",
            "DICOM_ID,SESSION_ID,Time (in secs),FPOGX,FPOGY,X_ORIGINAL,Y_ORIGINAL\n" +
            "d1,1,1.0,0.5,0.5,30,10\nd1,1,1.5,0.5,0.5,30,10\ncalib,1,2.0,0.5,0.5,5,5\n");
        var ds = new EgdCxrDataset(t.Path("egd-cxr"), t.Path("mimic-cxr"), new DatasetOptions { Size = new ImageSize(20, 20) }, gazeSigma: 4);
        var s = ds.Get(0);
        Assert.Equal(new float[] { 0, 1, 0 }, s.Labels);
        Assert.Equal("train", s.Metadata["split"]);
        int argmax = Array.IndexOf(s.Gaze!, s.Gaze!.Max());
        Assert.Equal((15, 5), (argmax % 20, argmax / 20)); // (30, 10) native at half resolution
        Assert.Equal(1f, s.Gaze!.Max(), 5);
    }

    [Fact]
    public void ReflacxDataset_SyntheticLayout_LabelsAndGazeMap()
    {
        using var t = new TempLayout();
        t.Png("images/dcm1.png", 32, 24, Ramp);
        t.Text("reflacx/metadata.csv", "id,dicom_id,subject_id,image_size_x,image_size_y,split,pneumothorax\nP1R1,dcm1,7,32,24,test,1\n");
        t.Text("reflacx/main_data/P1R1/fixations.csv",
            "timestamp_start_fixation,timestamp_end_fixation,average_x_position,average_y_position," +
            "angular_resolution_x_pixels_per_degree,angular_resolution_y_pixels_per_degree\n0,0.5,8,6,2,2\n");
        var ds = new ReflacxDataset(t.Path("reflacx"), t.Path("images"));
        Assert.Equal(["pneumothorax"], ds.LabelNames);
        var s = ds.Get(0);
        Assert.Equal(new float[] { 1 }, s.Labels);
        Assert.Equal("P1R1", ds.CaseIdOf(0));
        int argmax = Array.IndexOf(s.Gaze!, s.Gaze!.Max());
        Assert.Equal((8, 6), (argmax % 32, argmax / 32));
        Assert.Equal(1.0, s.Gaze!.Sum(), 3);
    }

    [Fact]
    public void MontgomeryDataset_UnionAndSeparateMasks()
    {
        using var t = new TempLayout();
        t.Png("m/CXR_png/MCUCXR_0001_1.png", 6, 4, Ramp);
        t.Png("m/ManualMask/leftMask/MCUCXR_0001_1.png", 6, 4, (x, y) => (byte)(x >= 4 ? 255 : 0));
        t.Png("m/ManualMask/rightMask/MCUCXR_0001_1.png", 6, 4, (x, y) => (byte)(x < 2 ? 255 : 0));
        var union = new MontgomeryDataset(t.Path("m")).Get(0);
        Assert.Equal(16, union.Masks.Single().Sum(v => v));
        Assert.Equal(new float[] { 1 }, union.Labels);
        var both = new MontgomeryDataset(t.Path("m"), unionMasks: false).Get(0);
        Assert.Equal(2, both.Masks.Count);
        Assert.Equal(1, both.Masks[0][5]);
        Assert.Equal(1, both.Masks[1][0]);
    }

    [Fact]
    public void SubsetDataset_WithIds_KeepsDatasetOrder()
    {
        using var t = new TempLayout();
        string csv = t.Text("l.csv", "image,y\na.png,0\nb.png,1\nc.png,0\n");
        var ds = new ImageFolderDataset(t.Root, csv);
        var sub = SubsetDataset.WithIds(ds, ["c", "a"]);
        Assert.Equal(["a", "c"], Enumerable.Range(0, sub.Count).Select(sub.IdOf));
        Assert.Equal(new float[] { 0 }, sub.LabelsOf(1));
    }
}
