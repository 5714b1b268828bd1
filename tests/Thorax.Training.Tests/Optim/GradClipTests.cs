using Thorax.Training.Optim;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;

namespace Thorax.Training.Tests.Optim;

/// <summary>GradClip (over TorchSharp's clip_grad_norm_ / clip_grad_value_) against PyTorch 1.13 (clip.json).</summary>
public sealed class GradClipTests
{
    private static readonly string[] Names = { "a", "b", "c" };

    private static Dictionary<string, Parameter> WithGrads()
    {
        var f = TestData.Load("optim/clip.json");
        var ps = new Dictionary<string, Parameter>();
        foreach (var n in Names)
        {
            var shape = TestData.Longs(f.GetProperty("shapes").GetProperty(n));
            var p = new Parameter(torch.zeros(shape));
            p.grad = torch.tensor(TestData.Floats(f.GetProperty("grads").GetProperty(n)), shape);
            ps[n] = p;
        }
        return ps;
    }

    private static void Release(Dictionary<string, Parameter> ps)
    {
        foreach (var p in ps.Values) p.Dispose();
    }

    private static float[] GradOf(Parameter p) => TestData.Values(p.grad!);

    public static IEnumerable<object[]> NormCases() =>
        Enumerable.Range(0, TestData.Load("optim/clip.json").GetProperty("norm").GetArrayLength()).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(NormCases))]
    public void ClipGradNorm_GoldenCase_MatchesTorchTotalAndGrads(int index)
    {
        var c = TestData.Load("optim/clip.json").GetProperty("norm")[index];
        var nt = c.GetProperty("norm_type");
        var normType = nt.ValueKind == System.Text.Json.JsonValueKind.String ? double.PositiveInfinity : nt.GetDouble();
        var ps = WithGrads();
        try
        {
            var total = GradClip.ClipGradNorm(Names.Select(n => ps[n]), c.GetProperty("max_norm").GetDouble(), normType);
            Assert.Equal(c.GetProperty("total").GetDouble(), total, 6);
            foreach (var n in Names)
                TestData.Close(TestData.Floats(c.GetProperty("grads").GetProperty(n)), GradOf(ps[n]), 1e-6, 1e-7, $"case {index} grad {n}");
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
        var c = TestData.Load("optim/clip.json").GetProperty("value")[index];
        var ps = WithGrads();
        try
        {
            GradClip.ClipGradValue(ps.Values, c.GetProperty("clip_value").GetDouble());
            foreach (var n in Names)
                Assert.Equal(TestData.Floats(c.GetProperty("grads").GetProperty(n)), GradOf(ps[n]));
        }
        finally
        {
            Release(ps);
        }
    }

    [Fact]
    public void ClipGradNorm_NoGradients_ReturnsZero()
    {
        using var p = new Parameter(torch.ones(3));
        Assert.Equal(0.0, GradClip.ClipGradNorm(new[] { p }, 1.0));
    }

    [Fact]
    public void ClipGradNorm_NonFiniteWithErrorFlag_ThrowsAndKeepsGrads()
    {
        using var p = new Parameter(torch.ones(2));
        p.grad = torch.tensor(new[] { float.NaN, 1f });
        Assert.Throws<ArithmeticException>(() => GradClip.ClipGradNorm(new[] { p }, 1.0, errorIfNonfinite: true));
        Assert.Equal(1f, GradOf(p)[1]);
    }

    [Fact]
    public void ClipGradNorm_NegativeMaxNorm_Throws()
    {
        using var p = new Parameter(torch.ones(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipGradNorm(new[] { p }, -1));
    }
}
