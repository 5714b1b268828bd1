using System.Text.Json;
using Thorax.Pipelines.Tests.Lungs;

namespace Thorax.Cli.Tests;

/// <summary>One small realistic study folder (thorax synth, 64 px, every finding, reports and gaze) shared by the method
/// verbs' tests below.</summary>
public sealed class MethodStudiesFixture : IDisposable
{
    public MethodStudiesFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "thorax-cli-methods-" + Guid.NewGuid().ToString("N"));
        Data = Path.Combine(Root, "data");
        var (code, _, err) = CliRunner.Run("synth", "--out", Data, "--n", "30", "--size", "64", "--seed", "5", "--ptx-rate", "0.5",
            "--chf-rate", "0.2", "--pneumonia-rate", "0.2", "--dicom", "none");
        Assert.True(code == 0, err);
    }

    public string Root { get; }

    public string Data { get; }

    public string Path2(string name) => Path.Combine(Root, name);

    public string[] Images(int n) => Directory.GetFiles(Path.Combine(Data, "images"), "*.png").Order(StringComparer.Ordinal).Take(n).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}

/// <summary>
/// The <c>--json</c> output of every method verb (cascade, ConTEXTual, saliency, the dataset builder, the four demos)
/// run through the CLI on tiny settings and checked against its schema in docs/schemas, plus the figures a user reads
/// first. The schemas alone (JsonSchemaTests) only say a schema exists; these say the output has its shape.
/// </summary>
public sealed class MethodVerbSchemaTests(MethodStudiesFixture f) : IClassFixture<MethodStudiesFixture>
{
    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout.Trim()).RootElement.Clone();

    private static string Ok((int Code, string Out, string Err) r, string schema)
    {
        Assert.True(r.Code == 0, $"{schema}: exit {r.Code}\n{r.Err}");
        CliSchemas.AssertValid(schema, r.Out);
        return r.Out;
    }

    [Fact]
    public void Ptx_TrainPredictSubmitEvaluate_MatchTheirSchemas()
    {
        var cls = f.Path2("ptx-cls");
        var seg = f.Path2("ptx-seg");
        var o = Json(Ok(CliRunner.Run("ptx", "train-classifier", "--data", f.Data, "--run", cls, "--weights", "none", "--size", "64",
            "--epochs", "1", "--batch", "4", "--threads", "1", "--json"), "classify-eval"));
        Assert.InRange(o.GetProperty("auc").GetDouble(), 0, 1);

        o = Json(Ok(CliRunner.Run("ptx", "train-segmenter", "--data", f.Data, "--run", seg, "--weights", "none", "--size", "64",
            "--epochs", "3", "--batch", "4", "--freeze-epochs", "1", "--pyramid", "32", "--seg-channels", "32", "--swa-window", "2",
            "--threads", "1", "--json"), "ptx-train-segmenter"));
        Assert.Equal(0, o.GetProperty("train_negatives").GetInt32()); // positives only by default, as the cascade needs

        var images = f.Images(3);
        o = Json(Ok(CliRunner.Run(["ptx", "predict", "--classifier", cls, "--segmenter", seg, .. images, "--out", f.Path2("ptx-pred"), "--threads", "1", "--json"]), "ptx-predict"));
        Assert.True(File.Exists(Path.Combine(f.Path2("ptx-pred"), "predictions.csv")));

        var sub = f.Path2("submission.csv");
        Ok(CliRunner.Run(["ptx", "submit", "--classifier", cls, "--segmenter", seg, .. images, "--out", sub, "--threads", "1", "--json"]), "ptx-submit");
        var lines = File.ReadAllLines(sub);
        Assert.Equal(images.Length + 1, lines.Length); // header + every image exactly once

        // Bad input (issue: "never a silently wrong submission"). Two inputs with the same id (file stem) are refused.
        var twin = Directory.CreateDirectory(f.Path2("twin")).FullName;
        File.Copy(images[0], Path.Combine(twin, Path.GetFileName(images[0])));
        var dup = CliRunner.Run(["ptx", "submit", "--classifier", cls, "--segmenter", seg, images[0], twin, "--out", f.Path2("dup.csv"), "--threads", "1"]);
        Assert.Equal(2, dup.Code);
        Assert.Contains("duplicate image id '" + Path.GetFileNameWithoutExtension(images[0]) + "'", dup.Err);
        Assert.False(File.Exists(f.Path2("dup.csv")));
        // An id list naming an image that is not given is refused before anything is written.
        var idList = f.Path2("ids.csv");
        File.WriteAllLines(idList, ["ImageId", .. images.Select(Path.GetFileNameWithoutExtension), "1.2.3.not-given"]);
        var missing = CliRunner.Run(["ptx", "submit", "--classifier", cls, "--segmenter", seg, .. images, "--ids", idList, "--out", f.Path2("missing.csv"), "--threads", "1"]);
        Assert.Equal(2, missing.Code);
        Assert.Contains("1.2.3.not-given", missing.Err);
        Assert.False(File.Exists(f.Path2("missing.csv")));
        // A DICOM that is not SIIM's 1024 x 1024 is warned about by name and its mask resampled to 1024 for the submission.
        var dcmDir = f.Path2("dicom64");
        var synthDcm = CliRunner.Run("synth", "--out", dcmDir, "--n", "2", "--size", "64", "--seed", "9", "--dicom", "uncompressed", "--no-gaze", "--no-reports");
        Assert.True(synthDcm.Code == 0, synthDcm.Err);
        var dcm = Directory.GetFiles(dcmDir, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var dsub = f.Path2("submission-dcm.csv");
        var dr = CliRunner.Run(["ptx", "submit", "--classifier", cls, "--segmenter", seg, dcm, "--out", dsub, "--threads", "1", "--json"]);
        o = Json(Ok(dr, "ptx-submit"));
        Assert.Contains("warning: " + dcm + ": 64x64, not SIIM's 1024x1024", dr.Err);
        Assert.Equal(1, o.GetProperty("resampled_to_1024").GetInt32());
        Assert.True(Thorax.Data.Siim.SiimSubmission.Validate(dsub, [Path.GetFileNameWithoutExtension(dcm)]).IsValid);

        o = Json(Ok(CliRunner.Run("ptx", "evaluate", "--data", f.Data, "--classifier", cls, "--segmenter", seg, "--out", f.Path2("ptx-eval"),
            "--sweep", "0,3500", "--threads", "1", "--json"), "ptx-evaluate"));
        foreach (var file in new[] { "table.md", "table.json", "report.html" }) Assert.True(File.Exists(Path.Combine(f.Path2("ptx-eval"), file)), file);
        // The report holds what the issue lists: the paper's tables, the classifier's confusion matrix and ROC curve, the
        // validation-IoU curve with the SWA window, and overlays of the best and worst cases, all inside the one file.
        var html = File.ReadAllText(Path.Combine(f.Path2("ptx-eval"), "report.html"));
        foreach (var part in new[] { "<h2>swa</h2>", "<h2>components</h2>", "<th>predicted +</th>", "<h3>ROC</h3>", "Validation IoU per epoch (SWA window shaded)", "<h2>Overlays", "best: ", "worst: ", "data:image/png;base64," })
            Assert.Contains(part, html);
        Assert.True(System.Text.RegularExpressions.Regex.Matches(html, "<svg ").Count >= 2, "ROC and IoU curves");
        Assert.DoesNotContain("src=\"http", html); // self-contained
    }

    [Fact]
    public void Contextual_TrainPredictAblate_MatchTheirSchemas()
    {
        var run = f.Path2("ctx-run");
        var o = Json(Ok(CliRunner.Run("contextual", "train", "--data", f.Data, "--run", run, "--size", "32", "--width", "2", "--batch", "4",
            "--epochs", "1", "--threads", "1", "--json"), "contextual-train"));
        Assert.Equal("contextual", o.GetProperty("model").GetString());

        var image = f.Images(1)[0];
        var pred = Json(Ok(CliRunner.Run("contextual", "predict", "--model", run, "--image", image, "--report", "Small left apical pneumothorax.",
            "--out", f.Path2("ctx-pred"), "--json"), "contextual-predict"));
        // mask, overlay and the attention map of each decoder level over the report's tokens
        var mask = Thorax.Imaging.Codecs.Png.Read(Path.Combine(f.Path2("ctx-pred"), "mask.png"));
        Assert.Equal((32, 32), (mask.Width, mask.Height));
        Assert.Equal(pred.GetProperty("mask_pixels").GetInt32(), mask.AsByte().Pixels.ToArray().Count(v => v > 0));
        Assert.True(File.Exists(Path.Combine(f.Path2("ctx-pred"), "overlay.png")));
        Assert.Equal(4, pred.GetProperty("attention").GetArrayLength());
        Assert.All(pred.GetProperty("attention").EnumerateArray(), l => Assert.Equal(pred.GetProperty("tokens").GetArrayLength(), l.GetArrayLength()));
        var html = File.ReadAllText(Path.Combine(f.Path2("ctx-pred"), "attention.html"));
        for (var l = 1; l <= 4; l++) Assert.Contains($"<th>level {l}</th>", html);

        // bad input: an empty report is refused unless --empty-report; a truth mask of another size names both sizes
        var (code, _, err) = CliRunner.Run("contextual", "predict", "--model", run, "--image", image, "--report", " ", "--out", f.Path2("ctx-pred-empty"));
        Assert.NotEqual(0, code);
        Assert.Contains("--report is empty", err);
        Ok(CliRunner.Run("contextual", "predict", "--model", run, "--image", image, "--empty-report", "--out", f.Path2("ctx-pred-empty"), "--json"), "contextual-predict");
        var small = f.Path2("ctx-mask-10.png");
        Thorax.Imaging.Codecs.Png.Write(small, new Thorax.Imaging.Image<byte>(10, 10));
        (code, _, err) = CliRunner.Run("contextual", "predict", "--model", run, "--image", image, "--report", "Small left apical pneumothorax.",
            "--mask", small, "--out", f.Path2("ctx-pred-mask"));
        Assert.NotEqual(0, code);
        Assert.Contains("10x10", err);
        Assert.Contains("64x64", err);

        Ok(CliRunner.Run("contextual", "ablate", "--data", f.Data, "--out", f.Path2("ctx-ablate"), "--folds", "1", "--rows", "unet,contextual",
            "--size", "32", "--width", "2", "--batch", "4", "--epochs", "1", "--threads", "1", "--json"), "contextual-ablate");
    }

    [Fact]
    public void Saliency_TrainEvaluate_MatchTheirSchemas()
    {
        var run = f.Path2("sal-run");
        Ok(CliRunner.Run("saliency", "train", "--data", f.Data, "--run", run, "--width", "small", "--epochs", "1", "--batch", "6", "--json"), "saliency-train");
        var o = Json(Ok(CliRunner.Run("saliency", "evaluate", "--run", run, "--data", f.Data, "--out", f.Path2("sal-eval"), "--json"), "saliency-evaluate"));
        Assert.True(File.Exists(Path.Combine(f.Path2("sal-eval"), "report.html")));
        // the paper's comparison: a classifier-only and a saliency-only row have null cells for the other task
        var cmp = Json(Ok(CliRunner.Run("saliency", "compare", "--data", f.Data, "--out", f.Path2("sal-compare"), "--models",
            "classifier,saliency", "--width", "small", "--epochs", "1", "--batch", "6", "--json"), "saliency-compare"));
        Assert.Equal(2, cmp.GetProperty("models").GetArrayLength());
        // one model (the run, no baseline), so no paired t-tests; its row counts the test split's studies, one line each
        // in its per-image CSV, and scores the three classes
        var model = Assert.Single(o.GetProperty("models").EnumerateArray());
        Assert.Empty(o.GetProperty("paired_t_tests").EnumerateArray());
        Assert.Equal("sal-run", model.GetProperty("model").GetString());
        Assert.Equal("test", model.GetProperty("split").GetString());
        var studies = model.GetProperty("studies").GetInt32();
        Assert.Equal(studies + 1, File.ReadAllLines(Path.Combine(f.Path2("sal-eval"), "per_image_sal-run.csv")).Length);
        Assert.InRange(studies, 1, 30);
        Assert.Equal(["normal", "heart_failure", "pneumonia"], model.GetProperty("auc").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.InRange(model.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.InRange(model.GetProperty("kl").GetProperty("n").GetInt32(), 1, studies);
        Assert.InRange(model.GetProperty("cc").GetProperty("mean").GetDouble(), -1, 1);

        // the trained run predicts as it was trained: small width, the run's geometry (64 px studies on a 96x64 canvas)
        var image = f.Images(1)[0];
        var maps = f.Path2("sal-maps");
        o = Json(Ok(CliRunner.Run("saliency", "predict", "--weights", run, image, "--json", "--maps", maps), "saliency-predict"));
        var p = o.GetProperty("images")[0];
        Assert.Equal(1.0, p.GetProperty("class_probabilities").EnumerateArray().Sum(v => v.GetDouble()), 4);
        var (map, rows, cols) = Thorax.Pipelines.GdVig.Npy.ReadFloat32(Path.Combine(maps, Path.GetFileNameWithoutExtension(image) + ".npy"));
        Assert.Equal((96, 64), (rows, cols));
        Assert.Equal(1.0, map.Sum(v => Math.Exp(v)), 3); // log-softmax over all pixels

        // an image of another size than the run's is refused naming the file and both sizes
        var big = f.Path2("big.png");
        Thorax.Imaging.Codecs.Png.Write(big, new Thorax.Imaging.Image<byte>(128, 128));
        var (code, _, err) = CliRunner.Run("saliency", "predict", "--weights", run, big);
        Assert.NotEqual(0, code);
        Assert.Contains("big.png", err);
        Assert.Contains("64x64", err);
    }

    [Fact]
    public void LungsBuildDataset_MatchesItsSchema_AndCountsEveryFrontalImage()
    {
        using var tree = new SyntheticMimicTree(3);
        var model = SyntheticMimicTree.UntrainedModel(64, 4);
        try
        {
            var o = Json(Ok(CliRunner.Run("lungs", "build-dataset", "--model", model, "--mimic", tree.Root, "--out", f.Path2("cxlseg"),
                "--size", "64", "--workers", "1", "--progress-every", "0", "--json"), "lungs-build-dataset"));
            // one shard (the default 1/1): every labelled frontal image is selected, built and merged; nothing fails
            var frontal = tree.Frontal.Count;
            Assert.Equal(4, frontal); // three PA studies and one AP (SyntheticMimicTree(3))
            Assert.Equal((frontal, frontal, frontal, 0, 0, 0), (o.GetProperty("catalogued").GetInt32(), o.GetProperty("in_shard").GetInt32(),
                o.GetProperty("built").GetInt32(), o.GetProperty("failed").GetInt32(), o.GetProperty("already_done").GetInt32(), o.GetProperty("absent_source").GetInt32()));
            var merge = o.GetProperty("merge");
            Assert.Equal(JsonValueKind.Object, merge.ValueKind);
            Assert.Equal((frontal, frontal, 0), (merge.GetProperty("catalogued").GetInt32(), merge.GetProperty("written").GetInt32(), merge.GetProperty("missing").GetInt32()));
            Assert.Equal(frontal, merge.GetProperty("split_counts").EnumerateObject().Sum(p => p.Value.GetInt32()));
        }
        finally { Directory.Delete(model, true); }
    }

    /// <summary>Each demo on its smallest settings (a budget of seconds: the figures are meaningless, the shape is not).</summary>
    [Theory]
    [InlineData("ptx-demo", new[] { "ptx", "demo", "--minutes", "0.2", "--n", "40", "--size", "64" })]
    [InlineData("gdvig-demo", new[] { "gdvig", "demo", "--minutes", "0.2", "--studies", "30", "--size", "96", "--channels", "8,16,32,64" })]
    [InlineData("saliency-demo", new[] { "saliency", "demo", "--minutes", "0.2", "--n", "30", "--stride", "4" })]
    [InlineData("contextual-demo", new[] { "contextual", "demo", "--minutes", "0.2", "--studies", "30", "--size", "32", "--width", "2" })]
    public void Demos_MatchTheirSchemas(string schema, string[] args)
    {
        var o = Json(Ok(CliRunner.Run([.. args, "--out", f.Path2(schema), "--json"]), schema));
        Assert.Equal(1, o.GetProperty("version").GetInt32());
    }
}
