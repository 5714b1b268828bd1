using System.Text.Json;
using Thorax.Data.Datasets;
using Thorax.Data.IO;
using Thorax.Data.Siim;

namespace Thorax.Cli.Tests;

/// <summary><c>thorax evalset real-ptx</c>: the written folder round-trips (studies.csv, RLE vs mask PNGs, splits,
/// manifest), shares synth's studies.csv header, and bad input exits 2 naming the file.</summary>
public class EvalsetCommandTests
{
    private static string SharedData()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(p, "siim"))) return p;
        }
        Skip.If(true, "real data '../shared/data/siim' not found next to the repository; test skipped");
        return "";
    }

    private static string TempFolder() => Directory.CreateTempSubdirectory("thx-evalset-").FullName;

    [SkippableTheory]
    [InlineData(null)]
    [InlineData(256)]
    public void RealPtx_WritesAFolderThatRoundTrips(int? size)
    {
        string data = SharedData();
        string tmp = TempFolder();
        try
        {
            string outDir = Path.Combine(tmp, "real-ptx");
            string[] args = size is { } s
                ? ["evalset", "real-ptx", "--data", data, "--out", outDir, "--size", s.ToString(), "--json"]
                : ["evalset", "real-ptx", "--data", data, "--out", outDir, "--json"];
            var (code, output, err) = CliRunner.Run(args);
            Assert.True(code == 0, err);
            int n = size ?? 1024;

            CliSchemas.AssertValid("evalset-real-ptx", output);
            using var summary = JsonDocument.Parse(output);
            Assert.Equal("real-ptx", summary.RootElement.GetProperty("name").GetString());
            Assert.Equal(4, summary.RootElement.GetProperty("count").GetInt32());
            Assert.Equal(3, summary.RootElement.GetProperty("pneumothorax").GetInt32());
            Assert.Equal(3, summary.RootElement.GetProperty("with_mask").GetInt32());

            var studies = CsvTable.Read(Path.Combine(outDir, "studies.csv"));
            Assert.Equal(StudyTableColumns.Names, studies.Header);
            Assert.Equal(4, studies.Records.Count);
            string F(CsvRecord r, string column) => CsvTable.Field(r, studies.Require(column));
            Assert.All(studies.Records, r => Assert.Equal(("test", "Normal", n.ToString(), n.ToString()),
                (F(r, "split"), F(r, "class"), F(r, "width"), F(r, "height"))));
            Assert.Equal(["1", "1", "0", "1"], studies.Records.Select(r => F(r, "pneumothorax")));

            var rle = SiimRleTable.Read(Path.Combine(outDir, "siim", "train-rle.csv"));
            Assert.Equal("ImageId, EncodedPixels", File.ReadLines(Path.Combine(outDir, "siim", "train-rle.csv")).First());
            Assert.Equal(3, rle.ImageIds.Count);
            foreach (var r in studies.Records)
            {
                string id = F(r, "id");
                var image = ImageFiles.ReadSize(Path.Combine(outDir, "images", id + ".png"));
                Assert.Equal((n, n), image);
                string maskPath = Path.Combine(outDir, "masks", "pneumothorax", id + ".png");
                if (id == "00000013_005")
                {
                    Assert.False(File.Exists(maskPath), "the label-only NIH image must have no mask file");
                    Assert.Equal("", F(r, "ptx_pixels"));
                    Assert.False(rle.Contains(id));
                    continue;
                }
                var written = ImageFiles.ReadMask(maskPath);
                var decoded = rle.DecodeUnion(F(r, "sop_instance_uid"), n, n);
                Assert.Equal(written.Data, decoded.Data);
                Assert.Equal(F(r, "ptx_pixels"), decoded.CountNonZero().ToString());
            }
            if (size is null)
                Assert.Equal(["10133", "69274", "0", ""], studies.Records.Select(r => F(r, "ptx_pixels")));

            Assert.Equal(studies.Records.Select(r => F(r, "id")), File.ReadAllLines(Path.Combine(outDir, "splits", "test.txt")));
            Assert.Equal("", File.ReadAllText(Path.Combine(outDir, "splits", "train.txt")));
            Assert.Equal("", File.ReadAllText(Path.Combine(outDir, "splits", "validation.txt")));
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")));
            Assert.Equal("real-ptx", manifest.RootElement.GetProperty("name").GetString());
            Assert.Contains("Credit SIIM", manifest.RootElement.GetProperty("sources")[0].GetProperty("terms").GetString());

            // Writing again into the same folder is allowed (it holds this set).
            Assert.Equal(0, CliRunner.Run(args).Code);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    [Fact]
    public void RealPtx_StudiesHeaderIsWhatSynthWrites()
    {
        string tmp = TempFolder();
        try
        {
            string synth = Path.Combine(tmp, "synth");
            var (code, _, err) = CliRunner.Run("synth", "--out", synth, "--n", "1", "--size", "64", "--dicom", "none");
            Assert.True(code == 0, err);
            Assert.Equal(string.Join(",", StudyTableColumns.Names), File.ReadLines(Path.Combine(synth, "studies.csv")).First());
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    [SkippableFact]
    public void RealPtx_TruncatedDicom_Exits2NamingTheFile()
    {
        string data = SharedData();
        string tmp = TempFolder();
        try
        {
            string copy = Path.Combine(tmp, "data");
            foreach (var f in RealPneumothoraxSet.RequiredFiles)
            {
                string dst = Path.Combine(copy, f);
                Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
                File.Copy(Path.Combine(data, f), dst);
                File.SetAttributes(dst, FileAttributes.Normal); // the shared files are read-only
            }
            string dcm = Path.Combine(copy, "siim", "1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319.dcm");
            var bytes = File.ReadAllBytes(dcm);
            File.WriteAllBytes(dcm, bytes[..4000]);
            var (code, _, err) = CliRunner.Run("evalset", "real-ptx", "--data", copy, "--out", Path.Combine(tmp, "out"));
            Assert.Equal(2, code);
            Assert.Contains(dcm, err);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    [Fact]
    public void RealPtx_AbsentDataFolder_Exits2SayingAbsent()
    {
        string missing = Path.Combine(Path.GetTempPath(), "thx-no-such-" + Guid.NewGuid().ToString("N"));
        var (code, _, err) = CliRunner.Run("evalset", "real-ptx", "--data", missing, "--out", Path.Combine(missing, "out"));
        Assert.Equal(2, code);
        Assert.Contains(missing, err);
        Assert.Contains("absent", err);
    }

    [SkippableFact]
    public void RealPtx_NonEmptyForeignOutFolder_Exits2()
    {
        string data = SharedData();
        string tmp = TempFolder();
        try
        {
            File.WriteAllText(Path.Combine(tmp, "keep.txt"), "x");
            var (code, _, err) = CliRunner.Run("evalset", "real-ptx", "--data", data, "--out", tmp);
            Assert.Equal(2, code);
            Assert.Contains(tmp, err);
            Assert.True(File.Exists(Path.Combine(tmp, "keep.txt")));
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }
}
