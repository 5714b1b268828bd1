using System.Text.Json.Nodes;
using Thorax.Data;
using Thorax.Pipelines.Saliency;
using Thorax.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Tests.Saliency;

public class SaliencyTrainingTests
{
    private static string Synth(int n = 24, int size = 64, int seed = 3)
    {
        var dir = Path.Combine(Path.GetTempPath(), "thorax-sal-" + Guid.NewGuid().ToString("N"));
        SyntheticDatasetWriter.Write(new SynthOptions
        {
            OutputDirectory = dir, Count = n, Seed = seed, ImageSize = size, PneumothoraxRate = 0, HeartFailureRate = 1.0 / 3, PneumoniaRate = 1.0 / 3,
            Dicom = DicomOutput.None, WriteReports = false, TrainFraction = 0.6, ValidationFraction = 0.2,
        });
        return dir;
    }

    [Fact]
    public void Geometry_ReferenceCanvasAndScaledCanvas()
    {
        var r = SaliencyGeometry.Reference;
        Assert.Equal((3200, 2560, 10, 320, 256, 501), (r.CanvasHeight, r.CanvasWidth, r.Stride, r.OutputHeight, r.OutputWidth, r.BlurKernel));
        var g1 = SaliencyGeometry.ForImageSize(256, 256, 1);
        Assert.Equal((320, 256, 320, 256, 51), (g1.CanvasHeight, g1.CanvasWidth, g1.OutputHeight, g1.OutputWidth, g1.BlurKernel));
        var g2 = SaliencyGeometry.ForImageSize(256, 256, 2);
        Assert.Equal((160, 128), (g2.OutputHeight, g2.OutputWidth));
        var g4 = SaliencyGeometry.ForImageSize(256, 256, 4);
        Assert.Equal((96, 64), (g4.OutputHeight, g4.OutputWidth));
        Assert.Equal(0, g4.OutputHeight % 32);
    }

    [Fact]
    public void Geometry_PadsCentrallyThenTakesEveryStrideth()
    {
        // 2x3 image on a 4x4 canvas (no stride): top = int((4-2)/2) = 1, left = int((4-3)/2) = 0.
        var g = new SaliencyGeometry(4, 4, 1);
        var x = g.PadAndSubsample(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0 }, x);
        var s = new SaliencyGeometry(4, 4, 2).PadAndSubsample(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        Assert.Equal(new float[] { 0, 0, 4, 6 }, s); // rows 0, 2 and columns 0, 2 of the padded canvas
    }

    [Fact]
    public void GazeTarget_PeaksAtTheSampleAndIsMinMaxScaled()
    {
        var g = SaliencyGeometry.ForImageSize(64, 64, 1);             // 96x64 canvas, top pad 16
        var (map, inside) = g.GazeTarget([(10.0, 20.0, 1.0), (10.9, 20.2, 2.0), (-1, 5, 1), (70, 5, 1)], 64, 64, "t");
        Assert.Equal(2, inside);
        Assert.Equal(1f, map.Max());
        Assert.Equal(0f, map.Min());
        Assert.Equal(Array.IndexOf(map, map.Max()), (20 + 16) * 64 + 10);
        var e = Assert.Throws<InvalidDataException>(() => g.GazeTarget([(-1.0, -1.0, 1.0)], 64, 64, "gaze.csv: study X"));
        Assert.Contains("gaze.csv: study X", e.Message);
        Assert.Contains("KL undefined", e.Message);
    }

    [Fact]
    public void ReferenceSplit_IsTheClassStratifiedCounter()
    {
        var labels = Enumerable.Repeat(0, 10).Concat(Enumerable.Repeat(1, 3)).ToArray();
        var s = SaliencyStudies.ReferenceSplit(labels);
        Assert.Equal(new[] { "test", "validation", "train", "train", "train", "train", "train", "train", "train", "test", "test", "validation", "train" }, s);
    }

