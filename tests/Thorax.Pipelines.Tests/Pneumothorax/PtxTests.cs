using System.Text.Json.Nodes;
using Thorax.Data;
using Thorax.Data.Siim;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Classification;
using Thorax.Pipelines.Pneumothorax;
using Thorax.Pipelines.Tests.Classification;

namespace Thorax.Pipelines.Tests.Pneumothorax;

public class PtxPostprocessTests
{
    [Fact]
    public void ScaledArea_IsTheThresholdAt1024ScaledByArea()
    {
        Assert.Equal(3500, PtxPostprocess.ScaledArea(3500, 1024, 1024));
        Assert.Equal(875, PtxPostprocess.ScaledArea(3500, 512, 512));
        Assert.Equal(219, PtxPostprocess.ScaledArea(3500, 256, 256)); // 218.75
        Assert.Equal(0, PtxPostprocess.ScaledArea(0, 256, 256));
    }

    [Fact]
    public void RemoveSmallComponents_DropsOnlyComponentsBelowTheThreshold()
    {
        const int w = 20, h = 10;
        var m = new byte[w * h];
        for (var y = 0; y < 3; y++) for (var x = 0; x < 3; x++) m[y * w + x] = 1;            // 9 px
        for (var y = 5; y < 9; y++) for (var x = 10; x < 15; x++) m[y * w + x] = 1;          // 20 px
        m[9 * w + 19] = 1;                                                                   // 1 px
        Assert.Equal(2, PtxPostprocess.RemoveSmallComponents(m, w, h, 10));
        Assert.Equal(20, m.Sum(b => b));
        Assert.Equal(0, PtxPostprocess.RemoveSmallComponents(m, w, h, 20)); // 20 is kept (below = strictly smaller)
        Assert.Equal(1, PtxPostprocess.RemoveSmallComponents(m, w, h, 21));
        Assert.Equal(0, m.Sum(b => b));
    }

    [Fact]
    public void Triplet_EmptiesImagesWithTooFewConfidentPixels_ElseThresholdsAtBottom()
    {
        // 64x64: area 2000 at 1024 is round(2000 * 4096 / 1048576) = 8 px.
        var p = new float[64 * 64];
        for (var i = 0; i < 7; i++) p[i] = 0.9f;
        for (var i = 7; i < 30; i++) p[i] = 0.35f;
        var t = TripletThresholds.Parse("0.75,2000,0.3");
        Assert.Equal(0, PtxPostprocess.Triplet(p, 64, 64, t).Sum(b => b));
        p[40] = 0.8f;
        Assert.Equal(31, PtxPostprocess.Triplet(p, 64, 64, t).Sum(b => b));
        Assert.Throws<ArgumentException>(() => TripletThresholds.Parse("0.75,2000"));
        Assert.Throws<ArgumentException>(() => TripletThresholds.Parse("1.5,2000,0.3"));
    }

    [Fact]
    public void Decide_ClassifierGatesTheSegmenter_AndTheEliminatorWorksAtFullResolution()
    {
        // 32x32 probabilities of one 6x6 blob, decided at 64x64: the blob becomes ~144 px.
        var p = new float[32 * 32];
        for (var y = 10; y < 16; y++) for (var x = 10; x < 16; x++) p[y * 32 + x] = 0.9f;
        var o = new PtxPostprocessOptions { MinAreaAt1024 = 0 };
        var (mask, removed) = PtxPostprocess.Decide(0.8, p, 32, 64, 64, o);
        Assert.Equal(64 * 64, mask.Length);
        Assert.InRange(mask.Sum(b => b), 100, 200);
        Assert.Equal(0, removed);
        Assert.Equal(0, PtxPostprocess.Decide(0.2, p, 32, 64, 64, o).Mask.Sum(b => b));          // classifier says no
        Assert.True(PtxPostprocess.Decide(null, p, 32, 64, 64, o).Mask.Sum(b => b) > 0);         // no classifier
        // 3500 at 1024 is 14 px at 64x64: kept; 50000 at 1024 is 195 px: removed.
        Assert.True(PtxPostprocess.Decide(0.8, p, 32, 64, 64, o with { MinAreaAt1024 = 3500 }).Mask.Sum(b => b) > 0);
        var (gone, n) = PtxPostprocess.Decide(0.8, p, 32, 64, 64, o with { MinAreaAt1024 = 50000 });
        Assert.Equal(0, gone.Sum(b => b));
        Assert.Equal(1, n);
    }

