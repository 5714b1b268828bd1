using System.Text.Json.Nodes;
using Thorax.Metrics;
using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using Thorax.Pipelines.Classification;
using Thorax.Pipelines.Pneumothorax;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Tests.Pneumothorax;

/// <summary>The cascade over the encoder/decoder zoo: frozen halves, tiny trainings that reload from their run folder,
/// weight files by key name, and run folders written before the zoo. One collection with the other cascade trainings:
/// run beside them, a libtorch check failed once ("Expected false to be true") in a training that passes alone.</summary>
[Collection("ptx-training")]
public class PtxZooTests(ITestOutputHelper output)
{
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void FlipTta_IsTheMeanOfThePlainAndTheFlippedBackPrediction_AndCommutesWithAMirror()
    {
        TorchRuntime.EnsureLoaded();
        const int s = 64;
        var o = new PtxSegmenterOptions { Encoder = "resnet18", Weights = "none", Size = s, PyramidChannels = 32, SegmentationChannels = 32 };
        var (enc, arch) = ClassifierArchitecture.CreateEncoder("resnet18", "none", samePadding: true);
        using var net = PtxSegmenterModel.CreateNetwork(arch, o.DecoderSpec(), enc);
        var rng = new Random(3);
        var img = Enumerable.Range(0, s * s).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] Mirror(float[] a) => Enumerable.Range(0, s * s).Select(i => a[i / s * s + (s - 1 - i % s)]).ToArray();
        static double MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();
        var plain = PtxSegmenterModel.Predict(net, arch, [img, Mirror(img)], s, flipTta: false);
        var tta = PtxSegmenterModel.Predict(net, arch, [img, Mirror(img)], s, flipTta: true);
        // The network alone is not mirror-symmetric (else the checks below would say nothing).
        Assert.True(MaxDiff(plain[1], Mirror(plain[0])) > 1e-3, "untrained network happens to be mirror-symmetric");
        // TTA(x) = (p(x) + mirror(p(mirror(x)))) / 2, and so TTA(mirror(x)) = mirror(TTA(x)).
        var expected = plain[0].Zip(Mirror(plain[1]), (a, b) => (a + b) / 2).ToArray();
        Assert.True(MaxDiff(tta[0], expected) < 1e-5, $"TTA differs from the mean by {MaxDiff(tta[0], expected):G3}");
        Assert.True(MaxDiff(tta[1], Mirror(tta[0])) < 1e-5, $"TTA of the mirror differs from the mirrored TTA by {MaxDiff(tta[1], Mirror(tta[0])):G3}");
    }

    [Fact]
    public void FirstHalf_IsTheStemAndStagesUpToTheStride8Tap_ForEveryZooEncoder()
    {
        TorchRuntime.EnsureLoaded();
        foreach (var name in EncoderZoo.Names)
        {
            var spec = EncoderZoo.Spec(name);
            using var probe = EncoderZoo.Create(name, new EncoderOptions(3, 0, 0, SamePadding: true));
            var all = probe.named_parameters().Select(np => np.name).ToList();
            var half = EncoderStages.FirstHalf(probe);
            output.WriteLine($"{name}: first half {half.Count} of {all.Count} parameter tensors");
            Assert.Contains(spec.StemConvKey, half);
            Assert.True(half.Count < all.Count * 3 / 4, $"{name}: the first half must leave later stages trainable");
            // Stage order: the first half is a prefix of the parameters in registration order (stem first, no gaps).
            Assert.Equal(all.Take(half.Count), half);
        }
        using var r18 = ClassifierArchitecture.CreateEncoder("resnet18", "none", false).Encoder;
        var names = EncoderStages.FirstHalf(r18);
        Assert.All(names, n => Assert.Matches(@"^(conv1|bn1|layer1|layer2)\.", n));
        Assert.Equal(r18.named_parameters().Count(np => System.Text.RegularExpressions.Regex.IsMatch(np.name, @"^(conv1|bn1|layer1|layer2)\.")), names.Count);
    }

    [Fact]
    public void Classifier_Xception_FromAWeightFile_FrozenEncoder_ReloadsAndPredictsTheSame()
    {
        TorchRuntime.EnsureLoaded();
        var data = PtxPipelineTests.WriteFixture();
        var run = Directory.CreateTempSubdirectory("thorax-ptx-xcls-").FullName;
        var weights = Path.Combine(run, "..", Path.GetFileName(run) + "-xception.safetensors");
        try
        {
            // A "pretrained" Xception file with timm keys (random here) and its 1000-class fc, which is left out on load.
            torch.manual_seed(5);
            using (var src = EncoderZoo.Create("xception", new EncoderOptions(3, 1000)))
                SafeTensors.Save(weights, src.state_dict());
            var ds = PtxData.Load(data);
            var o = new ClassifierOptions
            {
                Encoder = "legacy_xception", Weights = weights, Size = 64, Epochs = 1, BatchSize = 4, FreezeEpochs = 1, Selection = "mcc", Deterministic = true,
            };
            var res = new ClassifierTrainer(o).Train(ds, run);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
            Assert.Equal("xception", config["encoder"]!.GetValue<string>());
            Assert.Equal(0.5, config["input_mean"]![0]!.GetValue<double>(), 6);

            // The encoder was frozen for the only epoch (parameters and BatchNorm statistics): it is the file's, key by key.
            var file = SafeTensors.Load(weights);
            var trained = SafeTensors.Load(Path.Combine(run, "model.safetensors"));
            try
            {
                var enc = trained.Where(kv => kv.Key.StartsWith("encoder.", StringComparison.Ordinal)).ToList();
                Assert.Equal(file.Keys.Count(k => !k.StartsWith("fc.", StringComparison.Ordinal)), enc.Count);
                foreach (var (k, t) in enc) Assert.True(Same(t, file[k["encoder.".Length..]]), $"{k} changed while frozen");
                Assert.Contains("head.weight", trained.Keys);
            }
            finally
            {
                file.DisposeAll();
                trained.DisposeAll();
            }

            // Rebuilt from the run folder alone: the same probabilities as the trainer's own test predictions (one
            // intra-op thread as the trainer had, so the sums are made in the same order).
            using var threads = Thorax.Training.Loop.DeterministicThreads.Enter(true);
            using var model = ClassifierModel.Load(run);
            Assert.Equal("xception", model.Architecture.Encoder);
            var test = ds.Split("test");
            var images = ClassifierTrainer.LoadImages(ds, test, 64);
            var p = model.Predict(test.Select(s => images[s.Id]).ToList());
            for (var i = 0; i < test.Count; i++) Assert.Equal(res.Predictions[i].Probability, p[i], 9);
        }
        finally
        {
            Directory.Delete(data, true);
            Directory.Delete(run, true);
            File.Delete(weights);
        }
    }

    [Fact]
    public void Segmenter_EfficientNetFpn_FirstHalfFrozen_ThenTrained_ReloadsAndScoresTheSame()
    {
        TorchRuntime.EnsureLoaded();
        var data = PtxPipelineTests.WriteFixture();
        var run = Directory.CreateTempSubdirectory("thorax-ptx-effseg-").FullName;
        var weights = Path.Combine(run, "..", Path.GetFileName(run) + "-b0.safetensors");
        try
        {
            torch.manual_seed(9);
            Dictionary<string, Tensor> start;
            using (var src = EncoderZoo.Create("efficientnet_b0", new EncoderOptions(3, 1000)))
            {
                // a DataParallel prefix and a 1000-class classifier: both accepted on load
                SafeTensors.Save(weights, src.state_dict().Select(kv => KeyValuePair.Create("module." + kv.Key, kv.Value)));
                start = src.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            }
            var ds = PtxData.Load(data);
            var o = new PtxSegmenterOptions
            {
                Encoder = "efficientnet-b0", Decoder = "fpn", Weights = weights, Size = 64, Epochs = 2, BatchSize = 2, FreezeEpochs = 1,
                PyramidChannels = 32, SegmentationChannels = 32, SwaWindow = 1, Augment = 0, KeepEpochWeights = true, Deterministic = true,
            };
            var res = new PtxSegmenterTrainer(o).Train(ds, run);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
            Assert.Equal("efficientnet_b0", config["encoder"]!.GetValue<string>());
            Assert.Equal("fpn", config["decoder"]!.GetValue<string>());
            Assert.True(config["same_padding"]!.GetValue<bool>());

            // Epoch 1 (frozen first half): the first half is the file's; the second half moved. Epoch 2: the first half moved too.
            IReadOnlyList<string> half;
            using (var probe = EncoderZoo.Create("efficientnet_b0", new EncoderOptions(3, 0, 0, true))) half = EncoderStages.FirstHalf(probe);
            var e1 = SafeTensors.Load(Path.Combine(run, "epochs", "epoch-0001.safetensors"));
            var e2 = SafeTensors.Load(Path.Combine(run, "epochs", "epoch-0002.safetensors"));
            try
            {
                foreach (var k in half) Assert.True(Same(e1["encoder." + k], start[k]), $"{k} changed in the frozen epoch");
                var second = start.Keys.Where(k => !half.Contains(k) && !k.StartsWith("classifier.", StringComparison.Ordinal) && e1.ContainsKey("encoder." + k)
                                                   && start[k].is_floating_point() && !k.Contains("running_", StringComparison.Ordinal)).ToList();
                Assert.Contains(second, k => !Same(e1["encoder." + k], start[k]));
                Assert.Contains(half, k => !Same(e2["encoder." + k], start[k]));
            }
            finally
            {
                e1.DisposeAll();
                e2.DisposeAll();
                foreach (var t in start.Values) t.Dispose();
            }

            // Rebuilt from the run folder alone, the best weights and the windowed SWA score as the trainer measured them
            // (one intra-op thread as the trainer had: an untrained network's probabilities sit near the 0.5 threshold).
            using var threads = Thorax.Training.Loop.DeterministicThreads.Enter(true);
            var val = ds.Split("validation");
            var images = ClassifierTrainer.LoadImages(ds, val, 64);
            var masks = PtxData.LoadMasks(ds, val, 64);
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
            foreach (var (variant, expected) in new[] { ("best", metrics["best_val_dice"]), ("window", metrics["swa_window"]!["val_dice"]) })
            {
                using var model = PtxSegmenterModel.Load(run, variant);
                Assert.Equal("fpn", model.Decoder.Name);
                var probs = model.Predict(val.Select(s => images[s.Id]).ToList(), flipTta: false);
                var dice = val.Select((s, i) => SegmentationMetrics.Dice(probs[i].Select(v => v > 0.5f ? (byte)1 : (byte)0).ToArray(), masks[s.Id])).Average();
                Assert.Equal(expected!.GetValue<double>(), dice, 6);
            }
            Assert.InRange(res.Window.ValDice, 0, 1);
        }
        finally
        {
            Directory.Delete(data, true);
            Directory.Delete(run, true);
            File.Delete(weights);
        }
    }

    /// <summary>The classifier's Inception-ResNet-v2 is unpadded, as timm's: 64 px shrinks to nothing before mixed_7a
    /// (64 -> 31 -> 29 -> 14 -> 12 -> 5 -> 2 -> 0), 75 px is the smallest that reaches 1x1; the trainer says so before loading images.</summary>
    [Fact]
    public void TooSmallAnInput_ForTheUnpaddedInceptionResNetV2_IsAClearError()
    {
        TorchRuntime.EnsureLoaded();
        var (net, arch) = ClassifierArchitecture.Create("inception_resnet_v2", "none");
        using (net)
        {
            var ex = Assert.Throws<ArgumentException>(() => ClassifierTrainer.ProbeInputSize(net, arch, 64));
            Assert.Contains("inception_resnet_v2", ex.Message);
            Assert.Contains("64 px", ex.Message);
            ClassifierTrainer.ProbeInputSize(net, arch, 75);
            Assert.True(net.training);
        }
    }

    [Fact]
    public void ElasticAt_IsTheFirstPlaceSettingAt1024_ScaledToTheTrainingSize()
    {
        var e = PtxSegmenterTrainer.ElasticAt(1024);
        Assert.Equal((120.0, 6.0, 3.6), (e.Alpha, e.Sigma, e.AlphaAffine));
        var q = PtxSegmenterTrainer.ElasticAt(256);
        Assert.Equal((7.5, 1.5, 0.9), (q.Alpha, q.Sigma, q.AlphaAffine));
        // The same fraction of the image: the field's amplitude (alpha / sigma) in image widths does not change.
        Assert.Equal(e.Alpha / e.Sigma / 1024, q.Alpha / q.Sigma / 256, 12);
    }

    [Theory]
    [InlineData("unet", "resnet34", null)]
    [InlineData("scse", "seresnext50_32x4d", "32,32,16,16,16")]
    [InlineData("albunet", "resnet34", "8")]
    [InlineData("fpn", "inception_resnet_v2", null)]
    public void Decoders_RoundTripThroughTheRunConfig(string decoder, string encoder, string? widths)
    {
        TorchRuntime.EnsureLoaded();
        var o = new PtxSegmenterOptions
        {
            Encoder = encoder, Decoder = decoder, Weights = "none", Size = 64, PyramidChannels = 32, SegmentationChannels = 32,
            DecoderChannels = widths?.Split(',').Select(int.Parse).ToArray(),
        };
        o.Validate();
        var spec = o.DecoderSpec();
        var (enc, arch) = ClassifierArchitecture.CreateEncoder(encoder, "none", samePadding: true);
        using var net = PtxSegmenterModel.CreateNetwork(arch, spec, enc);
        var config = arch.ToJson();
        PtxSegmenterModel.DecoderToJson(spec, config);
        var arch2 = ClassifierArchitecture.FromJson(JsonNode.Parse(config.ToJsonString())!.AsObject(), "config.json");
        var spec2 = PtxSegmenterModel.DecoderFromJson(JsonNode.Parse(config.ToJsonString())!.AsObject(), "config.json");
        Assert.Equal(spec.Name, spec2.Name);
        Assert.Equal(spec.Channels, spec2.Channels);
        using var net2 = PtxSegmenterModel.CreateNetwork(arch2, spec2);
        var r = StateDicts.Load(net2, net.state_dict(), strict: true, source: "round trip");
        Assert.True(r.IsComplete);
        net.eval();
        net2.eval();
        using var x = torch.rand(1, 1, 64, 64);
        using var a = net.call(arch.Normalize(x));
        using var b = net2.call(arch2.Normalize(x));
        Assert.Equal([1L, 1, 64, 64], a.shape);
        Assert.True(a.allclose(b, 1e-5, 1e-6));
        var firstHalf = PtxSegmenterTrainer.FirstHalfOfEncoder(net, arch);
        Assert.NotEmpty(firstHalf);
    }

    [Fact]
    public void WeightFiles_OfAnotherArchitecture_NameTheKeys_AndImagenetIsResNet18Only()
    {
        TorchRuntime.EnsureLoaded();
        var dir = Directory.CreateTempSubdirectory("thorax-ptx-wrong-").FullName;
        try
        {
            var path = Path.Combine(dir, "resnet34.safetensors");
            using (var r34 = EncoderZoo.Create("resnet34")) SafeTensors.Save(path, r34.state_dict());
            var ex = Assert.Throws<StateDictException>(() => ClassifierArchitecture.CreateEncoder("efficientnet_b0", path, false));
            Assert.Contains("missing keys", ex.Message);
            Assert.Contains("unexpected keys", ex.Message);
            Assert.Contains("layer1.0.conv1.weight", ex.Message);
            Assert.Contains(path, ex.Message);
            // resnet34 weights into resnet18: the layers resnet34 has beyond resnet18 are named
            var ex2 = Assert.Throws<StateDictException>(() => ClassifierArchitecture.CreateEncoder("resnet18", path, false));
            Assert.Contains("layer1.2.conv1.weight", ex2.Message);
            var ex3 = Assert.Throws<ArgumentException>(() => new ClassifierTrainer(new ClassifierOptions { Encoder = "xception", Weights = "imagenet" }));
            Assert.Contains("resnet18 only", ex3.Message);
            Assert.Throws<ArgumentException>(() => new PtxSegmenterTrainer(new PtxSegmenterOptions { Encoder = "xception", Decoder = "albunet", Weights = "none" }));
            Assert.Contains("valid", Assert.Throws<ArgumentException>(() => new PtxSegmenterOptions { Decoder = "deeplab" }.Validate()).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>config.json of a segmenter run written before the zoo (no same_padding, decoder_channels), and the same
    /// without even the encoder/decoder fields: both load as FPN over ResNet-18.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OldRunFolders_LoadAsResNet18(bool withEncoderFields)
    {
        TorchRuntime.EnsureLoaded();
        var run = Directory.CreateTempSubdirectory("thorax-ptx-old-").FullName;
        try
        {
            var encoderFields = withEncoderFields ? "\"encoder\": \"resnet18\",\n  " : "";
            var decoderField = withEncoderFields ? "\"decoder\": \"fpn\",\n  " : "";
            File.WriteAllText(Path.Combine(run, "config.json"), $$"""
                {
                  {{encoderFields}}"weights": "none",
                  "encoder_layers": [2, 2, 2, 2],
                  "encoder_padding": "torchvision",
                  "bn_eps": 1e-05,
                  "input_mean": [0.485, 0.456, 0.406],
                  "input_std": [0.229, 0.224, 0.225],
                  "method": "ptx-segmenter",
                  {{decoderField}}"pyramid_channels": 32,
                  "segmentation_channels": 32,
                  "size": 64,
                  "default_weights": "window"
                }
                """);
            torch.manual_seed(3);
            using (var fpn = new Thorax.Models.Segmentation.Fpn(ResNet.ResNet18(), 1, 32, 32))
                SafeTensors.Save(Path.Combine(run, "swa-window.safetensors"), fpn.state_dict());
            using (var seg = PtxSegmenterModel.Load(run))
            {
                Assert.Equal("resnet18", seg.Architecture.Encoder);
                Assert.Equal(new PtxDecoder("fpn", [32, 32]).Channels, seg.Decoder.Channels);
                Assert.IsType<Thorax.Models.Segmentation.Fpn>(seg.Network);
                Assert.Equal(64 * 64, seg.Predict([new float[64 * 64]])[0].Length);
            }

            var cls = Directory.CreateDirectory(Path.Combine(run, "cls")).FullName;
            File.WriteAllText(Path.Combine(cls, "config.json"), $$"""
                { {{encoderFields}}"weights": "none", "encoder_layers": [2, 2, 2, 2], "encoder_padding": "torchvision", "bn_eps": 1e-05,
                  "input_mean": [0.485, 0.456, 0.406], "input_std": [0.229, 0.224, 0.225], "method": "image-classifier", "label": "pneumothorax", "size": 64 }
                """);
            using (var net = new ImageClassifier(ResNet.ResNet18()))
                SafeTensors.Save(Path.Combine(cls, "model.safetensors"), net.state_dict());
            using var model = ClassifierModel.Load(cls);
            Assert.Equal("resnet18", model.Architecture.Encoder);
            Assert.Single(model.Predict([new float[64 * 64]]));
        }
        finally
        {
            Directory.Delete(run, true);
        }
    }
}

[Collection("ptx-training")]
public class PtxRealImagesTests
{
    [SkippableFact]
    public void RealImages_SiimScoredAgainstTheirMasks_NihByItsLabelOnly()
    {
        var siim = PtxPipelineTests.SharedSiim();
        Skip.If(siim is null, "real data ../shared/data (siim/, nih/) not found next to the repository; test skipped");
        var root = Path.GetDirectoryName(siim)!;
        Skip.IfNot(Thorax.Data.Datasets.RealPneumothoraxSet.IsPresent(root), $"{root} lacks a file of the real-ptx set; test skipped");
        TorchRuntime.EnsureLoaded();
        var run = Directory.CreateTempSubdirectory("thorax-ptx-real-").FullName;
        try
        {
            // A segmenter run folder with fresh weights (what is checked here is the scoring, not the network).
            var (enc, arch) = ClassifierArchitecture.CreateEncoder("resnet18", "none", true);
            var decoder = PtxDecoder.Of("fpn", [32, 32]);
            torch.manual_seed(1);
            using (var net = PtxSegmenterModel.CreateNetwork(arch, decoder, enc))
                SafeTensors.Save(Path.Combine(run, "swa-window.safetensors"), net.state_dict());
            var config = arch.ToJson();
            config["method"] = "ptx-segmenter";
            config["size"] = 64;
            PtxSegmenterModel.DecoderToJson(decoder, config);
            File.WriteAllText(Path.Combine(run, "config.json"), config.ToJsonString());

            var set = Thorax.Data.Datasets.RealPneumothoraxSet.Load(root);
            using var cascade = PtxCascade.Open(null, run);
            var results = PtxRealImages.Run(cascade, set, new PtxPostprocessOptions { MinAreaAt1024 = 0 });
            Assert.Equal(["siim", "siim", "siim", "nih"], results.Select(r => r.Source));
            Assert.Equal([10_133, 69_274, 0], results.Take(3).Select(r => r.TruthPixels!.Value));
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(1024 * 1024, results[i].Prediction.Mask.Length);
                Assert.Equal(SegmentationMetrics.Dice(results[i].Prediction.Mask, set.Items[i].Mask!.Data), results[i].Dice!.Value, 12);
                Assert.StartsWith("RLE union mask", results[i].Reference);
            }
            var nih = results[3];
            Assert.Equal("00000013_005", nih.Id);
            Assert.Equal(1, nih.Label);
            Assert.Null(nih.Dice);
            Assert.Null(nih.TruthPixels);
            Assert.StartsWith("label only", nih.Reference);
            Assert.Equal(set.Items[3].Image.Width * set.Items[3].Image.Height, nih.Prediction.Mask.Length);
        }
        finally
        {
            Directory.Delete(run, true);
        }
    }
}
