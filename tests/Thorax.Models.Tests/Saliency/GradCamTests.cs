using Thorax.Models.Encoders;
using Thorax.Models.Saliency;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Saliency;

public class GradCamTests
{
    /// <summary>conv (the target) → global average pool → linear.</summary>
    private sealed class LinearOnGap : nn.Module<Tensor, Tensor>
    {
        public readonly Conv2d Conv;
        public readonly Linear Fc;

        public LinearOnGap() : base("LinearOnGap")
        {
            Conv = nn.Conv2d(2, 5, 3, padding: 1);
            Fc = nn.Linear(5, 4);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Fc.call(Conv.call(x).mean([-2L, -1L]));
    }

    [Fact]
    public void LinearOnGap_CamIsTheClassWeightedFeatureMap()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var net = new LinearOnGap();
        var x = randn(3, 2, 6, 10);
        long[] classes = [0, 3, 1];
        using var r = GradCam.Compute(net, net.Conv, x, classes);
        // dy_c/dA_k(i,j) = W[c,k] / (h w)  =>  CAM = ReLU(sum_k W[c,k] A_k) / (h w)
        using var _ = no_grad();
        var a = net.Conv.call(x);
        for (var n = 0; n < 3; n++)
        {
            var w = net.Fc.weight![classes[n]];
            var expected = nn.functional.relu((w.view(5, 1, 1) * a[n]).sum(0L)) / 60.0;
            Assert.True(allclose(expected, r.Cam[n], rtol: 1e-5, atol: 1e-7), $"image {n}: {expected.dtype} {r.Cam.dtype} {expected.sum().item<float>()} vs {r.Cam[n].sum().item<float>()} {string.Join(",", expected.shape)}");
        }
        Assert.Equal(classes, r.Classes);
        Assert.Null(net.Fc.weight!.grad);
        Assert.Equal(new long[] { 3, 6, 10 }, r.Cam.shape);
        var norm = r.Normalized(12, 20);
        Assert.Equal(new long[] { 3, 12, 20 }, norm.shape);
        Assert.True(norm.max().item<float>() <= 1f + 1e-6f && norm.min().item<float>() >= 0f);
    }

    [Fact]
    public void DenseNet_Denseblock4_MatchesTheClosedFormThroughNorm5AndRelu()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var net = new DenseNet("tiny", 8, [1, 1, 1, 2], 16, numClasses: 3, inChans: 1);
        using (no_grad())
        {
            foreach (var (name, t) in net.state_dict())
                if (name.EndsWith("running_mean") || name.EndsWith("bias")) t.copy_(randn(t.shape) * 0.1);
                else if (name.EndsWith("running_var")) t.copy_(rand(t.shape) + 0.5);
        }
        net.eval();
        var block4 = (nn.Module<Tensor, Tensor>)net.named_modules().Single(m => m.name == "features.denseblock4").module;
        var norm5 = (BatchNorm2d)net.named_modules().Single(m => m.name == "features.norm5").module;
        var x = rand(2, 1, 64, 64);
        using var r = GradCam.Compute(net, block4, x);     // arg-max classes
        using var _ = no_grad();
        using var cap = net.ForwardWithCapture(x);
        Assert.Equal(cap.Logits.argmax(1).data<long>().ToArray(), r.Classes);
        // y = W · mean_hw(ReLU(a ⊙ A + b)),  a = γ / sqrt(var + eps)
        var scale = norm5.weight! / (norm5.running_var! + 1e-5).sqrt();
        var hw = cap.DenseBlock4.shape[2] * cap.DenseBlock4.shape[3];
        for (var n = 0; n < 2; n++)
        {
            var positive = (cap.Norm5[n] > 0).to_type(ScalarType.Float32);
            var w = net.named_parameters().Single(p => p.name == "classifier.weight").parameter[r.Classes[n]];
            var alpha = (w * scale).view(-1, 1, 1) * positive.mean([-2L, -1L], keepdim: true) / hw;
            var expected = nn.functional.relu((alpha * cap.DenseBlock4[n]).sum(0L));
            Assert.True(allclose(expected, r.Cam[n], rtol: 1e-4, atol: 1e-7), $"image {n}");
        }
    }

    [Fact]
    public void MultiTaskNet_ClassLogitsSelected_AndAMissingLayerIsAnError()
    {
        using var scope = NewDisposeScope();
        using var net = new GazeMtlUNet(filters: [16, 16, 16, 16, 16],
            densenet: new DenseNet("tiny", 8, [1, 1, 1, 1], 16, numClasses: 3, inChans: 3));
        net.eval();
        var block4 = (nn.Module<Tensor, Tensor>)net.named_modules().Single(m => m.name == "model.features.denseblock4").module;
        using var r = GradCam.Compute(net, y => y.ClassLogits, block4, rand(2, 1, 64, 64), [2, 0]);
        Assert.Equal(new long[] { 2, 2, 2 }, r.Cam.shape);
        Assert.True(r.Cam.min().item<float>() >= 0);
        using var other = nn.Conv2d(1, 1, 1);
        Assert.Throws<InvalidOperationException>(() => GradCam.Compute(net, y => y.ClassLogits, other, rand(1, 1, 64, 64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradCam.Compute(net, y => y.ClassLogits, block4, rand(1, 1, 64, 64), [3]));
    }
}