    [Fact]
    public void SiimRle_RunningPastTheImage_IsAnError()
    {
        Assert.Throws<DataFormatException>(() => SiimRle.ToMask("10 5000", 64, 64));
    }
}

public class PtxScheduleTests
{
    [Fact]
    public void BestWindow_IsTheConsecutiveEpochsWithTheHighestMeanIou()
    {
        var curve = new[] { (1, 0.1), (2, 0.5), (3, 0.6), (4, 0.55), (5, 0.2), (6, 0.58) };
        Assert.Equal((2, 4), PtxSegmenterTrainer.BestWindow(curve, 3));
        Assert.Equal((3, 3), PtxSegmenterTrainer.BestWindow(curve, 1));
        Assert.Equal((1, 6), PtxSegmenterTrainer.BestWindow(curve, 10));
    }

    [Fact]
    public void Defaults_AreThePapersSegmenterRun_LongEnoughToHoldItsSwaWindow()
    {
        // Țimbuș et al.: 37 epochs, the first two with the first half frozen at 1e-3, then 1e-4; SWA over epochs 13-16
        // (four epochs) chosen from the validation IoU curve; positives only; the first place's ComboLoss weights.
        var o = new PtxSegmenterOptions();
        Assert.Equal(37, o.Epochs);
        Assert.Equal(2, o.FreezeEpochs);
        Assert.Equal(1e-3, o.FrozenLearningRate);
        Assert.Equal(1e-4, o.LearningRate);
        Assert.Equal(4, o.SwaWindow);
        Assert.True(o.PositiveOnly);
        Assert.Equal((3.0, 1.0, 4.0), o.LossWeights);
        Assert.Equal("fpn", o.Decoder);
        o.Validate();
        // A validation IoU curve that peaks over epochs 13-16, as the paper's did, gives the paper's window, which the
        // default run holds (a 12-epoch default could not).
        var curve = Enumerable.Range(1, o.Epochs).Select(e => (e, e is >= 13 and <= 16 ? 0.64 : 0.6 - 0.001 * Math.Abs(e - 14))).ToArray();
        Assert.Equal((13, 16), PtxSegmenterTrainer.BestWindow(curve, o.SwaWindow));
        Assert.Equal(1e-3, o.LearningRateAt(2));
        Assert.Equal(1e-4, o.LearningRateAt(3), 12);
    }

    [Fact]
    public void SlidingSampleRate_AndLearningRate_FollowThePaperSchedule()
    {
        var o = new PtxSegmenterOptions { Epochs = 5, PositiveOnly = false, FreezeEpochs = 2, LearningRate = 1e-4, MinLearningRate = 1e-6 };
        Assert.Equal(0.8, o.SampleRate(1, 5), 12);
        Assert.Equal(0.6, o.SampleRate(3, 5), 12);
        Assert.Equal(0.4, o.SampleRate(5, 5), 12);
        Assert.Equal(1.0, (o with { PositiveOnly = true }).SampleRate(3, 5));
        Assert.Equal(1e-3, o.LearningRateAt(1));
        Assert.Equal(1e-3, o.LearningRateAt(2));
        Assert.Equal(1e-4, o.LearningRateAt(3), 12);
        Assert.Equal(1e-6 + (1e-4 - 1e-6) / 2, o.LearningRateAt(4), 12);
        Assert.Equal(1e-6, o.LearningRateAt(5), 12);
    }