    [Theory]
    [InlineData(TripletDistance.Flattened)]
    [InlineData(TripletDistance.Reference4D)]
    public void TripletLoss_EqualsTheTripletSumOfPairwiseDistance(TripletDistance mode)
    {
        torch.manual_seed(5);
        using var f = torch.randn(5, 3, 2, 4, dtype: ScalarType.Float64);
        int[] labels = [0, 1, 0, 2, 1];
        var (loss, n) = SaliencyTrainer.TripletLoss(f, labels, mode);
        var a = f.data<double>().ToArray();
        double Dist(int i, int j, int from, int len)
        {
            double s = 0;
            for (var k = 0; k < len; k++) { var d = a[i * 24 + from + k] - a[j * 24 + from + k] + 1e-6; s += d * d; }
            return Math.Sqrt(s);
        }
        double expected = 0;
        var count = 0;
        for (var i = 0; i < 5; i++)
            for (var j = 0; j < 5; j++)
                for (var k = 0; k < 5; k++)
                {
                    if (i == j || labels[j] != labels[i] || labels[k] == labels[i]) continue;
                    count++;
                    if (mode == TripletDistance.Flattened) expected += Math.Max(Dist(i, j, 0, 24) - Dist(i, k, 0, 24) + 1, 0);
                    else
                    {
                        double m = 0;
                        for (var r = 0; r < 6; r++) m += Math.Max(Dist(i, j, r * 4, 4) - Dist(i, k, r * 4, 4) + 1, 0);
                        expected += m / 6;
                    }
                }
        Assert.Equal(count, n);
        Assert.Equal(expected, loss.item<double>(), 1e-9);
    }

    [Fact]
    public void TripletLoss_NormalizedIsScaleFreeAndEqualsTheUnitVectorsLoss()
    {
        torch.manual_seed(6);
        using var f = torch.randn(6, 2, 3, 2, dtype: ScalarType.Float64);
        int[] labels = [0, 1, 0, 2, 1, 2];
        var a = f.flatten(1).data<double>().ToArray();
        var u = new double[a.Length];
        for (var i = 0; i < 6; i++)
        {
            var norm = Math.Sqrt(Enumerable.Range(0, 12).Sum(k => a[i * 12 + k] * a[i * 12 + k]));
            for (var k = 0; k < 12; k++) u[i * 12 + k] = a[i * 12 + k] / norm;
        }
        double Dist(int i, int j) => Math.Sqrt(Enumerable.Range(0, 12).Sum(k => Math.Pow(u[i * 12 + k] - u[j * 12 + k] + 1e-6, 2)));
        double expected = 0;
        for (var i = 0; i < 6; i++)
            for (var j = 0; j < 6; j++)
                for (var k = 0; k < 6; k++)
                    if (i != j && labels[j] == labels[i] && labels[k] != labels[i]) expected += Math.Max(Dist(i, j) - Dist(i, k) + 1, 0);
        var (loss, _) = SaliencyTrainer.TripletLoss(f, labels, TripletDistance.Normalized);
        Assert.Equal(expected, loss.item<double>(), 1e-9);
        using var scaled = f * 1000.0;
        var (loss2, _) = SaliencyTrainer.TripletLoss(scaled, labels, TripletDistance.Normalized);
        Assert.Equal(expected, loss2.item<double>(), 1e-6);
        // The reference's flattened distance grows with the scale: its loss is not scale-free.
        var (flat, _) = SaliencyTrainer.TripletLoss(f, labels, TripletDistance.Flattened);
        var (flat2, _) = SaliencyTrainer.TripletLoss(scaled, labels, TripletDistance.Flattened);
        Assert.NotEqual(flat.item<double>(), flat2.item<double>(), 3);
    }

