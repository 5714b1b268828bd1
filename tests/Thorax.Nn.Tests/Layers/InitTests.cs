using Thorax.Nn.Tests.Support;

namespace Thorax.Nn.Tests.Layers;

public sealed class InitTests
{
    [Fact]
    public void Linear_SeededGenerator_DrawsPyTorchsWeightsAndBias()
    {
        using var doc = Golden.Json("init.json");
        var e = doc.RootElement.GetProperty("linear_5_3_seed7");
        using var g = new Generator(7);
        using var l = new Linear(5, 3, generator: g);
        using var scope = Torch.NewScope();
        Golden.AssertClose(Golden.Decode(e.GetProperty("weight")), l.Weight, "weight", 0, 0);
        Golden.AssertClose(Golden.Decode(e.GetProperty("bias")), l.Bias!, "bias", 0, 0);
    }

    [Fact]
    public void XavierNormal_Seeded_MatchesPyTorch()
    {
        using var doc = Golden.Json("init.json");
        using var scope = Torch.NewScope();
        using var g = new Generator(11);
        var t = Init.XavierNormal_(Torch.Empty(new long[] { 4, 6 }), generator: g);
        Golden.AssertClose(Golden.Decode(doc.RootElement.GetProperty("xavier_normal_4x6_seed11")), t, "xavier", 1e-6, 0);
    }

    [Fact]
    public void KaimingNormal_FanOutRelu_MatchesPyTorch()
    {
        using var doc = Golden.Json("init.json");
        using var scope = Torch.NewScope();
        using var g = new Generator(3);
        var t = Init.KaimingNormal_(Torch.Empty(new long[] { 2, 3, 3, 3 }), mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu, generator: g);
        Golden.AssertClose(Golden.Decode(doc.RootElement.GetProperty("kaiming_normal_fanout_relu_seed3")), t, "kaiming", 1e-6, 0);
    }

    [Fact]
    public void TruncNormal_Seeded_MatchesPyTorchAndStaysInBounds()
    {
        using var doc = Golden.Json("init.json");
        using var scope = Torch.NewScope();
        using var g = new Generator(5);
        var t = Init.TruncNormal_(Torch.Empty(new long[] { 64 }), 0, 0.02, -0.04, 0.04, g);
        Golden.AssertClose(Golden.Decode(doc.RootElement.GetProperty("trunc_normal_64_seed5")), t, "trunc_normal", 1e-5, 1e-9);
        Assert.All(t.ToArray<float>(), v => Assert.InRange(v, -0.04f, 0.04f));
    }

    [Theory]
    [InlineData(Nonlinearity.Linear, null, 1.0)]
    [InlineData(Nonlinearity.Tanh, null, 5.0 / 3)]
    [InlineData(Nonlinearity.Relu, null, 1.4142135623730951)]
    [InlineData(Nonlinearity.LeakyRelu, 2.23606797749979, 0.5773502691896257)]
    [InlineData(Nonlinearity.Selu, null, 0.75)]
    public void CalculateGain_KnownNonlinearities_MatchesTorch(Nonlinearity n, double? param, double expected) =>
        Assert.Equal(expected, Init.CalculateGain(n, param), 12);

    [Fact]
    public void Constant_ZerosOnes_FillValues()
    {
        using var scope = Torch.NewScope();
        var t = Torch.Empty(new long[] { 2, 2 });
        Assert.Equal(0.0, Init.Zeros_(t).Sum().Item());
        Assert.Equal(4.0, Init.Ones_(t).Sum().Item());
        Assert.Equal(10.0, Init.Constant_(t, 2.5).Sum().Item());
    }

    [Fact]
    public void CalculateFanInAndFanOut_ConvWeight_UsesReceptiveField()
    {
        using var t = Torch.Empty(new long[] { 8, 4, 3, 3 });
        Assert.Equal((36L, 72L), Init.CalculateFanInAndFanOut(t));
        using var v = Torch.Empty(new long[] { 5 });
        Assert.Throws<ArgumentException>(() => Init.CalculateFanInAndFanOut(v));
    }
}