    [Fact]
    public void StratifiedSplit_KeepsTheClassShares_AndEnrichBalancesTheClasses()
    {
        var data = ClassificationFixture.Write();
        var ds = PtxData.Load(data);
        var pool = ds.Split("train").Concat(ds.Split("validation")).ToList(); // 19 studies, 8 positive
        var (train, val) = ClassifierTrainer.StratifiedSplit(pool, 0.2, 42);
        Assert.Equal(pool.Count, train.Count + val.Count);
        Assert.Empty(train.Select(s => s.Id).Intersect(val.Select(s => s.Id)));
        Assert.Equal(2, val.Count(s => s.Label == 1)); // round(0.2 * 8)
        Assert.Equal(2, val.Count(s => s.Label == 0)); // round(0.2 * 11)
        Assert.All(val, s => Assert.Equal("validation", s.Split));
        Assert.Equal(val.Select(s => s.Id), ClassifierTrainer.StratifiedSplit(pool, 0.2, 42).Validation.Select(s => s.Id));

        var images = ClassifierTrainer.LoadImages(ds, train, 32);
        var added = ClassifierTrainer.Enrich(train, images, 32, 1);
        Assert.Equal(train.Count(s => s.Label == 0) - train.Count(s => s.Label == 1), added.Count);
        Assert.All(added, s => Assert.Equal(1, s.Label));
        Assert.All(added, s => Assert.Equal(32 * 32, images[s.Id].Length));
        Directory.Delete(data, true);
    }
}

[Collection("ptx-training")]
public class PtxPipelineTests
{
    /// <summary>The classification fixture plus masks/pneumothorax/ (the bright 14x14 square of each positive).</summary>
    internal static string WriteFixture()
    {
        var dir = ClassificationFixture.Write();
        Directory.CreateDirectory(Path.Combine(dir, "masks", "pneumothorax"));
        for (var i = 0; i < ClassificationFixture.Rows.Length; i++)
        {
            var m = new Image<byte>(32, 32);
            if (ClassificationFixture.Rows[i].Label == 1)
                for (var y = 0; y < 14; y++) for (var x = 0; x < 14; x++) m[x, y] = 255;
            Png.Write(Path.Combine(dir, "masks", "pneumothorax", $"s{i:D2}.png"), m);
        }
        return dir;
    }

    private static PtxSegmenterOptions Seg => new()
    {
        Weights = "none", Size = 64, Epochs = 3, BatchSize = 4, FreezeEpochs = 1, PyramidChannels = 32, SegmentationChannels = 32, SwaWindow = 2,
        Augment = 0.5, Deterministic = true,
    };

