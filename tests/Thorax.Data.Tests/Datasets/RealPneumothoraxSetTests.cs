using Thorax.Data.Datasets;
using Thorax.Data.Siim;
using Thorax.Dicom;
using Thorax.Imaging;

namespace Thorax.Data.Tests.Datasets;

/// <summary>The real-ptx evaluation set on the real files under ../shared/data (skipped when absent) and on
/// damaged copies of them in a temporary folder.</summary>
public class RealPneumothoraxSetTests
{
    private const string Id301 = "1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319";
    private const string Id307 = "1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533";
    private const string Id6904 = "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819";

    private static string SharedRoot()
    {
        string siim = TestData.RequireShared("siim");
        return Path.GetDirectoryName(siim)!;
    }

    /// <summary>Copies the files the set reads into a temporary folder (skips when the shared data is absent).</summary>
    private static TempDir CopyOfShared()
    {
        string root = SharedRoot();
        var t = new TempDir();
        foreach (var f in RealPneumothoraxSet.RequiredFiles.Append("nih/BBox_List_2017.csv.gz").Append("chestx-det/ChestX_Det_pneumothorax_subset.json"))
        {
            string dst = Path.Combine(t.Path, f);
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(Path.Combine(root, f), dst);
            File.SetAttributes(dst, FileAttributes.Normal); // the shared files are read-only; the copies get damaged
        }
        return t;
    }

    [SkippableFact]
    public void Load_RealFiles_FourItemsWithLabelsInstancesAndPixelCounts()
    {
        var set = RealPneumothoraxSet.Load(SharedRoot());
        Assert.Equal([Id301, Id307, Id6904, "00000013_005"], set.Items.Select(i => i.Id));
        Assert.Equal([1, 1, 0, 1], set.Items.Select(i => i.Label));
        Assert.Equal([1, 4, 0, (int?)null], set.Items.Select(i => i.Instances));
        Assert.Equal([10_133, 69_274, 0, (int?)null], set.Items.Select(i => i.MaskPixels));
        Assert.Null(set.Items[3].Mask);
        Assert.Contains("label only", set.Items[3].Provenance);
        Assert.All(set.Items, i => Assert.Equal((1024, 1024, 1), (i.Image.Width, i.Image.Height, i.Image.Channels)));
        Assert.All(set.Items, i => Assert.True(File.Exists(i.SourceFile), i.SourceFile));
        Assert.Equal(["siim", "nih", "chestx-det"], set.Sources.Select(s => s.Key));
        Assert.Contains("Credit SIIM, ACR, STR and NIH", set.Sources[0].Terms);
    }

    [SkippableFact]
    public void Load_RealFiles_MasksEqualTheOredRleRowsAndTheMaskPngs()
    {
        string root = SharedRoot();
        var set = RealPneumothoraxSet.Load(root);
        var table = SiimRleTable.Read(Path.Combine(root, "siim", "train-rle.csv.gz"));
        foreach (var item in set.Items.Take(3))
        {
            // Independent decode: each row painted on its own, then OR-ed.
            var expected = new byte[1024 * 1024];
            foreach (var row in table.RowsFor(item.Id))
            {
                var one = new byte[expected.Length];
                SiimRle.Decode(row.EncodedPixels, one, 1024, 1024);
                for (int k = 0; k < one.Length; k++) expected[k] |= one[k];
            }
            var mask = item.Mask!;
            Assert.Equal(expected.Count(v => v != 0), item.MaskPixels);
            Assert.True(mask.Data.All(v => v is 0 or 255), "mask must be 0/255");
            Assert.Equal(expected.Select(v => v != 0 ? (byte)255 : (byte)0).ToArray(), mask.Data);
            var png = ImageFiles.ReadMask(Path.Combine(root, "siim", "masks", item.Id + "_mask_union.png"));
            Assert.Equal(png.Data, mask.Data.Select(v => v != 0 ? (byte)1 : (byte)0).ToArray());
        }
    }

