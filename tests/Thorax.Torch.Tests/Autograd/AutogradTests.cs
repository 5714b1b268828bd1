using F = Thorax.Functional;

namespace Thorax.TorchTests.Autograd;

public class AutogradTests
{
    [Fact]
    public void Backward_Polynomial_GivesClosedFormGradient()
    {
        using var scope = Torch.NewScope();
        var x = Torch.FromArray(new[] { 1f, 2f, -3f }).RequiresGrad_();
        var y = (x * x * x + 2 * x).Sum(); // dy/dx = 3x^2 + 2
        y.Backward();
        Assert.Equal(new[] { 5f, 14f, 29f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Backward_WithGradientArgument_WeightsTheVectorJacobianProduct()
    {
        using var scope = Torch.NewScope();
        var x = Torch.FromArray(new[] { 1f, 2f }).RequiresGrad_();
        var y = x * 3;
        y.Backward(Torch.FromArray(new[] { 10f, 100f }));
        Assert.Equal(new[] { 30f, 300f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Backward_Twice_WithoutRetainGraph_Throws_WithRetainGraph_Accumulates()
    {
        using var scope = Torch.NewScope();
        var x = Torch.FromArray(new[] { 2f }).RequiresGrad_();
        var y = (x.Exp() * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        var expected = 2 * (MathF.Exp(2) + 2 * MathF.Exp(2));
        Assert.Equal(expected, x.Grad!.ToArray<float>()[0], 3);
        var z = (x.Exp() * x).Sum();
        z.Backward();
        var ex = Assert.Throws<TorchException>(() => z.Backward());
        Assert.Contains("backward", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void NoGrad_DisablesRecording_AndRestoresOnDispose()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Ones(new long[] { 2 }, requiresGrad: true);
        Tensor y;
        using (Torch.NoGrad())
        {
            Assert.False(Torch.IsGradEnabled);
            y = x * 2;
        }
        Assert.True(Torch.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void InferenceMode_ProducesTensorsWithoutGrad()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Ones(new long[] { 2 }, requiresGrad: true);
        using (Torch.InferenceMode())
        {
            var y = x * 2;
            Assert.False(y.RequiresGrad);
        }
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void Detach_CutsTheGraph_ButSharesStorage()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Ones(new long[] { 3 }, requiresGrad: true);
        var d = (x * 1).Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        var y = x.Clone();
        var view = y.Detach();
        view.Fill_(7);
        Assert.Equal(new[] { 7f, 7f, 7f }, y.ToArray<float>());
    }

    [Fact]
    public void RetainGrad_OnActivation_CapturesGradientForGradCam()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(3);
        var x = Torch.Randn(1, 2, 5, 5);
        var w = Torch.Randn(new long[] { 4, 2, 3, 3 }).RequiresGrad_();
        var act = F.Conv2d(x, w, padding: new long[] { 1, 1 }).RetainGrad();
        var score = F.AdaptiveAvgPool2d(act.Relu(), 1).Flatten().Select(0, 1);
        score.Backward();
        var g = act.Grad!;
        Assert.Equal(act.Shape, g.Shape);
        // d(score)/d(act) = (act > 0) / 25 on channel 1 and 0 elsewhere
        var expected = act.Gt(0).To(DType.Float32) / 25.0;
        var mask = Torch.Zeros(1, 4, 1, 1);
        mask.Narrow(1, 1, 1).Fill_(1);
        Assert.True((expected * mask).AllClose(g, 1e-6, 1e-7));
    }

    [Fact]
    public void ZeroGrad_SetToNoneFalse_KeepsZeroTensor()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Ones(new long[] { 2 }, requiresGrad: true);
        (x * 3).Sum().Backward();
        x.ZeroGrad(setToNone: false);
        Assert.Equal(new[] { 0f, 0f }, x.Grad!.ToArray<float>());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void GradFnName_NamesTheRecordedOperation()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Ones(new long[] { 2 }, requiresGrad: true);
        Assert.Equal("", x.GradFnName);
        Assert.StartsWith("MulBackward", (x * 2).GradFnName);
    }
}
