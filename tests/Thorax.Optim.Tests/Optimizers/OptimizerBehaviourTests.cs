namespace Thorax.Optim.Tests.Optimizers;

/// <summary>Group defaults, skipping, zero_grad, validation, state errors and ownership.</summary>
public sealed class OptimizerBehaviourTests
{
    [Fact]
    public void Constructor_GroupOverrides_OtherKeysComeFromDefaults()
    {
        using var a = Torch.Zeros(2).RequiresGrad_();
        using var b = Torch.Zeros(2).RequiresGrad_();
        using var opt = new Sgd(new[] { new ParamGroup(new[] { a }), new ParamGroup(new[] { b }).Set("lr", 0.5).Set("momentum", 0.9) },
            new SgdOptions { Lr = 0.1, WeightDecay = 0.01 });
        Assert.Multiple(
            () => Assert.Equal(0.1, opt.ParamGroups[0].Lr),
            () => Assert.Equal(0.0, opt.ParamGroups[0].GetDouble("momentum")),
            () => Assert.Equal(0.5, opt.ParamGroups[1].Lr),
            () => Assert.Equal(0.9, opt.ParamGroups[1].GetDouble("momentum")),
            () => Assert.Equal(0.01, opt.ParamGroups[1].GetDouble("weight_decay")),
            () => Assert.Equal(new[] { "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize" }, opt.ParamGroups[0].Keys),
            () => Assert.Equal(2, opt.ParameterCount));
    }

    [Fact]
    public void Step_ParameterWithoutGrad_IsUntouchedAndGetsNoState()
    {
        using var a = Torch.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        using var b = Torch.FromArray(new float[] { 3, 4 }).RequiresGrad_();
        using var opt = new Adam(new[] { a, b }, new AdamOptions { Lr = 0.1 });
        using (var scope = Torch.NewScope()) a.Grad = Torch.Ones(2);
        opt.Step();
        Assert.Equal(new float[] { 3, 4 }, b.ToArray<float>());
        Assert.Null(opt.GetState(1));
        Assert.Equal(1.0, opt.GetState(0)!["step"].Item());
        Assert.NotEqual(new float[] { 1, 2 }, a.ToArray<float>());
    }

