using FsCheck;
using FsCheck.Fluent;
using Thorax.Data.IO;
using Thorax.Data.Mimic;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Lungs;

namespace Thorax.Pipelines.Tests.Lungs;

public sealed class CxlSegBuilderTests : IClassFixture<CxlSegBuilderTests.ModelFixture>
{
    /// <summary>One tiny untrained U-Net run folder shared by the tests of this class.</summary>
    public sealed class ModelFixture : IDisposable
    {
        public string Dir { get; } = SyntheticMimicTree.UntrainedModel(size: 32, baseChannels: 4);

        public void Dispose() => Directory.Delete(Dir, true);
    }

    private readonly string _model;

    public CxlSegBuilderTests(ModelFixture model) => _model = model.Dir;

    private CxlSegBuilderOptions Options(SyntheticMimicTree tree, string outDir, CxlSegShard? shard = null) => new()
    {
        MimicDir = tree.Root, OutDir = outDir, ModelDir = _model, Shard = shard ?? CxlSegShard.All, Workers = 2, OutputSize = 64,
    };

    private static string TempDir() => Directory.CreateTempSubdirectory("thorax-cxlseg-").FullName;

    private static string ReadGz(string path) => DataFile.ReadAllText(path);

    private static string[] Csvs(string outDir) =>
        new[] { CxlSegCsv.MetadataFile, CxlSegCsv.SegmentedFile, CxlSegCsv.SplitFile, CxlSegCsv.MaskFile }.Select(f => ReadGz(Path.Combine(outDir, f))).ToArray();

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/16", 3, 16)]
    [InlineData(" 2 / 4 ", 2, 4)]
    public void Parse_ValidShard_ReturnsIndexAndCount(string text, int index, int count) =>
        Assert.Equal(new CxlSegShard(index, count), CxlSegShard.Parse(text));

    [Theory]
    [InlineData("4/4")]
    [InlineData("1/0")]
    [InlineData("-1/3")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    public void Parse_InvalidShard_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => CxlSegShard.Parse(text));

