using System.Text;
using System.Text.Json.Nodes;
using Thorax.Data;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Contextual;
using Thorax.Text;

namespace Thorax.Pipelines.Tests.Contextual;

/// <summary>
/// ConTEXTual Net's pipeline on a tiny CANDID-PTX-layout folder (32 px PNGs with a bright square on the side the report
/// names, absolute RLE labels, one negative row) with the tiny T5 encoder of tests/data/golden/text.
/// </summary>
public class ContextualPipelineTests
{
    private static string TextGolden(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "golden", "text");
            if (Directory.Exists(p)) return Path.Combine(p, name);
        }
        throw new DirectoryNotFoundException("tests/data/golden/text not found");
    }

    private static TextEncoder TinyT5(int maxTokens = 512)
    {
        var dir = Directory.CreateTempSubdirectory("thorax-ctx-t5-");
        foreach (var f in new[] { "config.json", "model.safetensors" })
            File.Copy(TextGolden("t5_relu/" + f), Path.Combine(dir.FullName, f));
        File.Copy(TextGolden("spm_tiny.model"), Path.Combine(dir.FullName, "spiece.model"));
        try { return TextEncoders.Load(dir.FullName, maxTokens); }
        finally { dir.Delete(true); }
    }

    /// <summary>Writes image_name_text_label.csv + images: study i has its square on the left or right image half.</summary>
    private static string WriteFolder(int n = 24, Func<int, string>? label = null)
    {
        var dir = Directory.CreateTempSubdirectory("thorax-ctx-data-").FullName;
        var csv = new StringBuilder("image_id,text,label\n");
        var rng = new Random(5);
        for (var i = 0; i < n; i++)
        {
            var right = i % 2 == 0; // patient's right = image left
            var img = new Image<byte>(32, 32);
            var mask = new byte[32 * 32];
            int x0 = right ? 4 : 18, y0 = 6 + i % 5;
            for (var y = 0; y < 32; y++)
                for (var x = 0; x < 32; x++)
                {
                    var inside = x >= x0 && x < x0 + 9 && y >= y0 && y < y0 + 9;
                    img[x, y] = (byte)(70 + rng.Next(30) + (inside ? 110 : 0));
                    if (inside) mask[y * 32 + x] = 1;
                }
            Png.Write(Path.Combine(dir, $"img{i:D2}.png"), img);
            var rle = new StringBuilder();
            for (var k = 0; k < mask.Length; k++)
                if (mask[k] == 1 && (k == 0 || mask[k - 1] == 0))
                {
                    var len = 0;
                    while (k + len < mask.Length && mask[k + len] == 1) len++;
                    rle.Append(rle.Length > 0 ? " " : "").Append(k + 1).Append(' ').Append(len);
                }
            var side = right ? "right" : "left";
            csv.Append($"img{i:D2}.png,\"FINDINGS: There is a small {side} apical pneumothorax. Heart size is normal.\",{label?.Invoke(i) ?? rle.ToString()}\n");
        }
        csv.Append("neg.png,\"No pneumothorax.\",-1\n");
        Png.Write(Path.Combine(dir, "neg.png"), new Image<byte>(32, 32));
        File.WriteAllText(Path.Combine(dir, "image_name_text_label.csv"), csv.ToString());
        return dir;
    }

    [Fact]
    public void Dice_IsTheReferencesSmoothedPerImageDice()
    {
        float[] logits = [1, 1, -1, -1];
        Assert.Equal((2.0 * 1 + 1) / (2 + 2 + 1), ContextualDice.Of(logits, [1, 0, 1, 0]), 12);
        Assert.Equal(1.0, ContextualDice.Of([-1f, -2f], [0, 0]));
        Assert.Equal(1.0 / (2 + 1), ContextualDice.Of([-1f, -2f], [1, 1]), 12);
        Assert.Equal(1.0 / 3, ContextualDice.Of([0.5f, 0.5f], [0, 0]), 12); // predicted but empty truth: 1/(2+0+1)
        var e = Assert.Throws<ArgumentException>(() => ContextualDice.Of([1f, 1f], [1, 1, 1]));
        Assert.Contains("another size", e.Message);
    }

    [Fact]
    public void Data_PositivesOnly_FoldsDisjointAndSeeded()
    {
        var dir = WriteFolder();
        try
        {
            var data = ContextualData.Load(dir, 32);
            Assert.Equal(24, data.Studies.Count);
            Assert.Equal(1, data.NegativesSkipped);
            var s = data.Split(98);
            Assert.Equal(24, s.Train.Count + s.Validation.Count + s.Test.Count);
            Assert.Equal(19, s.Train.Count); // round(0.8 * 24)
            Assert.Empty(s.Train.Select(x => x.Id).Intersect(s.Test.Select(x => x.Id)));
            Assert.Empty(s.Validation.Select(x => x.Id).Intersect(s.Test.Select(x => x.Id)));
            Assert.Equal(s.Test.Select(x => x.Id), data.Split(98).Test.Select(x => x.Id));
            Assert.NotEqual(s.Test.Select(x => x.Id), data.Split(117).Test.Select(x => x.Id));
            Assert.Equal(81, data.Studies[0].Mask.Sum(b => b)); // the 9x9 square decoded from the absolute RLE
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Data_RleBeyondTheImage_NamesFileLineAndColumn()
    {
        var dir = WriteFolder(4, i => i == 2 ? "1000 100" : "1 4");
        try
        {
            var e = Assert.ThrowsAny<DataFormatException>(() => ContextualData.Load(dir, 32));
            Assert.Contains("image_name_text_label.csv", e.Message);
            Assert.Contains("label", e.Message);
        }
        finally { Directory.Delete(dir, true); }
        var missing = Assert.Throws<DataFormatException>(() => ContextualData.Locate("/nonexistent-thorax-dir"));
        Assert.Contains("image_name_text_label.csv", missing.Message);
    }

    [Fact]
    public void Train_WritesRun_EncodesEachReportOnce_Resumes_AndPredictsWithAttention()
    {
        var dir = WriteFolder();
        var run = Path.Combine(dir, "run");
        try
        {
            var data = ContextualData.Load(dir, 32);
            var split = data.Split(98);
            var o = new ContextualOptions { Size = 32, BaseWidth = 2, BatchSize = 4, Epochs = 2, LearningRate = 1e-3, Flip = ContextualFlip.SwapSides };
            using (var text = new ContextualText(TinyT5()))
            {
                var r = new ContextualTrainer(o).Train(split, text, run);
                Assert.Equal(2, r.Fit.History.Count);
                Assert.InRange(r.Test.Dice, 0, 1);
                Assert.NotNull(r.Test.EmptyReportDice);
                Assert.NotNull(r.Test.SwappedSideDice);
                // two distinct reports, their side-swapped forms (the same two) and the empty report: 3 encodings, whatever the epochs
                Assert.Equal(3, text.Encoded);
                var again = new ContextualTrainer(o with { Epochs = 3 }).Train(split, text, run); // resumes from epoch 2
                Assert.Equal(3, again.Fit.History.Count);
                Assert.Equal(2, again.Fit.ResumedAfterEpoch);
                Assert.Equal(3, text.Encoded);
            }
            foreach (var f in new[] { "model.safetensors", "config.json", "history.csv", "metrics.json" }) Assert.True(File.Exists(Path.Combine(run, f)), f);
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
            Assert.Equal(1, metrics["version"]!.GetValue<int>());
            using (var ck = new Thorax.Training.CheckpointDirectory(Path.Combine(run, "checkpoints")).LoadLatest()!)
                Assert.Equal("later", ck.User["selection_ties"]!.GetValue<string>()); // the reference's `>=`

            // Predict needs the run's encoder: the default MiniLM has another width and is refused by name.
            var configPath = Path.Combine(run, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            var encoderDir = Directory.CreateTempSubdirectory("thorax-ctx-enc-").FullName;
            foreach (var f in new[] { "config.json", "model.safetensors" }) File.Copy(TextGolden("t5_relu/" + f), Path.Combine(encoderDir, f));
            File.Copy(TextGolden("spm_tiny.model"), Path.Combine(encoderDir, "spiece.model"));
            using (var model = ContextualModel.Load(run, encoderDir))
            {
                var s = split.Test[0];
                var (logits, attention) = model.Predict(s.Image, s.Report);
                Assert.Equal(32 * 32, logits.Length);
                Assert.NotNull(attention);
                Assert.Equal(4, attention!.Levels.Count);
                Assert.All(attention.Levels, l => Assert.Equal(attention.Tokens.Count, l.Length));
            }
            config["text_dim"] = 999;
            File.WriteAllText(configPath, config.ToJsonString());
            var e = Assert.Throws<DataFormatException>(() => ContextualModel.Load(run, encoderDir));
            Assert.Contains("width 999", e.Message);
            Directory.Delete(encoderDir, true);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void UNetBaseline_KeepsTheLaterEpochOnATie_AsTheReferencesGreaterOrEqual()
    {
        var dir = WriteFolder(12);
        try
        {
            var split = ContextualData.Load(dir, 32).Split(98);
            var o = new ContextualOptions { Size = 32, BaseWidth = 2, BatchSize = 4, Epochs = 1, Language = false };
            var r = new ContextualTrainer(o).Train(split, null, Path.Combine(dir, "run"));
            Assert.Equal(1, r.Fit.BestEpoch);
            using var ck = new Thorax.Training.CheckpointDirectory(Path.Combine(dir, "run", "checkpoints")).LoadLatest()!;
            Assert.Equal("later", ck.User["selection_ties"]!.GetValue<string>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Options_BaselineWithTextSettings_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new ContextualOptions { Language = false, EmptyReports = true }.Validate());
        Assert.Contains("U-Net", e.Message);
        Assert.Throws<ArgumentException>(() => new ContextualOptions { BatchSize = 1 }.Validate());
    }

    [Fact]
    public void MeanSd_IsTheSampleStandardDeviationOverFolds()
    {
        var (m, sd) = ContextualDice.MeanSd([0.7, 0.72, 0.74]);
        Assert.Equal(0.72, m, 12);
        Assert.Equal(0.02, sd, 12); // sqrt((0.02^2 + 0 + 0.02^2) / 2)
        Assert.Equal((0.5, 0.0), ContextualDice.MeanSd([0.5]));
        Assert.True(double.IsNaN(ContextualDice.MeanSd([]).Mean));
    }

    [Fact]
    public void Ablate_TwoFolds_TableIsTheFoldsMeanAndSd_ReportHasOverlaysAndEachLevelsAttention_Resumes()
    {
        var dir = WriteFolder();
        var outDir = Path.Combine(dir, "ablate");
        try
        {
            var data = ContextualData.Load(dir, 32);
            var o = new ContextualOptions { Size = 32, BaseWidth = 2, BatchSize = 4, Epochs = 1, LearningRate = 1e-3 };
            string[] keys = ["unet", "contextual"];
            // a non-default encoder (the tiny T5, width 64): the report must use it, not the default MiniLM (width 384)
            var rows = ContextualAblation.Run(data, () => new ContextualText(TinyT5()), o, keys, 2, outDir);
            Assert.Equal(keys, rows.Select(r => r.Variant.Key));
            var table = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "table.json")))!;
            Assert.Equal(1, table["version"]!.GetValue<int>());
            foreach (var key in keys)
            {
                var perFold = new[] { 98, 117 }.Select(seed =>
                    JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, key, $"seed-{seed}", "metrics.json")))!["test_dice"]!.GetValue<double>()).ToArray();
                var row = table["rows"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == key)!;
                Assert.Equal(perFold, row["test_dice"]!.AsArray().Select(v => v!.GetValue<double>()));
                Assert.Equal(perFold.Average(), row["test_dice_mean"]!.GetValue<double>(), 9);
                Assert.Equal(Math.Abs(perFold[0] - perFold[1]) / Math.Sqrt(2), row["test_dice_sd"]!.GetValue<double>(), 9); // sample SD of two
                Assert.Equal(key == "contextual", row["test_dice_empty_report_mean"] is not null);
            }
            var md = File.ReadAllText(Path.Combine(outDir, "table.md"));
            Assert.Contains("| U-Net | 2 | ", md);
            Assert.Contains("| ConTEXTual Net | 2 | ", md);
            Assert.Contains(" ± ", md);
            Assert.Contains("0.716 ± 0.016", md); // the paper's column
            var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
            var shown = Math.Min(4, data.Split(98).Test.Count);
            Assert.Equal(2 * shown + 1, html.Split("data:image/png;base64,").Length - 1); // U-Net and ConTEXTual overlays + the side-swapped one
            for (var l = 1; l <= 4; l++) Assert.Contains($"<th>level {l}</th>", html);
            Assert.Contains("sides swapped", html);
            Assert.Contains("pneumothorax", html); // a report's tokens are shown (the tiny T5 keeps the word whole or in pieces)

            // rerun: finished folds are reused, not retrained
            var stamp = File.GetLastWriteTimeUtc(Path.Combine(outDir, "contextual", "seed-98", "model.safetensors"));
            var again = ContextualAblation.Run(data, () => new ContextualText(TinyT5()), o, keys, 2, outDir);
            Assert.Equal(rows[1].Dice, again[1].Dice);
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(outDir, "contextual", "seed-98", "model.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Text_WarnsOnceForATruncatedReport_AndForAReportInAnotherScript()
    {
        using var text = new ContextualText(TinyT5(maxTokens: 8));
        var truncated = new List<string>();
        var foreign = new List<string>();
        text.Truncated += truncated.Add;
        text.ForeignText += foreign.Add;
        const string longReport = "There is a small right apical pneumothorax. The heart size is normal. No effusion.";
        const string russian = "Пневмоторакс справа.";
        text.Precompute([longReport, "No pneumothorax.", russian]);
        text.Precompute([longReport, russian]); // once per distinct report
        var t = Assert.Single(truncated);
        Assert.Contains("truncated to the encoder's 8", t);
        var f = Assert.Single(foreign);
        Assert.Contains("unknown to the encoder", f);
        Assert.Contains("справа", f);
    }

    [Fact]
    public void EncoderDropout_EncodesTrainingBatchesEveryStep_WithDropout_AndOnlyForT5()
    {
        using var text = new ContextualText(TinyT5());
        string[] reports = ["Small left apical pneumothorax.", "Large right pneumothorax."];
        var (h1, _) = text.Batch(reports, cache: false);
        var (h2, _) = text.Batch(reports, cache: false);
        var (d1, _) = text.Batch(reports, cache: false, encoderDropout: true);
        var (d2, _) = text.Batch(reports, cache: false, encoderDropout: true);
        Assert.True(h1.equal(h2).all().item<bool>());                   // eval mode: deterministic
        Assert.True((d1 - h1).abs().max().item<float>() > 1e-3f);     // dropout on
        Assert.False(d1.equal(d2).all().item<bool>());
        var (h3, _) = text.Batch(reports, cache: false);               // and off again afterwards
        Assert.True(h3.equal(h1).all().item<bool>());
        Assert.Throws<ArgumentException>(() => text.Batch(reports, cache: true, encoderDropout: true));

        var dir = WriteFolder(12);
        try
        {
            var split = ContextualData.Load(dir, 32).Split(98);
            var o = new ContextualOptions { Size = 32, BaseWidth = 2, BatchSize = 4, Epochs = 1, LearningRate = 1e-3, EncoderDropout = true };
            var before = text.Encoded;
            new ContextualTrainer(o).Train(split, text, Path.Combine(dir, "run"));
            // 2 distinct reports + side-swapped + empty precomputed (3), then every training step encodes its batch again
            var steps = split.Train.Count / 4;
            Assert.Equal(before + 3 + steps * 4, text.Encoded);

            var roberta = TextEncoders.Load(TextGolden("roberta_tiny"), maxLength: 32);
            using var rt = new ContextualText(roberta);
            var e = Assert.Throws<ArgumentException>(() => new ContextualTrainer(o).Train(split, rt, Path.Combine(dir, "run2")));
            Assert.Contains("not a T5", e.Message);
        }
        finally { Directory.Delete(dir, true); }
        Assert.Throws<ArgumentException>(() => new ContextualOptions { Language = false, EncoderDropout = true }.Validate());
        Assert.Throws<ArgumentException>(() => new ContextualOptions { SynonymLastReplacementOnly = true }.Validate());
    }

    /// <summary>Issue 12: <c>--device</c>. Training with the CPU named explicitly is bit-identical to the default (the text
    /// encoder moved to the CPU too), the fingerprint ignores the device, and a run loaded onto the CPU has its network and
    /// encoder parameters there and predicts as the default.</summary>
    [Fact]
    public void Device_CpuNamedExplicitly_IsTheDefaultRun_AndLoadPutsTheParametersOnIt()
    {
        var dir = WriteFolder();
        try
        {
            var split = ContextualData.Load(dir, 32).Split(98);
            var o = new ContextualOptions { Size = 32, BaseWidth = 2, BatchSize = 4, Epochs = 1, LearningRate = 1e-3, Deterministic = true };
            Assert.Equal("cpu", o.Device);
            Assert.Equal(o.Fingerprint(), (o with { Device = "cuda" }).Fingerprint());
            var a = Path.Combine(dir, "dev-default");
            var b = Path.Combine(dir, "dev-cpu");
            ContextualRunResult ra, rb;
            using (var text = new ContextualText(TinyT5())) ra = new ContextualTrainer(o).Train(split, text, a);
            using (var text = new ContextualText(TinyT5(), TorchSharp.torch.CPU)) rb = new ContextualTrainer(o with { Device = "Cpu" }).Train(split, text, b);
            Assert.Equal(ra.Test.PerImage, rb.Test.PerImage);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));

            var encoderDir = Directory.CreateTempSubdirectory("thorax-ctx-enc-").FullName;
            foreach (var f in new[] { "config.json", "model.safetensors" }) File.Copy(TextGolden("t5_relu/" + f), Path.Combine(encoderDir, f));
            File.Copy(TextGolden("spm_tiny.model"), Path.Combine(encoderDir, "spiece.model"));
            using var plain = ContextualModel.Load(a, encoderDir);
            using var onCpu = ContextualModel.Load(a, encoderDir, TorchSharp.torch.CPU);
            Assert.All(onCpu.Net.parameters().Concat(onCpu.Text!.Encoder.Module.parameters()), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
            var s = split.Test[0];
            Assert.Equal(plain.Predict(s.Image, s.Report).Logits, onCpu.Predict(s.Image, s.Report).Logits);
            Directory.Delete(encoderDir, true);
        }
        finally { Directory.Delete(dir, true); }
    }
}
