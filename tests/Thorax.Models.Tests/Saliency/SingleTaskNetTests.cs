using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Saliency;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Saliency;

public class SingleTaskNetTests
{
    private static DenseNet TinyDense() => new("densenet", 4, [1, 1, 1, 1], 8, 2, 0, 3, 3);

    [Fact]
    public void Classifier_HasTheDualEncodersDenseNetKeysAndNoSaliencyOutput()
    {
        torch.manual_seed(1);
        using var cls = new DenseNetClassifierNet(TinyDense());
        using var dual = new GazeMtlUNet([16, 32, 64, 128, 256], 3, TinyDense());
        var clsKeys = cls.state_dict().Keys.ToHashSet();
        var dualDense = dual.state_dict().Keys.Where(k => k.StartsWith("model.", StringComparison.Ordinal)).ToHashSet();
        Assert.Contains("model.features.denseblock4.denselayer1.norm1.weight", clsKeys);
        Assert.Contains("model.classifier.weight", clsKeys);
        Assert.True(clsKeys.SetEquals(dualDense), "the classifier's keys are exactly the dual network's model.* keys");
        cls.eval();
        using var x = torch.rand(2, 1, 64, 32);
        var (logits, sal) = cls.call(x);
        Assert.Equal(new long[] { 2, 3 }, logits.shape);
        Assert.Equal(new long[] { 2, 0, 64, 32 }, sal.shape);
        // Same logits as the DenseNet on the repeated input.
        using var direct = cls.DenseNet.call(x.repeat(1, 3, 1, 1));
        Assert.True(allclose(direct, logits, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void SaliencyUNet_KeysShapesAndBlocks()
    {
        torch.manual_seed(2);
        using var res = new SaliencyUNet([16, 32, 64, 128, 256], residualSE: true);
        var keys = res.state_dict().Keys.ToList();
        Assert.Contains("Conv1.0.conv_shortcut.weight", keys);   // Res-SE encoder
        Assert.Contains("Conv5.1.fc.0.weight", keys);
        Assert.Contains("Up_conv2.0.weight", keys);              // plain decoder
        Assert.Contains("out_conv_image.conv_last.weight", keys);
        Assert.Contains("dummy_tensor", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("out_classification", StringComparison.Ordinal) || k == "lg_sigma_class" || k.StartsWith("model.", StringComparison.Ordinal));
        using var plain = new SaliencyUNet([4, 8, 16, 32, 64], residualSE: false);
        Assert.Contains("Conv1.0.weight", plain.state_dict().Keys);
        res.eval();
        using var x = torch.rand(2, 1, 64, 32);
        var (logits, sal) = res.call(x);
        Assert.Equal(new long[] { 2, 0 }, logits.shape);
        Assert.Equal(new long[] { 2, 1, 64, 32 }, sal.shape);
        Assert.Throws<ArgumentException>(() => new SaliencyUNet([16, 32, 64, 128, 200]));
        Assert.Throws<ArgumentException>(() => new SaliencyUNet([4, 8, 16, 32, 64], residualSE: true));
    }
    private static readonly Lazy<JsonDocument> Doc = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("saliency", "single_task.json"))));

    /// <summary>The single-task saliency U-Nets against the authors' code (tools/golden/saliency/make_single_task_golden.py):
    /// UNet_S = baseline/ MTL_UNet_preset with out_dict {'class': 0, 'image': 1}; Res_SE-UNet = the same with Module/'s
    /// Res-SE conv_block as encoder blocks; full width, hashed weights, loaded strictly.</summary>
    [Theory]
    [InlineData("unet_s", false)]
    [InlineData("res_se_unet", true)]
    public void SaliencyUNet_MatchesTheAuthorsNetwork(string kind, bool residualSE)
    {
        using var scope = NewDisposeScope();
        var root = Doc.Value.RootElement;
        var e = root.GetProperty("models").GetProperty(kind);
        using var net = new SaliencyUNet(residualSE: residualSE);
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        Assert.Equal(sd.Count, net.state_dict().Count);
        SaliencyWeights.Load(net, sd, $"single_task.json {kind}"); // strict
        net.eval();
        using var _ = no_grad();
        var (logits, saliency) = net.call(Golden.Decode(root.GetProperty("input")));
        Assert.Equal(0, logits.shape[1]);
        Golden.AssertClose(Golden.Decode(e.GetProperty("saliency_logits")), saliency, $"{kind} saliency logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("log_probabilities")), SaliencyLayers.LogSoftmaxOverPixels(saliency),
            $"{kind} log-probabilities", rtol: 1e-4, atol: 1e-5);
    }

    /// <summary>The single-task classifier against the authors' stage-2 network (Classfication/ MTL_UNet_preset, whose class
    /// output is torchvision's densenet201 with a 3-class classifier on x.repeat(1,3,1,1)): its model.* keys are exactly
    /// the classifier's, and they give the authors' class logits.</summary>
    [Fact]
    public void Classifier_MatchesTheAuthorsStage2Network()
    {
        using var scope = NewDisposeScope();
        var root = Doc.Value.RootElement;
        var e = root.GetProperty("models").GetProperty("classifier");
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        var model = sd.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        using var net = new DenseNetClassifierNet(DenseNet.DenseNet201(numClasses: 3));
        Assert.True(model.Keys.ToHashSet().SetEquals(net.state_dict().Keys), "the authors' model.* keys are the classifier's keys");
        StateDicts.Load(net, model, strict: true, source: "single_task.json classifier");
        net.eval();
        using var _ = no_grad();
        var (logits, none) = net.call(Golden.Decode(root.GetProperty("input")));
        Assert.Equal(0, none.shape[1]);
        Golden.AssertClose(Golden.Decode(e.GetProperty("class_logits")), logits, "classifier logits", rtol: 1e-4, atol: 1e-5);
    }
}
