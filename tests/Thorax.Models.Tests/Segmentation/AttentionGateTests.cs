using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Segmentation;

public class AttentionGateTests
{
    [Fact]
    public void Forward_IsSkipTimesCoefficients_InZeroOne()
    {
        using var scope = torch.NewDisposeScope();
        using var gate = new AttentionGate(4, 3, 2);
        gate.eval();
        var g = torch.randn(2, 4, 5, 7);
        var x = torch.randn(2, 3, 5, 7);
        var alpha = gate.Coefficients(g, x);
        Assert.Equal(new long[] { 2, 1, 5, 7 }, alpha.shape);
        Assert.True(alpha.min().item<float>() > 0 && alpha.max().item<float>() < 1);
        var y = gate.call(g, x);
        SegmentationGolden.AssertClose(x * alpha, y, "x * alpha", 0, 0);
    }

    [Fact]
    public void Coefficients_ZeroPsiWeights_AreSigmoidOfTheNormalisedBias()
    {
        // With psi.0 = 0 and bias b, BN(eval, mean 0, var 1) leaves b·1/sqrt(1 + eps); alpha = sigmoid of that everywhere.
        using var scope = torch.NewDisposeScope();
        using var gate = new AttentionGate(2, 2, 2);
        gate.eval();
        var psiConv = (Conv2d)Support.ModuleTree.Get(gate, "psi.0");
        using (torch.no_grad())
        {
            psiConv.weight.zero_();
            psiConv.bias!.fill_(0.7);
        }
        var alpha = gate.Coefficients(torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 3));
        var expected = 1 / (1 + Math.Exp(-0.7 / Math.Sqrt(1 + 1e-5)));
        Assert.All(Golden.Floats(alpha), a => Assert.Equal(expected, a, 6));
    }

    [Fact]
    public void Coefficients_MismatchedSpatialSize_Throws()
    {
        using var scope = torch.NewDisposeScope();
        using var gate = new AttentionGate(2, 2, 1);
        var ex = Assert.Throws<ArgumentException>(() => gate.Coefficients(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 5, 4)));
        Assert.Contains("[1, 2, 5, 4]", ex.Message);
    }

    [Fact]
    public void StateDict_UsesLeeJunHyunAttentionBlockNames()
    {
        using var gate = new AttentionGate(4, 3, 2);
        Assert.Equal(new[]
        {
            "W_g.0.weight", "W_g.0.bias", "W_g.1.weight", "W_g.1.bias", "W_g.1.running_mean", "W_g.1.running_var", "W_g.1.num_batches_tracked",
            "W_x.0.weight", "W_x.0.bias", "W_x.1.weight", "W_x.1.bias", "W_x.1.running_mean", "W_x.1.running_var", "W_x.1.num_batches_tracked",
            "psi.0.weight", "psi.0.bias", "psi.1.weight", "psi.1.bias", "psi.1.running_mean", "psi.1.running_var", "psi.1.num_batches_tracked",
        }.Order(StringComparer.Ordinal), gate.state_dict().Keys.Order(StringComparer.Ordinal)); // TorchSharp's Sequential lists parameters before buffers
    }
}
