using Thorax.Pipelines.Classification;

namespace Thorax.Pipelines.Tests.Classification;

public class ClassificationEvaluationTests
{
    private static ClassificationPrediction P(string id, int label, double p, string size = "", string location = "", bool? cue = null) =>
        new(new ClassificationStudy(id, "test", label, size, location, cue), p);

    // Negatives score 0.1, 0.3, 0.5, 0.7. Small positives 0.2 and 0.4: they beat 1 and 2 of the 4 negatives -> AUC 3/8.
    // Large positives 0.8 and 0.9 beat all -> AUC 1. Overall: positives beat 1+2+4+4 = 11 of 16 pairs.
    private static readonly ClassificationPrediction[] Cases =
    [
        P("n1", 0, 0.1, cue: false), P("n2", 0, 0.3, cue: false), P("n3", 0, 0.5, cue: true), P("n4", 0, 0.7, cue: true),
        P("p1", 1, 0.2, "small", "apical", cue: false), P("p2", 1, 0.4, "small", "basal", cue: true),
        P("p3", 1, 0.8, "large", "apical", cue: true), P("p4", 1, 0.9, "large", "lateral", cue: true),
    ];

    [Fact]
    public void SubgroupAuc_IsEachGroupsPositivesAgainstAllNegatives()
    {
        var e = ClassificationEvaluation.Compute("test", "pneumothorax", Cases);
        Assert.Equal(11 / 16.0, e.Auc, 12);
        Assert.Equal(new[] { "small", "large" }, e.BySize.Select(g => g.Name));   // moderate absent: no positive has it
        Assert.Equal(3 / 8.0, e.BySize[0].Auc, 12);
        Assert.Equal(1.0, e.BySize[1].Auc, 12);
        Assert.All(e.BySize, g => Assert.Equal((2, 4), (g.Positives, g.Negatives)));
        // apical: 0.2 and 0.8 -> (1 + 4) / 8; basal: 0.4 -> 2/4; lateral: 0.9 -> 1. Order: apical, lateral, basal.
        Assert.Equal(new[] { "apical", "lateral", "basal" }, e.ByLocation.Select(g => g.Name));
        Assert.Equal(new[] { 5 / 8.0, 1.0, 0.5 }, e.ByLocation.Select(g => g.Auc));
    }

    [Fact]
    public void ThresholdMetrics_AndBootstrapInterval()
    {
        var e = ClassificationEvaluation.Compute("test", "pneumothorax", Cases);
        // At 0.5: predicted positive 0.5, 0.7, 0.8, 0.9 -> TP 2, FP 2, FN 2, TN 2.
        Assert.Equal(0.5, e.Accuracy, 12);
        Assert.Equal(0.5, e.Sensitivity, 12);
        Assert.Equal(0.5, e.Specificity, 12);
        Assert.NotNull(e.AucInterval);
        Assert.InRange(e.AucInterval!.Lower, 0, e.Auc);
        Assert.InRange(e.AucInterval.Upper, e.Auc, 1);
        Assert.Equal(ClassificationEvaluation.BootstrapResamples, e.AucInterval.Resamples + e.AucInterval.Discarded);
    }

    [Fact]
    public void ShortcutSubsets_SplitByWhetherTheCueAgreesWithTheLabel()
    {
        var e = ClassificationEvaluation.Compute("test", "pneumothorax", Cases);
        // Agrees: n1, n2 (no cue, negative), p2, p3, p4 (cue, positive): positives 0.4, 0.8, 0.9 vs 0.1, 0.3 -> 1.
        // Disagrees: n3, n4 (cue, negative), p1 (no cue, positive): 0.2 vs 0.5, 0.7 -> 0.
        Assert.Equal(new[] { "cue_agrees", "cue_disagrees" }, e.ByShortcut.Select(g => g.Name));
        Assert.Equal((3, 2, 1.0), (e.ByShortcut[0].Positives, e.ByShortcut[0].Negatives, e.ByShortcut[0].Auc));
        Assert.Equal((1, 2, 0.0), (e.ByShortcut[1].Positives, e.ByShortcut[1].Negatives, e.ByShortcut[1].Auc));
        var json = e.ToJson();
        Assert.Equal(1.0, json["auc_by_shortcut_cue"]!["cue_agrees"]!["auc"]!.GetValue<double>());
        // A constant cue (no shortcut in the data) reports no shortcut subsets.
        var flat = ClassificationEvaluation.Compute("test", "x", Cases.Select(c => c with { Study = c.Study with { ShortcutCue = false } }).ToList());
        Assert.Empty(flat.ByShortcut);
        Assert.Null(flat.ToJson()["auc_by_shortcut_cue"]);
    }

    [Fact]
    public void SingleClassSplit_HasNullAucAndNoInterval_InSnakeCaseJson()
    {
        var e = ClassificationEvaluation.Compute("validation", "pneumothorax", Cases.Where(c => c.Study.Label == 0).ToList());
        Assert.True(double.IsNaN(e.Auc));
        Assert.Null(e.AucInterval);
        var json = e.ToJson();
        Assert.Null(json["auc"]);
        Assert.Null(json["sensitivity"]);
        Assert.Equal(0.5, json["specificity"]!.GetValue<double>(), 12); // 0.1 and 0.3 are below 0.5, 0.5 and 0.7 are not
        Assert.Equal(4, json["negatives"]!.GetValue<int>());
        Assert.Empty(e.BySize);
        Assert.Contains("\"auc_by_ptx_size\"", json.ToJsonString());
    }

    [Fact]
    public void PredictionsCsv_HasIdLabelProbabilitySplit()
    {
        var csv = ClassificationEvaluation.PredictionsCsv(Cases.Take(2));
        Assert.Equal("id,label,probability,split\nn1,0,0.1,test\nn2,0,0.3,test\n", csv);
    }

    [Fact]
    public void NonFiniteProbability_NamesTheStudy()
    {
        var e = Assert.Throws<ArgumentException>(() => ClassificationEvaluation.Compute("test", "x", [P("bad", 1, double.NaN), P("ok", 0, 0.2)]));
        Assert.Contains("'bad'", e.Message);
    }
}