    [Fact]
    public void PreciseBatchNorm_EvalModeMatchesTrainModeOnTheBatchItWasComputedOn()
    {
        torch.manual_seed(7);
        using var dense = new Thorax.Models.Encoders.DenseNet("densenet", 4, [1, 1, 1, 1], 8, 2, 0, 3, 3);
        using var x = torch.rand(16, 1, 128, 64);               // denseblock4 at 4x2: 128 values per channel
        using var x3 = x.repeat(1, 3, 1, 1);
        Tensor Block4(bool train)
        {
            dense.train(train);
            using var _ = torch.no_grad();
            using var c = dense.ForwardWithCapture(x3);
            return c.DenseBlock4.clone();
        }
        using var trainMode = Block4(true);                  // batch statistics (this also moved the running averages a little)
        using var before = Block4(false);                    // lagging running averages: far from train mode
        SaliencyTrainer.RecomputeBatchNormStatistics(dense, [x]);
        using var after = Block4(false);
        double Rel(Tensor a) => (a - trainMode).abs().max().item<float>() / trainMode.abs().max().item<float>();
        Assert.True(Rel(before) > 0.05, $"before: {Rel(before)}");
        // The running variance is the unbiased one (n / (n − 1) with n down to 128 values per channel), so eval mode is
        // close to train mode but not equal.
        Assert.True(Rel(after) < 0.02 && Rel(after) < Rel(before) / 5, $"before {Rel(before)}, after {Rel(after)}");
        Assert.False(dense.training);                         // the mode is restored (eval, as before the call)
        Assert.All(dense.modules().OfType<TorchSharp.Modules.BatchNorm>(), b => Assert.Equal(0.1, b.momentum!.Value, 9));
    }

    [Fact]
    public void Stage1Diagnostics_PairDistancesAndNearestNeighbourAccuracy()
    {
        // Two tight clusters far apart: same-class distances small, other-class large, 1-NN perfect.
        using var e = torch.tensor(new double[] { 0, 0, 0.1, 0, 10, 10, 10, 10.1 }, [4L, 2]);
        int[] labels = [0, 0, 1, 1];
        var (sp, np, sn, nn) = SaliencyTrainer.PairStatistics(e, labels);
        Assert.Equal((4, 8), (np, nn));
        Assert.Equal(0.1, sp / np, 9);
        Assert.Equal(1.0, SaliencyTrainer.NearestNeighbourAccuracy(e, labels));
        Assert.Equal(0.0, SaliencyTrainer.NearestNeighbourAccuracy(e, [0, 1, 0, 1]));
    }