    [SkippableFact]
    public void Load_RealDicom_ImageIsTheStoredEightBitValues()
    {
        string root = SharedRoot();
        var item = RealPneumothoraxSet.Load(root).Items[0];
        var file = DicomFile.Open(item.SourceFile);
        var frame = DicomPixelData.Create(file).DecodeFrame(0);
        var stored = frame.AsBytes().ToArray();
        Assert.Equal(stored.Length, item.Image.Data.Length);
        Assert.Equal(stored, item.Image.Data);
        Assert.Equal("MONOCHROME2", item.Photometric);
        Assert.Equal("jpegbaseline8", item.Encoding);
        Assert.Equal(item.Id, item.SopInstanceUid);
    }

    [Fact]
    public void Load_MissingFolder_SaysTheSetIsAbsent()
    {
        string missing = Path.Combine(Path.GetTempPath(), "thx-no-such-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => RealPneumothoraxSet.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("absent", e.Message);
        Assert.False(RealPneumothoraxSet.IsPresent(missing));
    }

    [SkippableFact]
    public void Load_TruncatedDicom_ErrorNamesTheFile()
    {
        using var t = CopyOfShared();
        string dcm = Path.Combine(t.Path, "siim", Id307 + ".dcm");
        var bytes = File.ReadAllBytes(dcm);
        File.WriteAllBytes(dcm, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => RealPneumothoraxSet.Load(t.Path));
        Assert.Equal(dcm, e.FilePath);
        Assert.Contains(dcm, e.Message);
    }

    [SkippableFact]
    public void Load_MaskPngThatDisagrees_ErrorNamesThePng()
    {
        using var t = CopyOfShared();
        string png = Path.Combine(t.Path, "siim", "masks", Id301 + "_mask_union.png");
        Thorax.Imaging.Codecs.Png.Write(png, new Image<byte>(1024, 1024));
        var e = Assert.Throws<DataFormatException>(() => RealPneumothoraxSet.Load(t.Path));
        Assert.Equal(png, e.FilePath);
        Assert.Contains("10133 pixels", e.Message);
    }

    [SkippableFact]
    public void Load_MissingMemberFile_NamesIt()
    {
        using var t = CopyOfShared();
        string png = Path.Combine(t.Path, "nih", "00000013_005.png");
        File.Delete(png);
        var e = Assert.Throws<FileNotFoundException>(() => RealPneumothoraxSet.Load(t.Path));
        Assert.Contains(png, e.Message);
    }

    [SkippableFact]
    public void Load_NihBoxPresent_GivesABoxDerivedMask()
    {
        using var t = CopyOfShared();
        // Plain text under the .gz name: the reader detects gzip by its magic bytes.
        File.WriteAllText(Path.Combine(t.Path, "nih", "BBox_List_2017.csv.gz"),
            "Image Index,Finding Label,Bbox [x,y,w,h],,,\n00000013_005.png,Pneumothorax,100,200,30,40\n00000013_005.png,Mass,0,0,10,10\n");
        var nih = RealPneumothoraxSet.Load(t.Path).Items[3];
        Assert.Equal(30 * 40, nih.MaskPixels);
        Assert.Equal(1, nih.Instances);
        Assert.Equal(255, nih.Mask![115, 220]);
        Assert.Equal(0, nih.Mask![99, 220]);
        Assert.Contains("box-derived", nih.Provenance);
    }

    [Fact]
    public void FillPolygon_Rectangle_FillsThePixelsWhoseCentresAreInside()
    {
        var mask = new byte[10 * 8];
        RealPneumothoraxSet.FillPolygon(mask, 10, 8, [(2, 2), (6, 2), (6, 5), (2, 5)]);
        Assert.Equal(4 * 3 * 255, mask.Sum(v => v));
        Assert.Equal(255, mask[2 * 10 + 2]);
        Assert.Equal(255, mask[4 * 10 + 5]);
        Assert.Equal(0, mask[5 * 10 + 5]);
        Assert.Equal(0, mask[2 * 10 + 6]);
    }

    [Fact]
    public void SideOf_ImageLeftIsPatientRight()
    {
        var m = new Image<byte>(8, 2);
        Assert.Equal("", RealPneumothoraxSetWriter.SideOf(m));
        m[1, 0] = 255;
        Assert.Equal("right", RealPneumothoraxSetWriter.SideOf(m));
        m[6, 1] = 255;
        Assert.Equal("", RealPneumothoraxSetWriter.SideOf(m));
        m[1, 0] = 0;
        Assert.Equal("left", RealPneumothoraxSetWriter.SideOf(m));
    }
}
