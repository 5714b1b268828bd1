using Thorax.Models.Encoders;
using Thorax.Models.Saliency;
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
}