    [Fact]
    public void Studies_LabelsGazeSplitsFromASynthFolder()
    {
        var dir = Synth();
        try
        {
            var s = SaliencyStudies.Load(dir, null, 1);
            Assert.Equal(24, s.Studies.Count);
            Assert.Equal((96, 64), (s.Geometry.OutputHeight, s.Geometry.OutputWidth));
            Assert.All(s.Studies, x => Assert.Equal(96 * 64, x.Gaze.Length));
            Assert.All(s.Studies, x => Assert.Equal(1f, x.Image.Max()));
            Assert.All(s.Studies, x => Assert.Equal(1f, x.Gaze.Max()));
            Assert.All(s.Studies, x => Assert.InRange(x.Label, 0, 2));
            Assert.Contains(s.Studies, x => x.Label == 1);
            Assert.True(s.Split("train").Count > 0 && s.Split("validation").Count > 0 && s.Split("test").Count > 0);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadInput_GazeColumnsLabelsImageSizesAndIds()
    {
        var dir = Synth(n: 12);
        try
        {
            var fix = Path.Combine(dir, "egd-cxr", "fixations.csv");
            var original = File.ReadAllLines(fix);
            // A gaze file without X_ORIGINAL.
            File.WriteAllLines(fix, original.Select(l => string.Join(",", l.Split(',').Where((_, i) => i != 9))));
            var e1 = Assert.Throws<DataFormatException>(() => SaliencyStudies.Load(dir));
            Assert.Contains("fixations.csv", e1.Message);
            Assert.Contains("X_ORIGINAL", e1.Message);
            // Gaze ids that match no study.
            File.WriteAllLines(fix, original.Select((l, i) => i == 0 ? l : "f" + l[1..]));
            var e2 = Assert.Throws<DataFormatException>(() => SaliencyStudies.Load(dir));
            Assert.Contains("DICOM_ID", e2.Message);
            Assert.Contains("do not match", e2.Message);
            File.WriteAllLines(fix, original);
            // An image of another size.
            var sheet = Path.Combine(dir, "egd-cxr", "master_sheet.csv");
            var id = File.ReadAllLines(sheet)[2].Split(',')[0];
            var img = Path.Combine(dir, "images", id + ".png");
            Thorax.Imaging.Codecs.Png.Write(img, new Thorax.Imaging.Image<byte>(80, 64, 1));
            var e3 = Assert.Throws<DataFormatException>(() => SaliencyStudies.Load(dir));
            Assert.Contains(id + ".png", e3.Message);
            Assert.Contains("80x64", e3.Message);
            Assert.Contains("64x64", e3.Message);
            // A label outside the three classes (none set).
            var lines = File.ReadAllLines(sheet);
            var header = lines[0].Split(',');
            int n = Array.IndexOf(header, "Normal"), c = Array.IndexOf(header, "CHF"), p = Array.IndexOf(header, "pneumonia");
            var row = lines[1].Split(',');
            row[n] = row[c] = row[p] = "0";
            lines[1] = string.Join(",", row);
            File.WriteAllLines(sheet, lines);
            var e4 = Assert.Throws<DataFormatException>(() => SaliencyStudies.Load(dir));
            Assert.Contains("master_sheet.csv", e4.Message);
            Assert.Contains("0 of Normal/CHF/pneumonia", e4.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MemoryEfficientDenseNet_TrainsTheSameSteps_AndIsRecorded()
    {
        // The checkpointed bottlenecks give the same gradients, so a deterministic run's training losses are the same
        // (only norm1's running statistics, used in eval mode, are updated a second time per step).
        var dir = Synth();
        try
        {
            var studies = SaliencyStudies.Load(dir, null, 1);
            SaliencyTrainingOptions O(bool me) => new()
            {
                Network = SaliencyModelSpec.Small("classifier"), Epochs = [1, 2, 1, 1], Batch = [6, 6, 6, 6], Stages = [SaliencyStage.Classifier],
                Deterministic = true, Seed = 2, MemoryEfficient = me,
            };
            var plain = new SaliencyTrainer(O(false)).Train(studies, Path.Combine(dir, "plain")).Single().Fit!.History;
            var me = new SaliencyTrainer(O(true)).Train(studies, Path.Combine(dir, "me")).Single().Fit!.History;
            Assert.Equal(plain.Count, me.Count);
            for (var i = 0; i < plain.Count; i++)
                Assert.True(Math.Abs(plain[i].TrainLoss - me[i].TrainLoss) <= 1e-4 * Math.Max(1, Math.Abs(plain[i].TrainLoss)), $"epoch {i + 1}: {plain[i].TrainLoss} vs {me[i].TrainLoss}");
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "me", "config.json")))!;
            Assert.True(cfg["memory_efficient"]!.GetValue<bool>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void LearningRateDrop_ReloadsTheBestWeights_OnlyWhenTheRateFell()
    {
        // ReduceLROnPlateau with patience 0 and a learning rate far too large: some epoch does not improve the
        // validation loss, the rate falls, and the next epoch starts from the best weights (the reference's
        // train_judgetment); every reload happens at an epoch whose rate is below the previous epoch's.
        var dir = Synth();
        try
        {
            var studies = SaliencyStudies.Load(dir, null, 1);
            var messages = new List<string>();
            var t = new SaliencyTrainer(new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Small("classifier"), Epochs = [1, 6, 1, 1], Batch = [6, 6, 6, 6], Stages = [SaliencyStage.Classifier],
                LearningRate = 0.05, PlateauPatience = 0, Deterministic = true, Seed = 4,
            });
            t.StageMessage += (_, m) => messages.Add(m);
            var res = t.Train(studies, Path.Combine(dir, "run"));
            var h = res.Single().Fit!.History;
            var reloads = messages.Where(m => m.Contains("reloaded", StringComparison.Ordinal)).ToList();
            var drops = Enumerable.Range(1, h.Count - 1).Where(i => h[i].LearningRate < h[i - 1].LearningRate).Select(i => h[i].Epoch).ToList();
            Assert.NotEmpty(drops);
            Assert.Equal(drops, reloads.Select(m => int.Parse(m.Split(' ')[1].TrimEnd(':'), System.Globalization.CultureInfo.InvariantCulture)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Train_StagesChainResumeSkipsFinishedAndEvaluateRefusesAnotherModelsCheckpoint()
    {
        var dir = Synth();
        var run = Path.Combine(dir, "run");
        var mt = Path.Combine(dir, "mt");
        try
        {
            var studies = SaliencyStudies.Load(dir, null, 1);
            var o = new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Small("dual"), Epochs = [1, 1, 1, 1], Batch = [6, 6, 6, 6],
                Stages = [SaliencyStage.Contrastive, SaliencyStage.Classifier],
            };
            var first = new SaliencyTrainer(o).Train(studies, run);
            Assert.Equal(2, first.Count);
            Assert.Null(first[0].InitializedFrom);
            Assert.Equal(SaliencyStage.Contrastive, first[1].InitializedFrom);
            var messages = new List<string>();
            var t2 = new SaliencyTrainer(o with { Stages = null });
            t2.StageMessage += (s, m) => messages.Add($"{(int)s}: {m}");
            var all = t2.Train(studies, run);
            Assert.Equal(4, all.Count);
            Assert.Contains(messages, m => m.StartsWith("1: already finished", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.StartsWith("3: starts from stage 2", StringComparison.Ordinal));
            Assert.True(File.Exists(Path.Combine(run, "stage4-joint", "history.csv")));
            Assert.True(double.IsFinite(all[3].Best["val_loss"]));

            var cmp = SaliencyEvaluator.Run([("dual", run)], studies, "test", Path.Combine(dir, "eval"), "test");
            var r = cmp.Rows[0];
            Assert.Equal(studies.Split("test").Count, r.Images.Count);
            Assert.All(r.Images, i => Assert.InRange(i.Cc, -1, 1));
            Assert.All(r.Images, i => Assert.True(i.Kl >= 0));
            Assert.All(r.Images, i => Assert.InRange(i.Sim, 0, 1 + 1e-5));
            Assert.Equal(1.0, r.Images[0].Probabilities.Sum(), 1e-5);
            Assert.True(File.Exists(Path.Combine(dir, "eval", "report.html")));
            var table = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "eval", "table.json")))!;
            Assert.Equal(1, table["version"]!.GetValue<int>());

            // The MT-UNet baseline trains with the same trainer; its checkpoint in the dual run is refused by name.
            new SaliencyTrainer(new SaliencyTrainingOptions { Network = SaliencyModelSpec.Small("mtunet"), Epochs = [1, 1, 1, 1], Batch = [6, 6, 6, 6] }).Train(studies, mt);
            File.Copy(Path.Combine(mt, "model.safetensors"), Path.Combine(run, "model.safetensors"), true);
            var e = Assert.Throws<InvalidDataException>(() => SaliencyRunModel.Load(run));
            Assert.Contains("mt-unet", e.Message);
            Assert.Contains("cxrgazelearn-mtl-unet", e.Message);
            // Another width in the same run folder is refused too.
            var e2 = Assert.Throws<InvalidDataException>(() => new SaliencyTrainer(o with { Network = SaliencyModelSpec.Small("mtunet"), Stages = null }).Train(studies, run));
            Assert.Contains("config.json", e2.Message);
            Assert.Throws<ArgumentException>(() => new SaliencyTrainingOptions { Network = SaliencyModelSpec.Small("mtunet"), Stages = [SaliencyStage.Classifier] }.Validate());
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Issue 12: <c>--device</c>. A stage trained with the CPU named explicitly is bit-identical to the default, and
    /// a run loaded onto the CPU (evaluation, predictor) has its parameters there and scores as the default.</summary>
    [Fact]
    public void Device_CpuNamedExplicitly_IsTheDefaultRun_AndLoadPutsTheParametersOnIt()
    {
        var dir = Synth();
        try
        {
            var studies = SaliencyStudies.Load(dir, null, 1);
            var o = new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Small("mtunet"), Epochs = [1, 1, 1, 1], Batch = [6, 6, 6, 6], Stages = [SaliencyStage.Joint],
                Deterministic = true, Seed = 4,
            };
            Assert.Equal("cpu", o.Device);
            var a = Path.Combine(dir, "dev-default");
            var b = Path.Combine(dir, "dev-cpu");
            new SaliencyTrainer(o).Train(studies, a);
            new SaliencyTrainer(o with { Device = " cpu" }).Train(studies, b);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));

            using var plain = SaliencyRunModel.Load(a);
            using var onCpu = SaliencyRunModel.Load(a, TorchSharp.torch.CPU);
            Assert.All(onCpu.Net.parameters(), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
            var test = studies.Split("test");
            var r1 = plain.Evaluate(test, "a", "test");
            var r2 = onCpu.Evaluate(test, "a", "test");
            Assert.Equal(r1.Images.Select(i => i.Cc), r2.Images.Select(i => i.Cc));
            using var predictor = new SaliencyPredictor(a, TorchSharp.torch.CPU);
            using var predictorDefault = new SaliencyPredictor(a);
            var img = test[0].ImagePath;
            Assert.Equal(predictorDefault.Predict(img).LogProbabilities, predictor.Predict(img).LogProbabilities);
        }
        finally { Directory.Delete(dir, true); }
    }
}

public class SaliencyGazeTargetGoldenTests
{
    [Fact]
    public void GazeTargetAndImage_EqualTheReferencePreparation()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "saliency", "gaze_target.json"))) d = d.Parent;
        Assert.NotNull(d);
        var j = JsonNode.Parse(File.ReadAllText(Path.Combine(d!.FullName, "tests", "data", "golden", "saliency", "gaze_target.json")))!;
        int w = j["width"]!.GetValue<int>(), h = j["height"]!.GetValue<int>();
        var g = new SaliencyGeometry(j["canvas_height"]!.GetValue<int>(), j["canvas_width"]!.GetValue<int>(), j["stride"]!.GetValue<int>());
        Assert.Equal(j["kernel"]!.GetValue<int>(), g.BlurKernel);
        var xs = j["x"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var ys = j["y"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var (map, inside) = g.GazeTarget(xs.Zip(ys, (x, y) => (x, y, 1.0)), w, h, "golden");
        Assert.Equal(j["inside"]!.GetValue<int>(), inside);
        var expected = j["gaze"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(expected.Length, map.Length);
        for (var i = 0; i < map.Length; i++) Assert.True(Math.Abs(map[i] - expected[i]) < 1e-5, $"gaze pixel {i}: {map[i]} vs {expected[i]}");
        var image = j["image"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        var x = g.PrepareImage(image, w, h, "golden");
        var cxr = j["cxr"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        for (var i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - cxr[i]) < 1e-6, $"image pixel {i}: {x[i]} vs {cxr[i]}");
    }
}

/// <summary>The reference's stage-1 triplet loop run with torch 1.13 (tools/golden/saliency/make_triplet_golden.py).</summary>
public class SaliencyTripletGoldenTests
{
    [Theory]
    [InlineData(TripletDistance.Reference4D, "reference4d")]
    [InlineData(TripletDistance.Flattened, "flattened")]
    public void TripletLoss_EqualsTorchTripletMarginLossSummedOverTriplets(TripletDistance mode, string key)
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "saliency", "triplet.json"))) d = d.Parent;
        Assert.NotNull(d);
        var j = JsonNode.Parse(File.ReadAllText(Path.Combine(d!.FullName, "tests", "data", "golden", "saliency", "triplet.json")))!;
        var shape = j["shape"]!.AsArray().Select(v => (long)v!.GetValue<int>()).ToArray();
        using var f = torch.tensor(j["features"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), shape);
        var labels = j["labels"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        var (loss, _) = SaliencyTrainer.TripletLoss(f, labels, mode);
        Assert.Equal(j[key]!.GetValue<double>(), loss.item<double>(), 1e-9);
    }
}

/// <summary>The per-image saliency metrics and their summary against the authors' MetricsHandle_Saliency
/// (tools/golden/saliency/make_saliency_metrics_golden.py).</summary>
public class SaliencyMetricsGoldenTests
{
    private static float[] Floats(JsonNode e) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(e["b64"]!.GetValue<string>())).ToArray();

    [Fact]
    public void ImageMetricsAndSummary_EqualTheReferencesMetricsHandle()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "saliency", "saliency_metrics.json"))) d = d.Parent;
        Assert.NotNull(d);
        var j = JsonNode.Parse(File.ReadAllText(Path.Combine(d!.FullName, "tests", "data", "golden", "saliency", "saliency_metrics.json")))!;
        var y = Floats(j["y"]!);
        var logp = Floats(j["log_p"]!);
        var shape = j["y"]!["shape"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        int n = shape[0], plane = shape[2] * shape[3];
        var kl = j["kl_list"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var cc = j["cc_list"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var hs = j["hs_list"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var results = Enumerable.Range(0, n).Select(i => SaliencyRunModel.ImageMetrics(logp.AsSpan(i * plane, plane), y.AsSpan(i * plane, plane))).ToList();
        for (var i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(results[i].Kl - kl[i]) <= 1e-5 * Math.Max(1, Math.Abs(kl[i])), $"image {i}: KL {results[i].Kl} vs {kl[i]}");
            Assert.True(Math.Abs(results[i].Cc - cc[i]) <= 1e-5, $"image {i}: CC {results[i].Cc} vs {cc[i]}");
        }
        // the reference leaves histogram intersections above 1 + 1e-5 out of its list
        var kept = results.Where(r => !r.SimSkipped).Select(r => r.Sim).ToArray();
        Assert.Equal(hs.Length, kept.Length);
        Assert.True(results.Count(r => r.SimSkipped) >= 1, "the golden has a case the reference skips");
        for (var i = 0; i < hs.Length; i++) Assert.True(Math.Abs(kept[i] - hs[i]) <= 1e-5, $"HS {i}: {kept[i]} vs {hs[i]}");
        var report = j["report"]!;
        void Check(string key, SaliencySummary s)
        {
            Assert.True(Math.Abs(s.Mean - report[key + "_mean"]!.GetValue<double>()) <= 1e-5, $"{key} mean");
            Assert.True(Math.Abs(s.Median - report[key + "_median"]!.GetValue<double>()) <= 1e-5, $"{key} median");
            Assert.True(Math.Abs(s.Std - report[key + "_std"]!.GetValue<double>()) <= 1e-5, $"{key} std (population)");
        }
        Check("KL", SaliencySummary.Of(results.Select(r => r.Kl)));
        Check("CC", SaliencySummary.Of(results.Select(r => r.Cc)));
        Check("HS", SaliencySummary.Of(results.Select(r => r.Sim)));
        Assert.Throws<ArgumentException>(() => SaliencyRunModel.ImageMetrics(logp.AsSpan(0, plane), y.AsSpan(0, plane - 1)));
    }
}
