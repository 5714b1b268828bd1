using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.GdVig;
using Thorax.Pipelines.GdVig;

namespace Thorax.Pipelines.Tests.GdVig;

/// <summary>GD-ViG training, evaluation and their data readers on tiny folders in the layouts of thorax synth and of the authors.</summary>
public sealed class GdVigTrainingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-gdvig-train-" + Guid.NewGuid().ToString("N"));

    public GdVigTrainingTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // split, pneumothorax, class, cue; studies s00..
    private static readonly (string Split, int Ptx, string Class, int Cue)[] Rows =
    [
        ("train", 1, "Normal", 1), ("train", 0, "CHF", 0), ("train", 1, "pneumonia", 1), ("train", 0, "Normal", 0),
        ("train", 1, "CHF", 1), ("train", 0, "pneumonia", 0), ("train", 1, "Normal", 1), ("train", 0, "CHF", 0),
        ("validation", 1, "Normal", 1), ("validation", 0, "CHF", 0), ("validation", 0, "pneumonia", 1),
        ("test", 1, "Normal", 1), ("test", 0, "CHF", 0), ("test", 1, "pneumonia", 0), ("test", 0, "Normal", 1),
    ];

    /// <summary>A synth-layout folder: 64 px PNGs (positives carry a bright square), studies.csv, splits, EGD-CXR fixations
    /// (on the square for positives, on the centre otherwise); <paramref name="noFixations"/> studies get none.</summary>
    private string WriteSynth(params int[] noFixations)
    {
        var root = Path.Combine(_dir, "synth");
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "splits"));
        Directory.CreateDirectory(Path.Combine(root, "egd-cxr"));
        var csv = new StringBuilder("id,split,class,pneumothorax,shortcut_cue\n");
        var fix = new StringBuilder("DICOM_ID,SESSION_ID,Time (in secs),FPOGX,FPOGY,FPOGD,X_ORIGINAL,Y_ORIGINAL\n");
        var rng = new Random(5);
        for (var i = 0; i < Rows.Length; i++)
        {
            var (split, ptx, cls, cue) = Rows[i];
            var id = $"s{i:D2}";
            csv.Append(CultureInfo.InvariantCulture, $"{id},{split},{cls},{ptx},{cue}\n");
            var img = new Image<byte>(64, 64);
            for (var y = 0; y < 64; y++)
                for (var x = 0; x < 64; x++)
                    img[x, y] = (byte)(60 + rng.Next(40) + (ptx == 1 && x < 24 && y < 24 ? 120 : 0));
            Png.Write(Path.Combine(root, "images", id + ".png"), img);
            if (noFixations.Contains(i)) continue;
            var (cx, cy) = ptx == 1 ? (12, 12) : (32, 32);
            for (var k = 0; k < 6; k++)
                fix.Append(CultureInfo.InvariantCulture, $"{id},1,{k * 0.3:F1},0.5,0.5,0.2,{cx + rng.Next(-3, 4)},{cy + rng.Next(-3, 4)}\n");
        }
        File.WriteAllText(Path.Combine(root, "studies.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(root, "egd-cxr", "fixations.csv"), fix.ToString());
        foreach (var split in new[] { "train", "validation", "test" })
            File.WriteAllLines(Path.Combine(root, "splits", split + ".txt"), Rows.Select((r, i) => (r, i)).Where(x => x.r.Split == split).Select(x => $"s{x.i:D2}"));
        return root;
    }

    private static GdVigTrainingOptions Tiny(GdVigModelKind kind = GdVigModelKind.GdVig, int epochs = 1) => new()
    {
        Variant = GdVigVariant.SiimAcr, Model = kind, Channels = [8, 16, 32, 64], Blocks = [1, 1, 1, 1], Size = 96, BatchSize = 4,
        Epochs = epochs, LearningRate = 1e-3, Seed = 3,
    };

    [Fact]
    public void Synth_LabelsPerVariant_GazeFromFixations_AndStudiesWithoutFixationsHaveNoGaze()
    {
        var root = WriteSynth(noFixations: 3);
        var siim = GdVigDataset.Load(root, GdVigVariant.SiimAcr);
        Assert.Equal("synth", siim.Layout);
        Assert.Equal(Rows.Select(r => r.Ptx), siim.Studies.OrderBy(s => s.Id).Select(s => s.Label));
        Assert.Equal(8, siim.Split("train").Count);
        Assert.True(siim.Studies.Single(s => s.Id == "s00").ShortcutCue);
        var egd = GdVigDataset.Load(root, GdVigVariant.EgdCxr);
        Assert.Equal(Rows.Select(r => r.Class switch { "Normal" => 0, "CHF" => 1, _ => 2 }), egd.Studies.OrderBy(s => s.Id).Select(s => s.Label));

        var p = siim.Read(siim.Studies.Single(s => s.Id == "s00"));
        Assert.NotNull(p.Gaze);
        Assert.Equal(64 * 64, p.Gaze!.Length);
        Assert.Equal(255, p.Gaze.Max()); // min-max to [0, 1], quantised to 8 bits like the reference's gaze PNGs
        var peak = Array.IndexOf(p.Gaze, (byte)255);
        Assert.InRange(peak % 64, 6, 18); // the fixations sit around (12, 12)
        Assert.InRange(peak / 64, 6, 18);
        Assert.Null(siim.Read(siim.Studies.Single(s => s.Id == "s03")).Gaze);
    }

    [Fact]
    public void Train_MissingGaze_IsAnErrorNamingTheStudy_OrSkipped()
    {
        var root = WriteSynth(noFixations: 3);
        var ds = GdVigDataset.Load(root, GdVigVariant.SiimAcr);
        var e = Assert.Throws<ArgumentException>(() => new GdVigTrainer(Tiny()).Train(ds, Path.Combine(_dir, "run-err")));
        Assert.Contains("'s03'", e.Message);
        Assert.Contains("fixations.csv", e.Message);
        var r = new GdVigTrainer(Tiny() with { MissingGaze = MissingGazePolicy.Skip }).Train(ds, Path.Combine(_dir, "run-skip"));
        Assert.Equal(1, r.SkippedForGaze);
        Assert.Equal(7, r.TrainStudies);
        // the plain ViG needs no gaze
        var v = new GdVigTrainer(Tiny(GdVigModelKind.Vig)).Train(ds, Path.Combine(_dir, "run-vig"));
        Assert.Equal(8, v.TrainStudies);
        Assert.Null(v.Examples[0].PredictedGaze);
    }

    [Fact]
    public void Train_WritesTheRun_Resumes_AndEvaluateReadsIt()
    {
        var root = WriteSynth();
        var ds = GdVigDataset.Load(root, GdVigVariant.SiimAcr);
        var run = Path.Combine(_dir, "run");
        var first = new GdVigTrainer(Tiny()).Train(ds, run);
        foreach (var f in new[] { "model.safetensors", "config.json", "history.csv", "curves.svg", "eval-test/metrics.json", "eval-test/predictions.csv" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(run, "curves.svg")); // well-formed, one point per epoch
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Contains(svg.Root.Elements(), e => e.Name.LocalName == "polyline" && e.Attribute("points")!.Value.Split(' ').Length == 1);
        Assert.Single(first.Fit.History);
        Assert.NotNull(first.Test);
        Assert.Equal(4, first.Test!.Count);
        Assert.True(first.Test.Shortcut is not null, "the test split's cue varies, so the shortcut audit runs");
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "eval-test", "metrics.json")))!;
        Assert.Equal(1, metrics["version"]!.GetValue<int>());
        Assert.NotNull(metrics["auc_cue_disagrees"]);

        var trainer = new GdVigTrainer(Tiny(epochs: 2));
        int? resumedAfter = null;
        trainer.Resumed += e => resumedAfter = e;
        var second = trainer.Train(ds, run);
        Assert.Equal(1, resumedAfter);
        Assert.Equal(2, second.Fit.History.Count);
        var svg2 = System.Xml.Linq.XDocument.Load(Path.Combine(run, "curves.svg")); // the resumed run's curves cover both epochs
        Assert.Contains(svg2.Root!.Elements(), e => e.Name.LocalName == "polyline" && e.Attribute("points")!.Value.Split(' ').Length == 2);

        using var net = GdVigNetwork.LoadRun(run);
        Assert.Equal(GdVigModelKind.GdVig, net.Kind);
        Assert.Equal(96, net.Size);
        var (eval, preds, _) = GdVigEvaluator.Evaluate(net, ds, "test", null);
        Assert.Equal(4, preds.Count);
        Assert.All(preds, p => Assert.Equal(1.0, p.Probabilities.Sum(), 6));
        Assert.Equal(second.Test!.Auc, eval.Auc, 9);

        // other settings into the same folder are refused, naming both
        var other = Assert.Throws<InvalidDataException>(() => new GdVigTrainer(Tiny(epochs: 3) with { GazeLambda = 3 }).Train(ds, run));
        Assert.Contains("lambda=3", other.Message);
    }

    [Fact]
    public void LoadRun_WeightsOfAnotherClassCount_AreNamed()
    {
        var root = WriteSynth();
        var run = Path.Combine(_dir, "run-classes");
        new GdVigTrainer(Tiny(GdVigModelKind.Vig)).Train(GdVigDataset.Load(root, GdVigVariant.SiimAcr), run);
        var configPath = Path.Combine(run, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["variant"] = "egdcxr"; // 3 classes, single head: the siim run's vig.prediction.4 has 1000 outputs
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => GdVigNetwork.LoadRun(run));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("vig.prediction.4.weight has 1000 outputs", e.Message);
        Assert.Contains("3 classes", e.Message);
    }

    [Fact]
    public void ReferenceLayout_PairsByName_ChecksGazeSize_AndReadsSiimLabels()
    {
        var root = Path.Combine(_dir, "siim-gaze");
        foreach (var split in new[] { "train", "test" })
        foreach (var kind in new[] { "img", "gaze" })
            Directory.CreateDirectory(Path.Combine(root, split, kind));
        File.WriteAllText(Path.Combine(root, "siim_pneumothorax.csv"),
            "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n1.2.3.a,No finding,14,R1,-1,-1,-1,-1\n1.2.3.b,Pneumothorax,12,R1,1,1,5,5\n1.2.3.b,No finding,14,R2,-1,-1,-1,-1\n1.2.3.c,Pneumothorax,12,R1,1,1,5,5\n");
        void Write(string path, int w, int h, byte v)
        {
            var img = new Image<byte>(w, h);
            img.Pixels.Fill(v);
            img[1, 1] = 255;
            Png.Write(path, img);
        }
        Write(Path.Combine(root, "train", "img", "1.2.3.a.png"), 40, 30, 90);
        Write(Path.Combine(root, "train", "gaze", "1.2.3.a.png"), 40, 30, 0);
        Write(Path.Combine(root, "train", "img", "1.2.3.b.png"), 40, 30, 90);
        Write(Path.Combine(root, "train", "gaze", "1.2.3.b.png"), 40, 30, 10);
        Write(Path.Combine(root, "test", "img", "1.2.3.c.png"), 40, 30, 90);
        Write(Path.Combine(root, "test", "gaze", "1.2.3.c.png"), 20, 20, 10);
        var ds = GdVigDataset.Load(root, GdVigVariant.SiimAcr);
        Assert.Equal("reference", ds.Layout);
        Assert.Equal([0, 1, 1], ds.Studies.Select(s => s.Label)); // first row per image: b is a pneumothorax
        Assert.Empty(ds.Split("validation"));
        var a = ds.Read(ds.Studies[0]);
        Assert.Equal(40, a.Width);
        Assert.NotNull(a.Gaze);
        var e = Assert.Throws<ImageFormatException>(() => ds.Read(ds.Studies[2]));
        Assert.Contains("20x20", e.Message);
        Assert.Contains(Path.Combine("test", "gaze", "1.2.3.c.png"), e.Message);

        File.Delete(Path.Combine(root, "train", "img", "1.2.3.b.png"));
        var orphan = Assert.Throws<Thorax.Data.DataFormatException>(() => GdVigDataset.Load(root, GdVigVariant.SiimAcr));
        Assert.Contains("1.2.3.b.png", orphan.Message);
    }

    [Fact]
    public void EgdCxrReferenceLayout_MimicPartLabels_JpegImages_TrainsAndEvaluates()
    {
        // The authors' Data/MIMIC_Gaze layout: train|test/img/<dicom_id>.jpg with gaze PNGs of the same stem, labels from
        // mimic_part.csv (image_id '<dicom_id>.jpg', class_name Normal/CHF/Pneumonia) in the parent folder.
        var parent = Path.Combine(_dir, "MIMIC_Gaze-parent");
        var root = Path.Combine(parent, "MIMIC_Gaze");
        var classes = new[] { "Normal", "CHF", "Pneumonia" };
        var csv = new StringBuilder("image_id,class_name,phase\n");
        var rng = new Random(9);
        for (var i = 0; i < 9; i++)
        {
            var split = i < 6 ? "train" : "test";
            var id = $"d{i:D2}0000-aaaa";
            csv.Append(CultureInfo.InvariantCulture, $"{id}.jpg,{classes[i % 3]},{split}\n");
            Directory.CreateDirectory(Path.Combine(root, split, "img"));
            Directory.CreateDirectory(Path.Combine(root, split, "gaze"));
            var img = new Image<byte>(72, 64);
            var gaze = new Image<byte>(72, 64);
            for (var y = 0; y < 64; y++)
                for (var x = 0; x < 72; x++)
                {
                    img[x, y] = (byte)(50 + rng.Next(30) + (i % 3) * 40);
                    gaze[x, y] = (byte)Math.Clamp(255 - 6 * (Math.Abs(x - 20 - 10 * (i % 3)) + Math.Abs(y - 30)), 0, 255);
                }
            File.WriteAllBytes(Path.Combine(root, split, "img", id + ".jpg"), Jpeg.Encode(img, 95));
            Png.Write(Path.Combine(root, split, "gaze", id + ".png"), gaze);
        }
        File.WriteAllText(Path.Combine(parent, "mimic_part.csv"), csv.ToString());

        var ds = GdVigDataset.Load(root, GdVigVariant.EgdCxr);
        Assert.Equal("reference", ds.Layout);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => i % 3), ds.Split("train").Select(s => s.Label));
        Assert.Equal(3, ds.Split("test").Count);
        Assert.All(ds.Studies, s => Assert.NotNull(ds.Read(s).Gaze));

        var run = Path.Combine(_dir, "egd-run");
        var res = new GdVigTrainer(Tiny() with { Variant = GdVigVariant.EgdCxr, BatchSize = 3 }).Train(ds, run);
        Assert.Single(res.Fit.History);
        Assert.NotNull(res.Test);
        Assert.Equal("macro", res.Test!.Average);
        Assert.Equal(3, res.Test.AucPerClass.Count);
        // the gaze PNGs are the targets the generator's maps are compared with (after one epoch the map may still be
        // constant, whose CC is undefined: then gaze_studies counts 0)
        Assert.Equal(3, res.Examples.Count);
        Assert.All(res.Examples, x => Assert.True(x.TrueGaze is not null && x.PredictedGaze is not null && x.TrueGaze.Max() > 0));
        using var net = GdVigNetwork.LoadRun(run);
        Assert.Equal(3, net.Options.NumClasses);

        // an unknown class names the file, the line and the column
        File.AppendAllText(Path.Combine(parent, "mimic_part.csv"), "dxx.jpg,Edema,train\n");
        var e = Assert.Throws<Thorax.Data.DataFormatException>(() => GdVigDataset.Load(root, GdVigVariant.EgdCxr));
        Assert.Contains("mimic_part.csv", e.Message);
        Assert.Contains("Edema", e.Message);
    }

    [Fact]
    public void Metrics_AreTheAuthorsInferenceScript()
    {
        static GdVigStudy S(int label, bool? cue = null) => new($"x{Guid.NewGuid():N}", "test", label, cue, "", null);
        // SIIM: AUC of softmax[:, 1]; weighted P/R/F1
        var y = new[] { 0, 0, 1, 1 };
        var p1 = new[] { 0.1, 0.6, 0.4, 0.9 };
        var preds = y.Select((l, i) => new GdVigStudyPrediction(S(l), [0, Math.Log(p1[i] / (1 - p1[i]))], [1 - p1[i], p1[i]], p1[i] >= 0.5 ? 1 : 0, null, null, null)).ToList();
        var e = GdVigEvaluation.Compute("test", GdVigVariant.SiimAcr, GdVigModelKind.GdVig, preds);
        Assert.Equal(0.5, e.Accuracy, 12);
        Assert.Equal(0.75, e.Auc, 12);
        Assert.Equal(0.5, e.F1, 12);
        Assert.Equal("weighted", e.Average);
        Assert.Null(e.Shortcut);
        Assert.True(double.IsNaN(e.GazeCc));

        // EGD-CXR: one-vs-rest AUC on raw logits, plain mean; macro F1
        var ly = new[] { 0, 1, 2, 0, 1, 2 };
        double[][] logits = [[3, 0, 0], [0, 2, 1], [0, 1, 2], [1, 2, 0], [0, 3, 0], [2, 0, 1]];
        var ep = ly.Select((l, i) => new GdVigStudyPrediction(S(l), logits[i], logits[i], Array.IndexOf(logits[i], logits[i].Max()), 0.5, 1.0, 0.4)).ToList();
        var g = GdVigEvaluation.Compute("test", GdVigVariant.EgdCxr, GdVigModelKind.GdVig, ep);
        // class 0 logits [3,0,0,1,0,2] labels [1,0,0,1,0,0]: positives 3 and 1 vs negatives 0,0,0,2 -> (4 + 3) / 8
        Assert.Equal(7.0 / 8, g.AucPerClass[0], 12);
        Assert.Equal(g.AucPerClass.Average(), g.Auc, 12);
        Assert.Equal("macro", g.Average);
        Assert.Equal(4.0 / 6, g.Accuracy, 12); // predictions 0,1,2,1,1,0
        Assert.Equal(0.5, g.GazeCc, 12);
        Assert.Equal(6, g.GazeStudies);
    }

    [Fact]
    public void Options_RejectSizesTooSmallForTheKnn_AndBadSettings()
    {
        var e = Assert.Throws<ArgumentException>(() => (Tiny() with { Size = 128, Blocks = [2, 2, 6, 2] }).Validate());
        Assert.Contains("k·dilation", e.Message);
        Assert.Throws<ArgumentException>(() => (Tiny() with { Size = 100 }).Validate());
        Assert.Throws<ArgumentException>(() => (Tiny() with { BatchSize = 1 }).Validate());
        Assert.Throws<ArgumentException>(() => (Tiny() with { GazeLambda = -1 }).Validate());
        Assert.Throws<ArgumentException>(() => GdVigTrainingOptions.ParseFour("8,16,32", "--channels"));
        (Tiny() with { Size = 224, Channels = null, Blocks = null }).Validate(); // the published configuration fits
    }

    /// <summary>Issue 12: <c>--device</c>. Training with the CPU named explicitly is bit-identical to the default, the
    /// fingerprint ignores the device, and a run loaded onto the CPU has its parameters there and evaluates as the default.</summary>
    [Fact]
    public void Device_CpuNamedExplicitly_IsTheDefaultRun_AndLoadRunPutsTheParametersOnIt()
    {
        var root = WriteSynth();
        var ds = GdVigDataset.Load(root, GdVigVariant.SiimAcr);
        var a = Path.Combine(_dir, "dev-default");
        var b = Path.Combine(_dir, "dev-cpu");
        var o = Tiny() with { Deterministic = true };
        var ra = new GdVigTrainer(o).Train(ds, a);
        var rb = new GdVigTrainer(o with { Device = "CPU" }).Train(ds, b);
        Assert.Equal("cpu", Tiny().Device);
        Assert.Equal(o.Fingerprint(), (o with { Device = "cuda:1" }).Fingerprint());
        Assert.Equal(ra.Fit.History.Select(h => h.TrainLoss), rb.Fit.History.Select(h => h.TrainLoss));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));

        using var plain = GdVigNetwork.LoadRun(a);
        using var onCpu = GdVigNetwork.LoadRun(a, TorchSharp.torch.CPU);
        Assert.Equal(TorchSharp.DeviceType.CPU, onCpu.Device.type);
        Assert.All(onCpu.Module.parameters(), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
        var (e1, _, _) = GdVigEvaluator.Evaluate(plain, ds, "test", null);
        var (e2, _, _) = GdVigEvaluator.Evaluate(onCpu, ds, "test", null);
        Assert.Equal(e1.Auc, e2.Auc);
        Assert.Equal(e1.GazeCc, e2.GazeCc);
    }
}
