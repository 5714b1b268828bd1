namespace Thorax.Optim.Tests.Clipping;

/// <summary>clip_grad_norm_ / clip_grad_value_ against PyTorch 1.13 (clip.json).</summary>
public sealed class GradClipTests
{
    private static readonly string[] Names = { "a", "b", "c" };

    private static Dictionary<string, Tensor> WithGrads()
    {
        var f = Golden.Load("clip.json");
        var ps = new Dictionary<string, Tensor>();
        using var scope = Torch.NewScope();
        foreach (var n in Names)
        {
            var shape = Golden.Longs(f.GetProperty("shapes").GetProperty(n));
            var p = Torch.Zeros(shape).RequiresGrad_().DetachFromScope();
            p.Grad = Torch.FromArray(Golden.Floats(f.GetProperty("grads").GetProperty(n)), shape);
            ps[n] = p;
        }
        return ps;
    }

    private static void Release(Dictionary<string, Tensor> ps)
    {
        foreach (var p in ps.Values) p.Dispose();
    }

    private static float[] GradOf(Tensor p)
    {
        using var g = p.Grad!;
        return g.ToArray<float>();
    }

    public static IEnumerable<object[]> NormCases() =>
        Enumerable.Range(0, Golden.Load("clip.json").GetProperty("norm").GetArrayLength()).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(NormCases))]
    public void ClipGradNorm_GoldenCase_MatchesTorchTotalAndGrads(int index)
    {
        var c = Golden.Load("clip.json").GetProperty("norm")[index];
        var nt = c.GetProperty("norm_type");
        var normType = nt.ValueKind == System.Text.Json.JsonValueKind.String ? double.PositiveInfinity : nt.GetDouble();
        var ps = WithGrads();
        try
        {
            var total = GradClip.ClipGradNorm(Names.Select(n => ps[n]), c.GetProperty("max_norm").GetDouble(), normType);
            Assert.Equal(c.GetProperty("total").GetDouble(), total, 6);
            foreach (var n in Names)
                Golden.Close(Golden.Floats(c.GetProperty("grads").GetProperty(n)), GradOf(ps[n]), 1e-6, 1e-7, $"case {index} grad {n}");
        }
        finally
        {
            Release(ps);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ClipGradValue_GoldenCase_MatchesTorch(int index)
    {
        var c = Golden.Load("clip.json").GetProperty("value")[index];
        var ps = WithGrads();
        try
        {
            GradClip.ClipGradValue(ps.Values, c.GetProperty("clip_value").GetDouble());
            foreach (var n in Names)
                Assert.Equal(Golden.Floats(c.GetProperty("grads").GetProperty(n)), GradOf(ps[n]));
        }
        finally
        {
            Release(ps);
        }
    }

    [Fact]
    public void ClipGradNorm_NoGradients_ReturnsZero()
    {
        using var p = Torch.Ones(3).RequiresGrad_();
        Assert.Equal(0.0, GradClip.ClipGradNorm(new[] { p }, 1.0));
    }

    [Fact]
    public void ClipGradNorm_NonFiniteWithErrorFlag_ThrowsAndKeepsGrads()
    {
        using var p = Torch.Ones(2).RequiresGrad_();
        using (var s = Torch.NewScope()) p.Grad = Torch.FromArray(new[] { float.NaN, 1f });
        Assert.Throws<TorchException>(() => GradClip.ClipGradNorm(new[] { p }, 1.0, errorIfNonfinite: true));
        Assert.Equal(1f, GradOf(p)[1]);
    }

    [Fact]
    public void ClipGradNorm_NegativeMaxNorm_Throws()
    {
        using var p = Torch.Ones(1).RequiresGrad_();
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipGradNorm(new[] { p }, -1));
    }
}
