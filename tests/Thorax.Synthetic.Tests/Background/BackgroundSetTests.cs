using Thorax.Data;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Synthetic.Tests.Background;

/// <summary>Finding and checking background pairs; bad input is skipped with the file and the reason, or refused with
/// a message naming the folder.</summary>
public sealed class BackgroundSetTests : IDisposable
{
    private readonly string _dir = TestUtil.TempDir();

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static Image<byte> Image(int w, int h, byte v = 90)
    {
        var img = new Image<byte>(w, h);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (byte)(v + i % 7);
        return img;
    }

    /// <summary>Two lung-shaped rectangles left and right of the centre (or fewer).</summary>
    private static Image<byte> Lungs(int w, int h, bool right = true, bool left = true)
    {
        var m = new Image<byte>(w, h);
        for (int y = h / 5; y < h * 4 / 5; y++)
            for (int x = 0; x < w; x++)
            {
                bool r = right && x >= w / 8 && x < w * 7 / 16;
                bool l = left && x >= w * 9 / 16 && x < w * 7 / 8;
                if (r || l) m[x, y] = 255;
            }
        return m;
    }

    private void Pair(string name, Image<byte> image, Image<byte>? mask)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "images"));
        Directory.CreateDirectory(Path.Combine(_dir, "masks"));
        Png.Write(Path.Combine(_dir, "images", name), image);
        if (mask is not null) Png.Write(Path.Combine(_dir, "masks", name), mask);
    }

    [Fact]
    public void BadPairsAreSkippedWithFileAndReason()
    {
        Pair("a_good.png", Image(128, 128), Lungs(128, 128));
        Pair("b_empty.png", Image(128, 128), new Image<byte>(128, 128));
        Pair("c_one_lung.png", Image(128, 128), Lungs(128, 128, left: false));
        Pair("d_size.png", Image(128, 128), Lungs(96, 96));
        var whole = new Image<byte>(128, 128);
        whole.Data.AsSpan().Fill(255);
        Pair("e_whole.png", Image(128, 128), whole);
        Pair("f_nomask.png", Image(128, 128), null);
        File.WriteAllBytes(Path.Combine(_dir, "images", "g_broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        Png.Write(Path.Combine(_dir, "masks", "g_broken.png"), Lungs(128, 128));
        Pair("h_wide.png", Image(160, 120), Lungs(160, 120));

        var set = BackgroundSet.Load(_dir);
        Assert.Equal(["a_good.png", "h_wide.png"], set.Backgrounds.Select(b => b.Name));
        string Reason(string file) => set.Skipped.Single(s => Path.GetFileName(s.Path) == file).Reason;
        Assert.Contains("empty", Reason("b_empty.png"));
        Assert.Contains("one lung", Reason("c_one_lung.png"));
        Assert.Contains("96x96", Reason("d_size.png"));
        Assert.Contains("not a lung mask", Reason("e_whole.png"));
        Assert.Contains("no mask", Reason("f_nomask.png"));
        Assert.Contains("does not decode", Reason("g_broken.png"));
        Assert.Equal(6, set.Skipped.Count);

        // Different sizes and aspect ratios are fine: each background is padded to a square and resized.
        var o = new SynthOptions { BackgroundDirectory = _dir, Count = 4, ImageSize = 96, Seed = 1, PneumothoraxRate = 1 };
        var gen = new StudyGenerator(o);
        for (int i = 0; i < 4; i++)
        {
            var st = gen.Generate(i);
            Assert.Equal(96 * 96, st.Image8.Length);
            Assert.True(st.PneumothoraxPixels > 0);
        }
        string outDir = Path.Combine(_dir, "out");
        var result = SyntheticDatasetWriter.Write(o with { OutputDirectory = outDir });
        Assert.Equal(2, result.BackgroundsUsed);
        Assert.Equal(6, result.BackgroundsSkipped.Count);
        string manifest = File.ReadAllText(Path.Combine(outDir, "manifest.json"));
        Assert.Contains("\"skipped\": 6", manifest);
        Assert.Contains("images/c_one_lung.png", manifest.Replace("masks/", "images/"));
    }

    [Fact]
    public void NoUsablePairNamesTheFolder()
    {
        Pair("b_empty.png", Image(64, 64), new Image<byte>(64, 64));
        var e = Assert.Throws<BackgroundSetException>(() => BackgroundSet.Load(_dir));
        Assert.Contains(_dir, e.Message);
        Assert.Contains("b_empty.png", e.Message);
    }

    [Fact]
    public void FolderWithoutEitherLayoutIsRefused()
    {
        Directory.CreateDirectory(_dir);
        var e = Assert.Throws<BackgroundSetException>(() => BackgroundSet.Load(_dir));
        Assert.Contains("pairs.csv", e.Message);
        Assert.Throws<BackgroundSetException>(() => BackgroundSet.Load(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void PairsCsvWithoutMaskColumnNamesTheFile()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "pairs.csv"), "image,source\na.png,x\n");
        var e = Assert.Throws<DataFormatException>(() => BackgroundSet.Load(_dir));
        Assert.Contains("pairs.csv", e.Message);
        Assert.Contains("mask", e.Message);
    }

    [Fact]
    public void PairsCsvPathsAreRelativeToTheCsv()
    {
        Pair("a.png", Image(100, 100), Lungs(100, 100));
        File.WriteAllText(Path.Combine(_dir, "pairs.csv"), "image,mask,other\nimages/a.png,masks/a.png,1\nimages/zz.png,masks/zz.png,2\n");
        var set = BackgroundSet.Load(_dir);
        Assert.Single(set.Backgrounds);
        Assert.Contains("zz.png", set.Skipped.Single().Path);
    }

    [Fact]
    public void UnknownShortcutNameListsTheValidOnes()
    {
        var e = Assert.Throws<InvalidSynthOptionsException>(() => SynthOptions.ParseShortcut("chest-drain"));
        Assert.Contains("device", e.Message);
    }
}
