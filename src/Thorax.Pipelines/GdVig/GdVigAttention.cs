using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Metrics;
using Thorax.Models.Saliency;
using Thorax.Models.Vig;
using Thorax.Models.Runtime;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>A study's regions at the network size, as soft masks in [0, 1] (pixel-area resize of the 0/255 masks);
/// null where the study has no such region (empty mask) or the dataset has no mask for it.</summary>
/// <param name="Finding">The pneumothorax (synth <c>masks/pneumothorax</c>).</param>
/// <param name="Tube">The chest tube, the planted shortcut (synth <c>masks/chest-tube</c>).</param>
public sealed record GdVigRegions(float[]? Finding, float[]? Tube);

/// <summary>One study's attention measures (null where undefined: no tube, no finding, or a Grad-CAM map without mass).</summary>
/// <param name="Id">Study id.</param>
/// <param name="CamTube">Share of the Grad-CAM mass on the tube.</param>
/// <param name="CamFinding">Share of the Grad-CAM mass on the finding.</param>
/// <param name="TubeArea">The tube's area fraction (chance level of <paramref name="CamTube"/>).</param>
/// <param name="FindingArea">The finding's area fraction.</param>
/// <param name="GraphTube">Mean over blocks: share of the finding nodes' neighbours on the tube (study with both).</param>
/// <param name="GraphTubeChance">Mean over blocks: the tube's share of the key nodes (random neighbours).</param>
/// <param name="GraphFinding">Mean over blocks: share of the finding nodes' neighbours on the finding.</param>
/// <param name="GraphFindingChance">Mean over blocks: the finding's share of the key nodes.</param>
/// <param name="GraphTubeByStage">Per pyramid stage (mean over its blocks), like <paramref name="GraphTube"/>.</param>
/// <param name="GraphFindingByStage">Per pyramid stage, like <paramref name="GraphFinding"/>.</param>
public sealed record GdVigStudyAttention(string Id, double? CamTube, double? CamFinding, double? TubeArea, double? FindingArea,
    double? GraphTube, double? GraphTubeChance, double? GraphFinding, double? GraphFindingChance, double[]? GraphTubeByStage, double[]? GraphFindingByStage);