    [Fact]
    public void Segmenter_Classifier_Cascade_Evaluation_EndToEnd()
    {
        var data = WriteFixture();
        var ds = PtxData.Load(data);
        var segRun = Directory.CreateTempSubdirectory("thorax-ptx-seg-").FullName;
        var res = new PtxSegmenterTrainer(Seg).Train(ds, segRun);
        Assert.Equal(3, res.Fit.History.Count);
        foreach (var f in new[] { "model.safetensors", "swa-window.safetensors", "swa-classic.safetensors", "config.json", "metrics.json", "history.csv" })
            Assert.True(File.Exists(Path.Combine(segRun, f)), f);
        Assert.False(Directory.Exists(Path.Combine(segRun, "epochs"))); // per-epoch weights are dropped after SWA
        Assert.Equal(2, res.Window.LastEpoch - res.Window.FirstEpoch + 1);
        Assert.Equal((2, 3), (res.Classic.FirstEpoch, res.Classic.LastEpoch)); // from 75% of the run to the end, at least two epochs
        Assert.Equal("epoch,train_loss,val_iou,val_dice,positives_share,lr,seconds,steps,partial", File.ReadAllLines(Path.Combine(segRun, "history.csv"))[0]);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(segRun, "metrics.json")))!;
        Assert.Equal(1, metrics["version"]!.GetValue<int>());
        Assert.NotNull(metrics["swa_window"]!["val_iou"]);
        // A rerun of the finished run (its per-epoch weights are gone) reads its results back instead of failing, and
        // removes the folder a kill leaves while the per-epoch weights are being deleted.
        Directory.CreateDirectory(Path.Combine(segRun, ".epochs.deleting"));
        File.WriteAllBytes(Path.Combine(segRun, ".epochs.deleting", "epoch-0001.safetensors"), [1]);
        var again = new PtxSegmenterTrainer(Seg).Train(ds, segRun);
        Assert.Equal((res.Window.FirstEpoch, res.Window.LastEpoch, res.Classic.FirstEpoch), (again.Window.FirstEpoch, again.Window.LastEpoch, again.Classic.FirstEpoch));
        Assert.Equal(res.Window.ValIou.ToString("F6"), again.Window.ValIou.ToString("F6"));
        Assert.False(Directory.Exists(Path.Combine(segRun, ".epochs.deleting")));

        // A classifier at another size is refused by the cascade, naming both sizes.
        var clsSmall = Directory.CreateTempSubdirectory("thorax-ptx-cls32-").FullName;
        new ClassifierTrainer(new ClassifierOptions { Weights = "none", Size = 32, Epochs = 1, BatchSize = 4, Deterministic = true }).Train(ds, clsSmall);
        var ex = Assert.Throws<InvalidOperationException>(() => PtxCascade.Open(clsSmall, segRun));
        Assert.Contains("32 px", ex.Message);
        Assert.Contains("64 px", ex.Message);

        // The paper's classifier schedule at the segmenter's size: frozen epoch, MCC selection, plateau, augment preset, stratified split.
        var clsRun = Directory.CreateTempSubdirectory("thorax-ptx-cls-").FullName;
        var cls = new ClassifierTrainer(new ClassifierOptions
        {
            Weights = "none", Size = 64, Epochs = 2, BatchSize = 4, FreezeEpochs = 1, FrozenLearningRate = 2e-2, LearningRate = 2e-4, Selection = "mcc",
            PlateauFactor = 0.2, PlateauPatience = 3, Preset = "augment", StratifiedValidation = 0.2, Deterministic = true,
        }).Train(ds, clsRun);
        Assert.Equal("epoch,train_loss,val_loss,val_auc,val_mcc,val_precision,val_recall,lr,seconds,steps,partial", File.ReadAllLines(Path.Combine(clsRun, "history.csv"))[0]);
        Assert.Equal(2e-2, cls.Fit.History[0].LearningRate, 12);
        Assert.Equal(2e-4, cls.Fit.History[1].LearningRate, 12);

        using (var cascade = PtxCascade.Open(clsRun, segRun, "window"))
        {
            var img = new Image<float>(96, 80);
            var preds = cascade.Predict([("x", img)], new PtxPostprocessOptions());
            Assert.Equal(96 * 80, preds[0].Mask.Length);
            Assert.NotNull(preds[0].Probability);
            Assert.Equal(preds[0].Positive, preds[0].MaskPixels > 0);
            var ov = PtxCascade.Overlay(img, preds[0].Mask);
            Assert.Equal(3, ov.Channels);
        }

        var outDir = Path.Combine(segRun, "eval");
        var ev = PtxEvaluation.Run(ds, clsRun, segRun, outDir);
        Assert.Equal(5, ev.Studies);
        foreach (var f in new[] { "table.md", "table.json", "per_image.csv", "report.html" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var table = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "table.json")))!;
        Assert.Equal(1, table["version"]!.GetValue<int>());
        Assert.InRange(ev.CascadeMeanDice, 0, 1);
        Assert.Contains(ev.Rows, r => r.Table == "swa" && r.Configuration.StartsWith("classic", StringComparison.Ordinal));
        Assert.Contains(ev.Rows, r => r.Table == "components");
        Assert.StartsWith("<!doctype html>", File.ReadAllText(Path.Combine(outDir, "report.html")));

        // Real SIIM DICOMs (skipped quietly when absent): 1024x1024 masks; the MONOCHROME1 copy of a study (same stored
        // values, header edited) goes through the presentation pipeline, which displays it inverted.
        var siim = SharedSiim();
        if (siim is not null)
        {
            using var cascade = PtxCascade.Open(clsRun, segRun);
            var orig = XrayImage.ReadUnit(Path.Combine(siim, "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"));
            var mono1 = XrayImage.ReadUnit(Path.Combine(siim, "modified-monochrome1-of-6904.dcm"));
            var p = cascade.Predict([("a", orig), ("b", mono1)], new PtxPostprocessOptions());
            Assert.Equal(1024 * 1024, p[0].Mask.Length);
            Assert.Equal(1024 * 1024, p[1].Mask.Length);
            // Inverted display: the two renderings are (monotonically) anti-correlated pixel by pixel. Not 1 - x exactly:
            // the header's VOI transform is applied before the inversion, so the means are not mirror images.
            double ma = orig.Data.Average(v => (double)v), mb = mono1.Data.Average(v => (double)v), sab = 0, saa = 0, sbb = 0;
            for (var i = 0; i < orig.Data.Length; i++)
            {
                double a = orig.Data[i] - ma, b = mono1.Data[i] - mb;
                sab += a * b; saa += a * a; sbb += b * b;
            }
            Assert.InRange(sab / Math.Sqrt(saa * sbb), -1.0, -0.9);
        }
        foreach (var d in new[] { data, segRun, clsSmall, clsRun }) Directory.Delete(d, true);
    }

    internal static string? SharedSiim()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null)
        {
            var p = Path.Combine(d.FullName, "..", "shared", "data", "siim");
            if (File.Exists(Path.Combine(p, "modified-monochrome1-of-6904.dcm"))) return Path.GetFullPath(p);
            d = d.Parent;
        }
        return null;
    }

    /// <summary>Issue 12: <c>--device</c>. The segmenter trained with the CPU named explicitly is bit-identical to the default
    /// (SWA files included), its fingerprint ignores the device, and the cascade opened on the CPU puts both networks' parameters
    /// there and predicts as the default.</summary>
    [Fact]
    public void Device_CpuNamedExplicitly_IsTheDefaultRun_AndTheCascadeLoadsOnIt()
    {
        var data = WriteFixture();
        var ds = PtxData.Load(data);
        var byDefault = Directory.CreateTempSubdirectory("thorax-ptx-dev-default-").FullName;
        var named = Directory.CreateTempSubdirectory("thorax-ptx-dev-cpu-").FullName;
        var o = Seg with { Epochs = 2 };
        new PtxSegmenterTrainer(o).Train(ds, byDefault);
        new PtxSegmenterTrainer(o with { Device = "cpu" }).Train(ds, named);
        Assert.Equal("cpu", new PtxSegmenterOptions().Device);
        Assert.Equal(o.Fingerprint(), (o with { Device = "cuda" }).Fingerprint());
        foreach (var f in new[] { "model.safetensors", "swa-window.safetensors", "swa-classic.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(byDefault, f)), File.ReadAllBytes(Path.Combine(named, f)));

        using var plain = PtxCascade.Open(null, byDefault);
        using var onCpu = PtxCascade.Open(null, byDefault, "window", TorchSharp.torch.CPU);
        Assert.Equal(TorchSharp.DeviceType.CPU, onCpu.Segmenter.Device.type);
        Assert.All(onCpu.Segmenter.Network.parameters(), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
        var images = ClassifierTrainer.LoadImages(ds, ds.Split("test"), 64).Values.ToList();
        var (_, m1) = plain.Infer(images);
        var (_, m2) = onCpu.Infer(images);
        Assert.Equal(m1.SelectMany(x => x), m2.SelectMany(x => x));
        var eval = PtxEvaluation.Run(ds, null, byDefault, Path.Combine(named, "eval"), new PtxEvaluationOptions { Device = "cpu" });
        var evalDefault = PtxEvaluation.Run(ds, null, byDefault, Path.Combine(byDefault, "eval"));
        Assert.Equal(evalDefault.SegmenterOnlyMeanDice, eval.SegmenterOnlyMeanDice);
        foreach (var d in new[] { data, byDefault, named }) Directory.Delete(d, true);
    }
}