    [Fact]
    public void Contains_AnyIdAndShardCount_ExactlyOneShardHolds() =>
        Prop.ForAll(ArbMap.Default.ArbFor<NonNull<string>>(), Gen.Choose(1, 40).ToArbitrary(), (id, n) =>
            Enumerable.Range(0, n).Count(i => new CxlSegShard(i, n).Contains(id.Get)) == 1).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData("", 0xF52A15E9A9B5E89BUL)]
    [InlineData("02aa804e-bde0afdd-112c0b34-7bc16630-4e384014", 0xFDA2049073058B66UL)]
    public void StableHash_KnownInput_MatchesPythonReference(string text, ulong expected)
    {
        // Values from an independent Python implementation (FNV-1a 64 over UTF-16 code units + SplitMix64 mixer);
        // shard membership of a published dataset depends on them, so they must never change.
        Assert.Equal(expected, CxlSegShard.StableHash(text));
        Assert.True(new CxlSegShard((int)(expected % 16), 16).Contains(text));
    }

    [Fact]
    public void Contains_TwentyThousandIds_SpreadsEvenlyOverEightShards()
    {
        var counts = new int[8];
        for (var i = 0; i < 20000; i++)
        {
            var id = $"{i * 2654435761L:x8}-{i:x8}";
            counts[(int)(CxlSegShard.StableHash(id) % 8)]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 2500 - 200, 2500 + 200));
    }

    [Fact]
    public void Assign_TwentyThousandSubjects_IsEightyTenTen()
    {
        var counts = Enumerable.Range(0, 20000).Select(s => CxlSegSplit.Assign(10000000 + 37L * s)).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(counts["train"], 15600, 16400);
        Assert.InRange(counts["validate"], 1800, 2200);
        Assert.InRange(counts["test"], 1800, 2200);
        Assert.Equal(CxlSegSplit.Assign(10000032), CxlSegSplit.Assign(10000032));
        var differ = Enumerable.Range(0, 200).Count(s => CxlSegSplit.Assign(10000000 + s, 1) != CxlSegSplit.Assign(10000000 + s, 2));
        Assert.True(differ > 10, $"seeds 1 and 2 disagree on only {differ} of 200 subjects");
    }

    [Theory]
    [InlineData("PA", true)]
    [InlineData(" ap ", true)]
    [InlineData("AP AXIAL", false)]
    [InlineData("PA LLD", false)]
    [InlineData("LATERAL", false)]
    [InlineData("", false)]
    public void IsFrontal_ViewPosition_MatchesCxlSegSelection(string view, bool frontal) =>
        Assert.Equal(frontal, CxlSegCatalog.IsFrontal(view));

    [Fact]
    public void Load_SyntheticCsvs_SelectsLabelledFrontalImagesInPathOrder()
    {
        using var tree = new SyntheticMimicTree(subjects: 6);
        var catalog = CxlSegCatalog.Load(CxlSegCatalog.FindCsv(tree.Root, CxlSegCatalog.MetadataStem), CxlSegCatalog.FindCsv(tree.Root, CxlSegCatalog.ChexpertStem));
        Assert.Equal(tree.Frontal, catalog.Images.Select(i => i.ImagePath));
        Assert.Equal(6 + 2 + 6 + 2, catalog.MetadataRows); // PA + LATERAL per subject, AP for subjects 0 and 3, AP AXIAL, unlabelled AP
        Assert.Equal(tree.Frontal.Count + 1, catalog.FrontalRows);
        Assert.Equal(1, catalog.UnlabelledFrontal);
        Assert.All(catalog.Images, i => Assert.Equal(i.ImagePath[..^4] + "-mask.jpg", i.MaskPath));
        Assert.All(catalog.Images.SelectMany(i => i.Labels), c => Assert.Contains(c, new[] { "1.0", "0.0", "-1.0", "" }));

        var keep = CxlSegCatalog.Load(CxlSegCatalog.FindCsv(tree.Root, CxlSegCatalog.MetadataStem), CxlSegCatalog.FindCsv(tree.Root, CxlSegCatalog.ChexpertStem), requireLabels: false);
        var extra = Assert.Single(keep.Images, i => i.ImagePath == tree.UnlabelledPath);
        Assert.All(extra.Labels, c => Assert.Equal("", c));
    }

    [Fact]
    public void FindCsv_Missing_NamesTheFile()
    {
        var dir = TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => CxlSegCatalog.FindCsv(dir, CxlSegCatalog.MetadataStem));
        Assert.Contains("mimic-cxr-2.0.0-metadata.csv.gz", e.Message);
        Directory.Delete(dir);
    }

    [Fact]
    public void Build_SyntheticTree_WritesMaskedImagesMasksAndCsvs()
    {
        using var tree = new SyntheticMimicTree(subjects: 6);
        var outDir = TempDir();
        var summary = new CxlSegBuilder(Options(tree, outDir)).Build();

        Assert.Equal(tree.Frontal.Count, summary.Built);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(0, summary.AlreadyDone);
        Assert.True(summary.ImagesPerSecond > 0);
        Assert.NotNull(summary.Merge);
        Assert.Equal(tree.Frontal.Count, summary.Merge!.Written);
        Assert.Equal(0, summary.Merge.Missing);
        foreach (var rel in tree.Frontal)
        {
            var seg = Jpeg.Read(Path.Combine(outDir, rel));
            var mask = Jpeg.Read(Path.Combine(outDir, rel[..^4] + "-mask.jpg"));
            Assert.Equal((64, 64, 1), (seg.Width, seg.Height, seg.Channels));
            Assert.Equal((64, 64, 1), (mask.Width, mask.Height, mask.Channels));
            // Segmented = image AND mask: outside the mask the image is black (JPEG ringing aside).
            var outside = Enumerable.Range(0, 64 * 64).Where(i => mask.Data[i] < 40).ToList();
            if (outside.Count > 0) Assert.True(outside.Average(i => (double)seg.Data[i]) < 8, $"{rel}: masked-out pixels are not black");
        }
        Assert.False(File.Exists(Path.Combine(outDir, tree.UnlabelledPath)));
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories));

        var segmented = MimicRecord.Read(Path.Combine(outDir, CxlSegCsv.SegmentedFile));
        Assert.Equal(tree.Frontal, segmented.Select(r => r.ImagePath));
        var split = MimicRecord.Read(Path.Combine(outDir, CxlSegCsv.SplitFile));
        Assert.All(split, r => Assert.Equal(CxlSegSplit.Assign(r.SubjectId), r.Split));
        var masks = MimicRecord.Read(Path.Combine(outDir, CxlSegCsv.MaskFile));
        Assert.Equal(tree.Frontal.Select(p => p[..^4] + "-mask.jpg"), masks.Select(r => r.MaskPath));
        Assert.Equal(segmented.Select(r => r.StudyId), masks.Select(r => r.StudyId));

        var labels = ChexpertLabels.Read(Path.Combine(outDir, CxlSegCsv.SegmentedFile), new UncertaintyPolicy { Uncertain = -1f });
        var source = ChexpertLabels.Read(Path.Combine(tree.Root, "mimic-cxr-2.0.0-chexpert.csv"), new UncertaintyPolicy { Uncertain = -1f });
        foreach (var r in segmented) Assert.Equal(source[r.StudyId.ToString()], labels[r.DicomId]);

        var meta = CsvTable.Read(Path.Combine(outDir, CxlSegCsv.MetadataFile));
        Assert.Equal(SyntheticMimicTree.MetadataHeader.Split(','), meta.Header);
        Assert.Equal(segmented.Select(r => r.DicomId), meta.Records.Select(r => r.Fields[0]));
        Assert.Contains(meta.Records, r => r.Fields[3] == "CHEST (PORTABLE AP), ONE VIEW"); // quoted comma survives verbatim
        Assert.Equal(CxlSegFailure.CsvHeader + "\n", File.ReadAllText(Path.Combine(outDir, CxlSegBuilder.FailuresFile)));
        Directory.Delete(outDir, true);
    }

    [Fact]
    public void Build_Rerun_SkipsEverythingAndKeepsFiles()
    {
        using var tree = new SyntheticMimicTree(subjects: 4);
        var outDir = TempDir();
        var builder = new CxlSegBuilder(Options(tree, outDir));
        builder.Build();
        var stamps = tree.Frontal.ToDictionary(p => p, p => File.GetLastWriteTimeUtc(Path.Combine(outDir, p)));
        var csvs = Csvs(outDir);

        var again = builder.Build();

        Assert.Equal(0, again.Built);
        Assert.Equal(tree.Frontal.Count, again.AlreadyDone);
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(Path.Combine(outDir, kv.Key))));
        Assert.Equal(csvs, Csvs(outDir));
        Directory.Delete(outDir, true);
    }

    [Fact]
    public void Build_CorruptJpeg_IsSkippedCountedAndListed()
    {
        using var tree = new SyntheticMimicTree(subjects: 5);
        var bad = tree.Frontal[2];
        File.WriteAllBytes(Path.Combine(tree.Root, bad), "this is not a JPEG file"u8.ToArray());
        var outDir = TempDir();
        var lines = new List<string>();

        var summary = new CxlSegBuilder(Options(tree, outDir)).Build(l => { lock (lines) lines.Add(l); });

        Assert.Equal(tree.Frontal.Count - 1, summary.Built);
        var f = Assert.Single(summary.Failures);
        Assert.Equal(bad, f.ImagePath);
        Assert.Contains(lines, l => l.Contains(Path.Combine(tree.Root, bad)));
        Assert.False(File.Exists(Path.Combine(outDir, bad)));
        Assert.Equal(tree.Frontal.Count - 1, summary.Merge!.Written);
        Assert.Equal(1, summary.Merge.Failed);
        var failures = CsvTable.Read(Path.Combine(outDir, CxlSegBuilder.FailuresFile));
        Assert.Equal(bad, Assert.Single(failures.Records).Fields[0]);
        Assert.DoesNotContain(MimicRecord.Read(Path.Combine(outDir, CxlSegCsv.SegmentedFile)), r => r.ImagePath == bad);

        // A rerun retries the failed image (it is still unreadable) and builds nothing else.
        var again = new CxlSegBuilder(Options(tree, outDir)).Build();
        Assert.Equal((0, 1, tree.Frontal.Count - 1), (again.Built, again.Failed, again.AlreadyDone));
        Directory.Delete(outDir, true);
    }

    [Fact]
    public void Build_AbsentSourceImage_IsCountedButNotAFailure()
    {
        using var tree = new SyntheticMimicTree(subjects: 4);
        File.Delete(Path.Combine(tree.Root, tree.Frontal[0]));
        var outDir = TempDir();
        var summary = new CxlSegBuilder(Options(tree, outDir)).Build();
        Assert.Equal((1, 0, tree.Frontal.Count - 1), (summary.AbsentSource, summary.Failed, summary.Built));
        Assert.Equal(1, summary.Merge!.Missing);
        Directory.Delete(outDir, true);
    }

    [Fact]
    public void Build_LeftoverTempAndTruncatedOutput_AreRebuilt()
    {
        using var tree = new SyntheticMimicTree(subjects: 3);
        var outDir = TempDir();
        var builder = new CxlSegBuilder(Options(tree, outDir));
        builder.Build();
        var victim = Path.Combine(outDir, tree.Frontal[1]);
        var good = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, good.AsSpan(0, good.Length / 2).ToArray()); // as after a machine crash without fsync
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(victim)!, "." + Path.GetFileName(victim) + ".deadbeef.tmp"), good.AsSpan(0, 10).ToArray());
        Assert.False(CxlSegOutputFile.IsCompleteJpeg(victim));

        var again = builder.Build();

        Assert.Equal(1, again.Built);
        Assert.True(CxlSegOutputFile.IsCompleteJpeg(victim));
        Assert.Equal(good, File.ReadAllBytes(victim));
        Directory.Delete(outDir, true);
    }

    [Fact]
    public void Build_ThreeShards_PartitionTheSetAndMergeEqualsOneShard()
    {
        using var tree = new SyntheticMimicTree(subjects: 9);
        var single = TempDir();
        new CxlSegBuilder(Options(tree, single)).Build();

        var sharded = TempDir();
        var perShard = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var s = new CxlSegBuilder(Options(tree, sharded, new CxlSegShard(i, 3))).Build();
            Assert.Null(s.Merge);
            Assert.Equal(s.InShard, s.Built);
            perShard.Add(s.InShard);
            if (i == 0)
            {
                var partial = new CxlSegBuilder(Options(tree, sharded) with { ModelDir = null }).Merge();
                Assert.Equal(tree.Frontal.Count - s.InShard, partial.Missing);
            }
        }
        Assert.Equal(tree.Frontal.Count, perShard.Sum());
        Assert.True(perShard.Count(c => c > 0) >= 2, $"shard sizes {string.Join(",", perShard)}");

        var merged = new CxlSegBuilder(Options(tree, sharded) with { ModelDir = null }).Merge();

        Assert.Equal((tree.Frontal.Count, 0), (merged.Written, merged.Missing));
        Assert.Equal(Csvs(single), Csvs(sharded));
        foreach (var rel in tree.Frontal)
            Assert.True(File.Exists(Path.Combine(sharded, rel)), rel);
        Directory.Delete(single, true);
        Directory.Delete(sharded, true);
    }

    [Fact]
    public void Build_WithoutModel_ThrowsNamingTheOption()
    {
        using var tree = new SyntheticMimicTree(subjects: 1);
        var e = Assert.Throws<ArgumentException>(() => new CxlSegBuilder(Options(tree, TempDir()) with { ModelDir = null }).Build());
        Assert.Contains("--model", e.Message);
    }

    [Theory]
    [InlineData(0, 224, 95)]
    [InlineData(2, 8, 95)]
    [InlineData(2, 224, 101)]
    public void Constructor_OutOfRangeSetting_Throws(int workers, int size, int quality)
    {
        using var tree = new SyntheticMimicTree(subjects: 1);
        Assert.Throws<ArgumentException>(() => new CxlSegBuilder(Options(tree, "/tmp/x") with { Workers = workers, OutputSize = size, JpegQuality = quality }));
    }

    [Fact]
    public void IsCompleteJpeg_MissingEmptyAndValidFiles()
    {
        var dir = TempDir();
        var p = Path.Combine(dir, "a.jpg");
        Assert.False(CxlSegOutputFile.IsCompleteJpeg(p));
        File.WriteAllBytes(p, []);
        Assert.False(CxlSegOutputFile.IsCompleteJpeg(p));
        CxlSegOutputFile.Write(p, Jpeg.Encode(new Image<byte>(8, 8)));
        Assert.True(CxlSegOutputFile.IsCompleteJpeg(p));
        Assert.Single(Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }
}
