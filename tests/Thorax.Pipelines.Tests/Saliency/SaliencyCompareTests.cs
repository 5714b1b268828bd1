using System.Text.Json.Nodes;
using Thorax.Pipelines.Saliency;
using Thorax.Synthetic;

namespace Thorax.Pipelines.Tests.Saliency;

public class SaliencyBudgetTests
{
    [Fact]
    public void UnusedTimeFlowsToTheLaterTrainings()
    {
        // Budgets are whole ticks (100 ns): compared to 1e-5 s.
        var now = TimeSpan.Zero;
        // The compare order and shares: classifier 0.2, saliency 0.15, mtunet 0.2, dual 0.45 of 100 s.
        var b = new SaliencyBudget(TimeSpan.FromSeconds(100), [0.2, 0.15, 0.2, 0.45], () => now);
        Assert.Equal(20, b.Next().TotalSeconds, 5);
        now += TimeSpan.FromSeconds(8);                              // the classifier ends 12 s early
        Assert.Equal(92 * 0.15 / 0.8, b.Next().TotalSeconds, 5);     // 17.25 s instead of 15
        now += TimeSpan.FromSeconds(17.25);                          // the saliency U-Net uses all of it
        Assert.Equal(74.75 * 0.2 / 0.65, b.Next().TotalSeconds, 5);  // 23 s
        now += TimeSpan.FromSeconds(5);                              // MT-UNet's epochs end early (the 45-min demo)
        Assert.Equal(69.75, b.Next().TotalSeconds, 5);               // the dual encoder gets everything left, not 45 s
        Assert.Equal(0, b.Remaining);
        Assert.Throws<InvalidOperationException>(() => b.Next());
    }

    [Fact]
    public void OverrunsTakeFromLaterTrainingsDownToTheMinimumAndSkippedSharesFlowOn()
    {
        var now = TimeSpan.Zero;
        var b = new SaliencyBudget(TimeSpan.FromSeconds(60), [1, 1, 1], () => now, TimeSpan.FromSeconds(5));
        Assert.Equal(20, b.Next().TotalSeconds, 5);
        now = TimeSpan.FromSeconds(70);                               // one epoch took longer than the whole budget
        Assert.Equal(5, b.Next().TotalSeconds, 5);                    // the minimum
        var c = new SaliencyBudget(TimeSpan.FromSeconds(90), [1, 1, 1], () => TimeSpan.Zero);
        c.Skip();                                                     // stage already finished (resume)
        Assert.Equal(45, c.Next().TotalSeconds, 5);
        Assert.Equal(90, c.Next().TotalSeconds, 5);
        Assert.Throws<ArgumentException>(() => new SaliencyBudget(TimeSpan.FromSeconds(1), [1, 0], () => TimeSpan.Zero));
    }
}

public class SaliencyCompareTests
{
    private static string Synth(int n = 30, int size = 64, int seed = 4)
    {
        var dir = Path.Combine(Path.GetTempPath(), "thorax-salcmp-" + Guid.NewGuid().ToString("N"));
        SyntheticDatasetWriter.Write(new SynthOptions
        {
            OutputDirectory = dir, Count = n, Seed = seed, ImageSize = size, PneumothoraxRate = 0, HeartFailureRate = 1.0 / 3, PneumoniaRate = 1.0 / 3,
            Dicom = DicomOutput.None, WriteReports = false, TrainFraction = 0.5, ValidationFraction = 0.2,
        });
        return dir;
    }

