using System.Text.Json.Nodes;
using Thorax.Models.GdVig;
using Thorax.Models.Vig;
using Thorax.Pipelines.GdVig;
using Thorax.Synthetic;

namespace Thorax.Pipelines.Tests.GdVig;

/// <summary>The attention-on-shortcut measure (<see cref="GdVigAttention"/>): definitions on hand-computed values and a run
/// on a small synth folder with a chest-tube shortcut.</summary>
public sealed class GdVigAttentionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-gdvig-att-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Pool_BoxAveragesOntoTheGrid()
    {
        // 4x4 mask, 2x2 grid: each cell the mean of its 2x2 block
        float[] m = [1, 1, 0, 0.5f, 1, 1, 0, 0.5f, 0, 0, 0, 0, 0, 1, 0, 0];
        Assert.Equal([1f, 0.25f, 0.25f, 0f], GdVigAttention.Pool(m, 4, 2, 2));
        Assert.Equal([0.375f], GdVigAttention.Pool(m, 4, 1, 1));
        Assert.Throws<ArgumentException>(() => GdVigAttention.Pool(m, 4, 3, 3));
    }

    [Fact]
    public void ForStudy_HandComputed()
    {
        // 4x4 image; tube = column 3, finding = the top-left 2x2 block.
        var tube = new float[16];
        var finding = new float[16];
        for (var y = 0; y < 4; y++) tube[y * 4 + 3] = 1;
        foreach (var i in new[] { 0, 1, 4, 5 }) finding[i] = 1;
        // Grad-CAM 1 everywhere but 5 at (x 3, y 0): total 20, on the tube 5+1+1+1 = 8 (0.4), on the finding 4 (0.2)
        var cam = Enumerable.Repeat(1f, 16).ToArray();
        cam[3] = 5;
        // stage 0: 2x2 nodes and keys, k 2. Finding coverage of the nodes [1, 0, 0, 0]; tube coverage of the keys
        // [0, 0.5, 0, 0.5]. Node 0's neighbours are keys 1 and 0: on the tube (0.5 + 0) / 2 = 0.25, on the finding
        // (0 + 1) / 2 = 0.5. Stage 1: one node, one key (coverage 0.25 of both regions): 0.25 and 0.25.
        var g0 = new VigGraph(0, 0, 2, 2, 2, 2, 2, 1, 1, [1, 0, 3, 3, 3, 3, 2, 2]);
        var g1 = new VigGraph(1, 1, 1, 1, 1, 1, 1, 1, 1, [0]);
        var s = GdVigAttention.ForStudy("a", cam, [g0, g1], 0, new GdVigRegions(finding, tube), 4);
        Assert.Equal(0.4, s.CamTube!.Value, 6);
        Assert.Equal(0.2, s.CamFinding!.Value, 6);
        Assert.Equal(0.25, s.TubeArea!.Value, 6);
        Assert.Equal(0.25, s.FindingArea!.Value, 6);
        Assert.Equal(0.25, s.GraphTube!.Value, 6);          // (0.25 + 0.25) / 2 blocks
        Assert.Equal(0.375, s.GraphFinding!.Value, 6);      // (0.5 + 0.25) / 2
        Assert.Equal(0.25, s.GraphTubeChance!.Value, 6);    // key coverage (0 + 0.5 + 0 + 0.5) / 4, then 0.25
        Assert.Equal(0.25, s.GraphFindingChance!.Value, 6);
        Assert.Equal([0.5, 0.25], s.GraphFindingByStage!);

        // no tube: only the finding's measures; no finding: no graph measures
        var noTube = GdVigAttention.ForStudy("b", cam, [g0, g1], 0, new GdVigRegions(finding, null), 4);
        Assert.Null(noTube.CamTube);
        Assert.Null(noTube.GraphTube);
        Assert.NotNull(noTube.GraphFinding);
        var noFinding = GdVigAttention.ForStudy("c", cam, [g0, g1], 0, new GdVigRegions(null, tube), 4);
        Assert.Null(noFinding.GraphTube);
        Assert.Equal(0.4, noFinding.CamTube!.Value, 6);

        // aggregation: means over the studies where defined
        var agg = GdVigAttention.Aggregate([s, noTube, noFinding]);
        Assert.Equal(2, agg.TubeStudies);
        Assert.Equal(2, agg.FindingStudies);
        Assert.Equal(1, agg.BothStudies);
        Assert.Equal(0.4, agg.CamTubeShare, 6);
        Assert.Equal(0.375, agg.GraphFindingShare, 6);
    }

    [Fact]
    public void Evaluate_SynthWithChestTubes_ReportsAttention()
    {
        var data = Path.Combine(_dir, "synth");
        SyntheticDatasetWriter.Write(new SynthOptions
        {
            OutputDirectory = data, Count = 30, Seed = 2, ImageSize = 96, PneumothoraxRate = 0.5, Shortcut = ShortcutKind.Device,
            ShortcutRate = 0.95, Dicom = DicomOutput.None, WriteReports = false,
        });
        var ds = GdVigDataset.Load(data, GdVigVariant.SiimAcr);
        Assert.True(ds.HasRegionMasks);
        var test = ds.Split("test");
        var regions = test.Select(t => ds.Regions(t, 96)!).ToList();
        Assert.Contains(regions, r => r.Tube is not null);
        Assert.Contains(regions, r => r.Finding is not null);
        Assert.All(regions.Where(r => r.Tube is not null), r => Assert.All(r.Tube!, v => Assert.InRange(v, 0f, 1f)));

        TorchSharp.torch.manual_seed(4);
        var o = GdVigOptions.Reduced(GdVigVariant.SiimAcr, [8, 16, 32, 64], [1, 1, 1, 1], 96);
        foreach (var kind in new[] { GdVigModelKind.GdVig, GdVigModelKind.Vig })
        {
            using var net = GdVigNetwork.Create(kind, GdVigVariant.SiimAcr, o);
            var outDir = Path.Combine(_dir, "eval-" + kind);
            var (e, _, _) = GdVigEvaluator.Evaluate(net, ds, "test", outDir, 0);
            var a = Assert.IsType<GdVigAttention>(e.Attention);
            Assert.Equal(regions.Count(r => r.Tube is not null), a.TubeStudies);
            Assert.Equal(regions.Count(r => r.Finding is not null), a.FindingStudies);
            foreach (var v in new[] { a.CamTubeShare, a.CamFindingShare, a.TubeArea, a.FindingArea, a.GraphFindingShare, a.GraphFindingChance })
                Assert.InRange(v, 0, 1);
            Assert.Equal(4, a.GraphFindingShareByStage.Length);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!.AsObject();
            Assert.True(json.ContainsKey("cam_tube_share"));
            Assert.True(json.ContainsKey("graph_finding_share"));
            Assert.Equal(a.Studies.Count + 1, File.ReadAllLines(Path.Combine(outDir, "attention.csv")).Length);
        }

        // an older synth folder (no masks/chest-tube): no attention measure
        Directory.Delete(Path.Combine(data, "masks", "chest-tube"), true);
        var old = GdVigDataset.Load(data, GdVigVariant.SiimAcr);
        Assert.False(old.HasRegionMasks);
        Assert.Null(old.Regions(test[0], 96));
    }
}
