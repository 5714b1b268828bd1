using Thorax.Models.Encoders;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;

namespace Thorax.Models.Tests.Encoders;

/// <summary>
/// <c>--weights FILE.onnx</c> for zoo encoders other than ResNet: the narrow EfficientNet and Xception peers exported
/// from PyTorch (tools/golden/zoo/make_onnx_golden.py; unfolded training-mode export, so the initializers keep the
/// state-dict names) load by name into the same tensors as the peer's torch.save file; PyTorch's default eval-mode
/// export (BatchNorm folded into renamed convolutions) is refused naming the file and what it lacks.
/// </summary>
public class EncoderZooOnnxTests
{
    [Theory]
    [InlineData("efficientnet_narrow_1ch", "efficientnet_b0")]
    [InlineData("xception_narrow_1ch", "xception")]
    public void PyTorchOnnxExport_LoadsByName_IntoTheTensorsAndLogitsOfTheTorchSaveFile(string name, string zooName)
    {
        using var scope = NewDisposeScope();
        using var fromPt = EncoderZooTests.Narrow(name);
        Assert.True(StateDicts.LoadFile(fromPt, Golden.PathOf("zoo", name + ".pt"), strict: true).IsComplete);
        using var fromOnnx = EncoderZooTests.Narrow(name);
        var before = fromOnnx.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .Count(kv => kv.Value.eq(fromPt.state_dict()[kv.Key]).all().item<bool>());
        Assert.True(before < 3, $"{before} tensors already equal before loading");  // the test can fail: fresh weights differ
        EncoderZoo.LoadWeights(fromOnnx, zooName, Golden.PathOf("zoo", name + ".onnx"));
        var pt = fromPt.state_dict();
        foreach (var (k, t) in fromOnnx.state_dict())
            if (!k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                Assert.True(t.eq(pt[k]).all().item<bool>(), $"{name}: {k} differs from the torch.save file");
        fromPt.eval();
        fromOnnx.eval();
        using var _ = no_grad();
        var x = rand(new long[] { 2, 1, 64, 64 }, generator: new Generator(7));
        Assert.True(fromOnnx.call(x).eq(fromPt.call(x)).all().item<bool>(), $"{name}: logits differ");
    }

    [Fact]
    public void FoldedEvalModeExport_IsRefusedNamingTheFile()
    {
        using var scope = NewDisposeScope();
        using var net = EncoderZooTests.Narrow("xception_narrow_1ch");
        var path = Golden.PathOf("zoo", "xception_narrow_1ch.eval.onnx");
        var e = Assert.ThrowsAny<Exception>(() => EncoderZoo.LoadWeights(net, "xception", path));
        Assert.True(e is WeightFileException or StateDictException, e.GetType().Name + ": " + e.Message);
        Assert.Contains("xception_narrow_1ch.eval.onnx", e.Message);
    }
}
