using Thorax.Models.Segmentation;
using Thorax.Nn;

namespace Thorax.Models.Tests.Segmentation;

public class AttentionGateTests
{
    [Fact]
    public void Forward_IsSkipTimesCoefficients_InZeroOne()
    {
        using var scope = Torch.NewScope();
        using var gate = new AttentionGate(4, 3, 2);
        gate.Eval();
        var g = Torch.Randn(2, 4, 5, 7);
        var x = Torch.Randn(2, 3, 5, 7);
        var alpha = gate.Coefficients(g, x);
        Assert.Equal(new long[] { 2, 1, 5, 7 }, alpha.Shape);
        Assert.True(alpha.Min().Item() > 0 && alpha.Max().Item() < 1);
        var y = gate.Forward((g, x));
        SegmentationGolden.AssertClose(x * alpha, y, "x * alpha", 0, 0);
    }

    [Fact]
    public void Coefficients_ZeroPsiWeights_AreSigmoidOfTheNormalisedBias()
    {
        // With psi.0 = 0 and bias b, BN(eval, mean 0, var 1) leaves b·1/sqrt(1 + eps); alpha = sigmoid of that everywhere.
        using var scope = Torch.NewScope();
        using var gate = new AttentionGate(2, 2, 2);
        gate.Eval();
        var psiConv = (Conv2d)gate.GetSubmodule("psi.0");
        using (Torch.NoGrad())
        {
            psiConv.Weight.Zero_();
            psiConv.Bias!.Fill_(0.7);
        }
        var alpha = gate.Coefficients(Torch.Randn(1, 2, 3, 3), Torch.Randn(1, 2, 3, 3));
        var expected = 1 / (1 + Math.Exp(-0.7 / Math.Sqrt(1 + 1e-5)));
        Assert.All(alpha.ToArray<float>(), a => Assert.Equal(expected, a, 6));
    }

    [Fact]
    public void Coefficients_MismatchedSpatialSize_Throws()
    {
        using var scope = Torch.NewScope();
        using var gate = new AttentionGate(2, 2, 1);
        var ex = Assert.Throws<TorchException>(() => gate.Coefficients(Torch.Zeros(1, 2, 4, 4), Torch.Zeros(1, 2, 5, 4)));
        Assert.Contains("[1, 2, 5, 4]", ex.Message);
    }
}