/// <summary>
/// How much of a classifier's attention lands on the planted shortcut (the chest tube) and how much on the finding
/// (the pneumothorax), over the studies of a split:
/// <list type="bullet">
/// <item>Grad-CAM (the pneumothorax class's logit, the classifier's last stage, ReLU, bilinear to the network size):
/// <c>cam_tube_share</c> = mean over studies with a tube of the map's mass share on the tube
/// (<see cref="AttributionShare.MassShare"/>), <c>cam_finding_share</c> the same on the finding over studies with a
/// pneumothorax; <c>tube_area_share</c> / <c>finding_area_share</c>: the regions' mean area fractions over the same
/// studies, the share an even map would give.</item>
/// <item>Graph neighbours (every block's KNN graph as the model builds it, with its own gaze for GD-ViG):
/// <c>graph_tube_share</c> = mean over studies with both a pneumothorax and a tube, of the mean over blocks of the
/// share of the finding nodes' neighbours that fall on the tube (<see cref="AttributionShare.NeighbourShare"/>; nodes
/// weighted by their finding coverage, neighbours counted by their tube coverage on the key grid);
/// <c>graph_finding_share</c>: the same with the finding as the target, over studies with a pneumothorax;
/// <c>graph_tube_chance</c> / <c>graph_finding_chance</c>: the target's mean key coverage (random neighbours).</item>
/// </list>
/// Regions overlap where the tube crosses the pneumothorax; such pixels count for both.
/// </summary>
public sealed record GdVigAttention(int TubeStudies, int FindingStudies, int BothStudies,
    double CamTubeShare, double CamFindingShare, double TubeArea, double FindingArea,
    double GraphTubeShare, double GraphTubeChance, double GraphFindingShare, double GraphFindingChance,
    double[] GraphTubeShareByStage, double[] GraphFindingShareByStage, IReadOnlyList<GdVigStudyAttention> Studies)
{
    /// <summary>Studies with a region whose Grad-CAM map has mass (an all-zero map, ReLU of a negative sum everywhere,
    /// defines no share and is left out of the cam_* means).</summary>
    public int CamStudies => Studies.Count(s => s.CamTube is not null || s.CamFinding is not null);

    /// <summary>The definition printed next to the numbers.</summary>
    public const string Definition =
        "cam_*: Grad-CAM of the pneumothorax logit at the classifier's last stage, mass share on the region, mean over studies with that region (all-zero maps left out); " +
        "graph_*: share of the k neighbours of the pneumothorax nodes (weighted by coverage) that fall on the region, mean over blocks, then over studies; " +
        "*_area_share / *_chance: the region's area fraction (what an even map or random neighbours give)";

    /// <summary>Aggregates per-study measures (means over the studies where each is defined; NaN where none is).</summary>
    public static GdVigAttention Aggregate(IReadOnlyList<GdVigStudyAttention> studies)
    {
        static double Mean(IEnumerable<double?> v)
        {
            var d = v.Where(x => x is { } f && double.IsFinite(f)).Select(x => x!.Value).ToList();
            return d.Count > 0 ? d.Average() : double.NaN;
        }
        static double[] ByStage(IEnumerable<double[]?> rows)
        {
            var list = rows.Where(r => r is not null).Select(r => r!).ToList();
            if (list.Count == 0) return [];
            var n = list.Max(r => r.Length);
            return Enumerable.Range(0, n).Select(s => Mean(list.Where(r => r.Length > s).Select(r => (double?)r[s]))).ToArray();
        }
        return new GdVigAttention(
            studies.Count(s => s.TubeArea is not null), studies.Count(s => s.FindingArea is not null), studies.Count(s => s.GraphTube is not null),
            Mean(studies.Select(s => s.CamTube)), Mean(studies.Select(s => s.CamFinding)),
            Mean(studies.Select(s => s.TubeArea)), Mean(studies.Select(s => s.FindingArea)),
            Mean(studies.Select(s => s.GraphTube)), Mean(studies.Select(s => s.GraphTubeChance)),
            Mean(studies.Select(s => s.GraphFinding)), Mean(studies.Select(s => s.GraphFindingChance)),
            ByStage(studies.Select(s => s.GraphTubeByStage)), ByStage(studies.Select(s => s.GraphFindingByStage)), studies);
    }

    /// <summary>The snake_case keys added to an evaluation's JSON.</summary>
    public void AddTo(JsonObject j)
    {
        j["cam_tube_share"] = GdVigEvaluation.Num(CamTubeShare);
        j["cam_finding_share"] = GdVigEvaluation.Num(CamFindingShare);
        j["tube_area_share"] = GdVigEvaluation.Num(TubeArea);
        j["finding_area_share"] = GdVigEvaluation.Num(FindingArea);
        j["graph_tube_share"] = GdVigEvaluation.Num(GraphTubeShare);
        j["graph_tube_chance"] = GdVigEvaluation.Num(GraphTubeChance);
        j["graph_finding_share"] = GdVigEvaluation.Num(GraphFindingShare);
        j["graph_finding_chance"] = GdVigEvaluation.Num(GraphFindingChance);
        j["graph_tube_share_by_stage"] = new JsonArray(GraphTubeShareByStage.Select(GdVigEvaluation.Num).ToArray());
        j["graph_finding_share_by_stage"] = new JsonArray(GraphFindingShareByStage.Select(GdVigEvaluation.Num).ToArray());
        j["attention_tube_studies"] = TubeStudies;
        j["attention_finding_studies"] = FindingStudies;
        j["attention_both_studies"] = BothStudies;
        j["attention_cam_studies"] = CamStudies;
        j["attention_definition"] = Definition;
    }

    /// <summary><c>attention.csv</c>: one row per measured study (empty cells where undefined).</summary>
    public string Csv()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        static string C(double? v, IFormatProvider p) => v is { } d && double.IsFinite(d) ? d.ToString("R", p) : "";
        var sb = new System.Text.StringBuilder("id,cam_tube_share,cam_finding_share,tube_area_share,finding_area_share,graph_tube_share,graph_tube_chance,graph_finding_share,graph_finding_chance\n");
        foreach (var s in Studies)
            sb.Append(Thorax.Data.IO.CsvText.Escape(s.Id)).Append(',').Append(C(s.CamTube, inv)).Append(',').Append(C(s.CamFinding, inv)).Append(',')
              .Append(C(s.TubeArea, inv)).Append(',').Append(C(s.FindingArea, inv)).Append(',').Append(C(s.GraphTube, inv)).Append(',')
              .Append(C(s.GraphTubeChance, inv)).Append(',').Append(C(s.GraphFinding, inv)).Append(',').Append(C(s.GraphFindingChance, inv)).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// One study's measures from its Grad-CAM map at the network size, the graphs its forward built (sample
    /// <paramref name="sample"/> of each) and its regions.
    /// </summary>
    public static GdVigStudyAttention ForStudy(string id, float[] cam, IReadOnlyList<VigGraph> graphs, int sample, GdVigRegions regions, int size)
    {
        double? camTube = null, camFinding = null, tubeArea = null, findingArea = null;
        if (regions.Tube is { } t)
        {
            tubeArea = AttributionShare.AreaFraction(t);
            var v = AttributionShare.MassShare(cam, t);
            camTube = double.IsFinite(v) ? v : null;
        }
        if (regions.Finding is { } f)
        {
            findingArea = AttributionShare.AreaFraction(f);
            var v = AttributionShare.MassShare(cam, f);
            camFinding = double.IsFinite(v) ? v : null;
        }
        double? graphTube = null, graphTubeChance = null, graphFinding = null, graphFindingChance = null;
        double[]? tubeByStage = null, findingByStage = null;
        if (regions.Finding is { } finding && graphs.Count > 0)
        {
            var tubeShares = new List<(int Stage, double V, double Chance)>();
            var findingShares = new List<(int Stage, double V, double Chance)>();
            foreach (var g in graphs)
            {
                var q = Pool(finding, size, g.Height, g.Width);
                var kf = Pool(finding, size, g.KeyHeight, g.KeyWidth);
                var fs = AttributionShare.NeighbourShare(g.Of(sample), g.K, q, kf);
                if (double.IsFinite(fs)) findingShares.Add((g.Stage, fs, AttributionShare.AreaFraction(kf)));
                if (regions.Tube is { } tube)
                {
                    var kt = Pool(tube, size, g.KeyHeight, g.KeyWidth);
                    var ts = AttributionShare.NeighbourShare(g.Of(sample), g.K, q, kt);
                    if (double.IsFinite(ts)) tubeShares.Add((g.Stage, ts, AttributionShare.AreaFraction(kt)));
                }
            }
            if (findingShares.Count > 0)
            {
                graphFinding = findingShares.Average(s => s.V);
                graphFindingChance = findingShares.Average(s => s.Chance);
                findingByStage = Stages(findingShares, graphs);
            }
            if (tubeShares.Count > 0)
            {
                graphTube = tubeShares.Average(s => s.V);
                graphTubeChance = tubeShares.Average(s => s.Chance);
                tubeByStage = Stages(tubeShares, graphs);
            }
        }
        return new GdVigStudyAttention(id, camTube, camFinding, tubeArea, findingArea, graphTube, graphTubeChance, graphFinding, graphFindingChance, tubeByStage, findingByStage);
    }

    private static double[] Stages(List<(int Stage, double V, double Chance)> shares, IReadOnlyList<VigGraph> graphs)
    {
        var n = graphs.Max(g => g.Stage) + 1;
        return Enumerable.Range(0, n).Select(s => shares.Where(x => x.Stage == s).Select(x => x.V).DefaultIfEmpty(double.NaN).Average()).ToArray();
    }

    /// <summary>Box average of a soft [size, size] mask onto a rows x cols grid (size divisible by both: the ViG grids).</summary>
    public static float[] Pool(float[] mask, int size, int rows, int cols)
    {
        if (size % rows != 0 || size % cols != 0) throw new ArgumentException($"a {size} px mask does not tile a {rows}x{cols} grid");
        int fy = size / rows, fx = size / cols;
        var o = new float[rows * cols];
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
                o[(y / fy) * cols + x / fx] += mask[y * size + x];
        var inv = 1f / (fy * fx);
        for (var i = 0; i < o.Length; i++) o[i] = Math.Min(1f, o[i] * inv);
        return o;
    }

    /// <summary>
    /// Measures <paramref name="studies"/> (those with a region) for <paramref name="net"/>: Grad-CAM of class
    /// <paramref name="targetClass"/> and the graphs of the same forward, in batches, eval mode.
    /// </summary>
    public static GdVigAttention Measure(GdVigNetwork net, GdVigDataset dataset, IReadOnlyList<GdVigStudy> studies, int targetClass = 1, Action<int, int>? progress = null)
    {
        var size = net.Size;
        var items = studies.Select(s => (Study: s, Regions: dataset.Regions(s, size))).Where(t => t.Regions is { } r && (r.Finding is not null || r.Tube is not null)).ToList();
        var rows = new List<GdVigStudyAttention>();
        var wasTraining = net.Module.training;
        net.Module.eval();
        try
        {
            for (var start = 0; start < items.Count; start += GdVigEvaluator.Batch)
            {
                var chunk = items.Skip(start).Take(GdVigEvaluator.Batch).ToList();
                var inputs = chunk.Select(c => GdVigInputs.Test(dataset.Read(c.Study), size)).ToList();
                using var scope = NewDisposeScope();
                var x = GdVigInputs.Stack(inputs.Select(i => i.Image).ToList(), size);
                Tensor? tg = null;
                if (net.Kind == GdVigModelKind.GdVigTrueGaze)
                {
                    var missing = chunk.Where((c, i) => inputs[i].Gaze is null).Select(c => c.Study).FirstOrDefault();
                    if (missing is not null) throw new ArgumentException($"study '{missing.Id}' has no gaze map ({dataset.GazeSource(missing)}); GD-ViG on the true gaze needs one for every study");
                    tg = GdVigInputs.Stack(inputs.Select(i => i.Gaze!).ToList(), size);
                }
                var gaze = net.DirectingGaze(x, tg);
                var graphs = new List<VigGraph>();
                using var cam = GradCam.Compute(t => net.Trace(t, gaze, graphs), x, Enumerable.Repeat((long)targetClass, chunk.Count).ToArray());
                var maps = cam.Normalized(size, size).OnCpu().contiguous().data<float>().ToArray();
                var plane = size * size;
                for (var i = 0; i < chunk.Count; i++)
                    rows.Add(ForStudy(chunk[i].Study.Id, maps.AsSpan(i * plane, plane).ToArray(), graphs, i, chunk[i].Regions!, size));
                progress?.Invoke(Math.Min(start + GdVigEvaluator.Batch, items.Count), items.Count);
            }
        }
        finally
        {
            if (wasTraining) net.Module.train();
        }
        return Aggregate(rows);
    }
}