    [Fact]
    public void Compare_TrainsTheFourModelsAndTabulatesThemWithTestsAgainstTheDualEncoder()
    {
        var dir = Synth();
        var outDir = Path.Combine(dir, "cmp");
        try
        {
            var studies = SaliencyStudies.Load(dir, null, 1);
            var log = new List<string>();
            var cmp = SaliencyCompare.Run(studies, new SaliencyCompareOptions
            {
                OutDirectory = outDir, Width = "small", Epochs = [1, 1, 1, 1], Batch = [6, 6, 6, 6], Note = "test",
            }, log.Add);
            Assert.Equal(["dual encoder", "MT-UNet", "classifier (DenseNet, CL + CE)", "saliency (Res_SE-UNet, KL)"], cmp.Rows.Select(r => r.Name).ToArray());
            var (dual, mt, cls, sal) = (cmp.Rows[0], cmp.Rows[1], cmp.Rows[2], cmp.Rows[3]);
            var n = studies.Split("test").Count;
            Assert.All(cmp.Rows, r => Assert.Equal(n, r.Images.Count));
            // The classifier has no saliency, the saliency U-Net no classification.
            Assert.False(cls.HasSaliency);
            Assert.True(double.IsNaN(cls.Kl.Mean) && double.IsNaN(cls.Cc.Mean));
            Assert.All(cls.Images, i => Assert.InRange(i.Predicted, 0, 2));
            Assert.All(cls.Images, i => Assert.Equal(1.0, i.Probabilities.Sum(), 1e-5));
            Assert.All(cls.Images, i => Assert.InRange(i.GradCamGazeCc, -1, 1));
            Assert.False(sal.HasClassification);
            Assert.True(double.IsNaN(sal.Accuracy) && double.IsNaN(sal.AucMacro));
            Assert.All(sal.Images, i => Assert.Equal(-1, i.Predicted));
            Assert.All(sal.Images, i => Assert.True(i.Kl >= 0 && i.Cc is >= -1 and <= 1));
            Assert.True(double.IsFinite(dual.Cc.Mean) && double.IsFinite(mt.Cc.Mean) && double.IsFinite(dual.Accuracy));
            // Paired tests: each row against the dual encoder on the tasks both do.
            string[] Metrics(string baseline) => cmp.Tests.Where(t => t.Baseline == baseline).Select(t => t.Metric).ToArray();
            Assert.Equal(["kl", "cc", "sim", "log_loss"], Metrics(mt.Name));
            Assert.Equal(["log_loss"], Metrics(cls.Name));
            Assert.Equal(["kl", "cc", "sim"], Metrics(sal.Name));
            Assert.All(cmp.Tests, t => Assert.Equal("dual encoder", t.Model));
            // The dual run trained stages 3-4 from the classifier's DenseNet (the reference's chaining).
            Assert.False(Directory.Exists(Path.Combine(outDir, "dual", "stage1-contrastive")));
            var s3 = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "dual", "stage3-saliency", "stage.json")))!;
            Assert.EndsWith(Path.Combine("classifier", "model.safetensors"), s3["init_from_run"]!.GetValue<string>());
            Assert.True(File.Exists(Path.Combine(outDir, "classifier", "stage1-contrastive", "stage.json")));
            // Files: table.json (version 1, snake_case), blank cells in table.md, the report.
            var j = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "table.json")))!;
            Assert.Equal(1, j["version"]!.GetValue<int>());
            Assert.Equal(4, j["models"]!.AsArray().Count);
            Assert.Null(j["models"]![2]!["kl"]!["mean"]);
            Assert.Null(j["models"]![3]!["auc_macro"]);
            Assert.Equal("saliency", j["models"]![3]!["tasks"]![0]!.GetValue<string>());
            Assert.Equal(["classifier", "saliency", "mtunet", "dual"], j["training_order"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray());
            var md = File.ReadAllText(Path.Combine(outDir, "table.md"));
            Assert.Contains("| saliency (Res_SE-UNet, KL) | test | " + n + " |  |  |  |  |  |  | ", md);
            Assert.Contains("| log_loss |", md);
            Assert.True(File.Exists(Path.Combine(outDir, "report.html")));
            Assert.True(File.Exists(Path.Combine(outDir, "per_image_saliency__Res_SE-UNet__KL_.csv")));

            // A rerun resumes: every stage is skipped.
            var again = new List<string>();
            var messages = new List<string>();
            SaliencyCompare.Run(studies, new SaliencyCompareOptions { OutDirectory = outDir, Width = "small", Epochs = [1, 1, 1, 1], Batch = [6, 6, 6, 6] }, again.Add,
                (m, t) => t.StageMessage += (s, msg) => messages.Add($"{m} {(int)s}: {msg}"));
            Assert.All(messages.Where(m => !m.Contains("time budget")), m => Assert.Contains("already finished", m));

            // --init-from refuses a checkpoint that is not a classifier's.
            var bad = new SaliencyTrainer(new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Small("dual"), Epochs = [1, 1, 1, 1], Batch = [6, 6, 6, 6], Stages = [SaliencyStage.Saliency],
                InitFrom = Path.Combine(outDir, "mtunet"),
            });
            var e = Assert.Throws<InvalidDataException>(() => bad.Train(studies, Path.Combine(dir, "bad")));
            Assert.Contains("mt-unet", e.Message);
            Assert.Contains("model.safetensors", e.Message);
            // Stages that a single-task model does not have are refused.
            Assert.Throws<ArgumentException>(() => new SaliencyTrainingOptions { Network = SaliencyModelSpec.Small("classifier"), Stages = [SaliencyStage.Joint] }.Validate());
            Assert.Throws<ArgumentException>(() => new SaliencyTrainingOptions { Network = SaliencyModelSpec.Small("saliency"), Stages = [SaliencyStage.Contrastive] }.Validate());
            // predict refuses a single-task run by name.
            var p = Assert.Throws<InvalidDataException>(() => new SaliencyPredictor(Path.Combine(outDir, "classifier")));
            Assert.Contains("single-task", p.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
