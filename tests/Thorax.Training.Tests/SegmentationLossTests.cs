namespace Thorax.Training.Tests;

public class SegmentationLossTests
{
    [Fact]
    public void Dice_PerfectConfidentPrediction_IsNearZero_OppositeIsNearOne()
    {
        using var scope = torch.NewDisposeScope();
        var target = torch.tensor(new[] { 1f, 0f, 1f, 0f }, new long[] { 1, 1, 2, 2 });
        var good = (target * 2 - 1) * 50; // logits +-50
        Assert.True(SegmentationLoss.Dice(good, target).item<float>() < 1e-6);
        Assert.True(SegmentationLoss.Dice(-good, target, smooth: 1e-9).item<float>() > 0.999);
    }

    [Fact]
    public void BceDice_EqualsClosedForm()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new[] { 0f, 0f }, new long[] { 1, 1, 1, 2 });
        var target = torch.tensor(new[] { 1f, 0f }, new long[] { 1, 1, 1, 2 });
        // p = 0.5 everywhere: BCE = ln 2; Dice = 1 - (2*0.5 + 1)/(1 + 1 + 1) = 1/3
        Assert.Equal(Math.Log(2) + 1.0 / 3.0, SegmentationLoss.BceDice(logits, target).item<float>(), 5);
    }

    [Fact]
    public void BceDice_Gradient_FlowsToLogits()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.zeros(new long[] { 1, 1, 2, 2 }, requires_grad: true);
        var target = torch.tensor(new[] { 1f, 0f, 1f, 0f }, new long[] { 1, 1, 2, 2 });
        SegmentationLoss.BceDice(logits, target).backward();
        var g = logits.grad!.data<float>().ToArray();
        Assert.True(g[0] < 0 && g[2] < 0 && g[1] > 0 && g[3] > 0, string.Join(", ", g)); // raise the lung logits, lower the rest
    }

    [Fact]
    public void Dice_ShapeMismatch_Throws()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => SegmentationLoss.Dice(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 3)));
    }

    [Fact]
    public void RunFiles_WriteText_LeavesNoTempFile()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-run-").FullName;
        RunFiles.WriteText(Path.Combine(dir, "a.json"), "{}");
        Assert.Equal(new[] { "a.json" }, Directory.GetFiles(dir).Select(Path.GetFileName));
        Directory.Delete(dir, true);
    }
}