    [Fact]
    public void ZeroGrad_SetToNoneOrZero_ClearsGradients()
    {
        using var a = Torch.Zeros(3).RequiresGrad_();
        using var opt = new Sgd(new[] { a }, new SgdOptions { Lr = 1 });
        using (var scope = Torch.NewScope()) a.Grad = Torch.Ones(3);
        opt.ZeroGrad(setToNone: false);
        using (var g = a.Grad) Assert.Equal(new float[] { 0, 0, 0 }, g!.ToArray<float>());
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void Step_InsideDisposedScopes_StateSurvivesAndNothingLeaks()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Tensor.LiveCount;
        using (var p = Torch.Zeros(4).RequiresGrad_())
        {
            using var opt = new Sgd(new[] { p }, new SgdOptions { Lr = 0.1, Momentum = 0.9 });
            for (var i = 0; i < 3; i++)
            {
                using var scope = Torch.NewScope();
                p.Grad = Torch.Ones(4);
                opt.Step();
            }
            // v = 1, 1.9, 2.71 (momentum buffer), p = -0.1·(1 + 1.9 + 2.71)
            Assert.Equal(new float[] { 2.71f, 2.71f, 2.71f, 2.71f }, opt.GetState(0)!["momentum_buffer"].ToArray<float>());
            Golden.Close(new float[] { -0.561f, -0.561f, -0.561f, -0.561f }, p.ToArray<float>(), 1e-6, 1e-7, "p");
            p.ZeroGrad();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Constructor_NesterovWithoutMomentum_Throws() =>
        Assert.Throws<ArgumentException>(() => new Sgd(new[] { Torch.Zeros(1).RequiresGrad_() }, new SgdOptions { Lr = 0.1, Nesterov = true }));

    [Theory]
    [InlineData(1.0, 0.999)]
    [InlineData(0.9, -0.1)]
    public void Constructor_BetaOutOfRange_Throws(double b1, double b2) =>
        Assert.Throws<ArgumentException>(() => new Adam(new[] { Torch.Zeros(1).RequiresGrad_() }, new AdamOptions { Betas = (b1, b2) }));

    [Fact]
    public void Constructor_SameParameterTwice_Throws()
    {
        using var p = Torch.Zeros(1).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => new AdamW(new[] { new ParamGroup(new[] { p }), new ParamGroup(new[] { p }) }));
    }

    [Fact]
    public void Constructor_NonLeaf_Throws()
    {
        using var p = Torch.Zeros(2).RequiresGrad_();
        using var q = p.Mul(2);
        Assert.Throws<ArgumentException>(() => new Adam(new[] { q }));
    }

    [Fact]
    public void LoadStateDict_DifferentGroupCount_ThrowsWithKey()
    {
        using var a = Torch.Zeros(2).RequiresGrad_();
        using var b = Torch.Zeros(2).RequiresGrad_();
        using var one = new Adam(new[] { a, b });
        using var two = new Adam(new[] { new ParamGroup(new[] { a }), new ParamGroup(new[] { b }) });
        using var sd = two.StateDict();
        var e = Assert.Throws<OptimizerStateException>(() => one.LoadStateDict(sd));
        Assert.Equal("param_groups", e.Key);
    }

    [Fact]
    public void LoadStateDict_StateShapeMismatch_ThrowsAndKeepsOldState()
    {
        using var a = Torch.Zeros(2).RequiresGrad_();
        using var big = Torch.Zeros(3).RequiresGrad_();
        using var src = new Adam(new[] { big });
        using (var s = Torch.NewScope()) big.Grad = Torch.Ones(3);
        src.Step();
        using var sd = src.StateDict();
        using var dst = new Adam(new[] { a });
        var e = Assert.Throws<OptimizerStateException>(() => dst.LoadStateDict(sd));
        Assert.StartsWith("state.0.exp_a", e.Key);
        Assert.Null(dst.GetState(0));
    }

    [Fact]
    public void FromTensors_MalformedKey_Throws()
    {
        using var t = Torch.Zeros(1);
        var e = Assert.Throws<OptimizerStateException>(() =>
            OptimizerStateDict.FromTensors(new Dictionary<string, Tensor> { ["state.x.exp_avg"] = t }, "{\"param_groups\":[{\"lr\":1,\"params\":[0]}]}"));
        Assert.Equal("state.x.exp_avg", e.Key);
    }

    [Fact]
    public void FromTensors_InvalidJson_ThrowsWithPosition()
    {
        var e = Assert.Throws<OptimizerStateException>(() => OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(), "{\"param_groups\": [ {\"lr\": }"));
        Assert.Contains("line", e.Message);
    }

    [Fact]
    public void LoadStateDict_InvalidSavedHyperparameter_Throws()
    {
        using var p = Torch.Zeros(1).RequiresGrad_();
        using var opt = new Adam(new[] { p });
        using var sd = OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(), "{\"param_groups\":[{\"lr\":-1,\"params\":[0]}]}");
        var e = Assert.Throws<OptimizerStateException>(() => opt.LoadStateDict(sd));
        Assert.Equal("param_groups.0", e.Key);
        Assert.Equal(1e-3, opt.ParamGroups[0].Lr);
    }

    [Fact]
    public void Step_AfterDispose_Throws()
    {
        using var p = Torch.Zeros(1).RequiresGrad_();
        var opt = new Sgd(new[] { p }, new SgdOptions { Lr = 1 });
        opt.Dispose();
        Assert.Throws<ObjectDisposedException>(() => opt.Step());
        Assert.False(p.IsDisposed);
    }

    [Fact]
    public void Step_WithClosure_ReturnsLossAndSteps()
    {
        using var p = Torch.FromArray(new float[] { 2 }).RequiresGrad_();
        using var opt = new Sgd(new[] { p }, new SgdOptions { Lr = 0.25 });
        var loss = opt.Step(() =>
        {
            using var scope = Torch.NewScope();
            var l = p.Mul(p).Sum();
            l.Backward();
            return l.Item();
        });
        Assert.Equal(4.0, loss);
        Assert.Equal(new float[] { 1 }, p.ToArray<float>()); // 2 - 0.25·(2·2)
    }
}
