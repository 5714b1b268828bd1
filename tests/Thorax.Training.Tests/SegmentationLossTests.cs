namespace Thorax.Training.Tests;

public class SegmentationLossTests
{
    [Fact]
    public void Dice_PerfectConfidentPrediction_IsNearZero_OppositeIsNearOne()
    {
        using var scope = Torch.NewScope();
        var target = Torch.FromArray(new[] { 1f, 0f, 1f, 0f }, 1, 1, 2, 2);
        var good = (target * 2 - 1) * 50; // logits +-50
        Assert.True(SegmentationLoss.Dice(good, target).Item() < 1e-6);
        Assert.True(SegmentationLoss.Dice(-good, target, smooth: 1e-9).Item() > 0.999);
    }

    [Fact]
    public void BceDice_EqualsClosedForm()
    {
        using var scope = Torch.NewScope();
        var logits = Torch.FromArray(new[] { 0f, 0f }, 1, 1, 1, 2);
        var target = Torch.FromArray(new[] { 1f, 0f }, 1, 1, 1, 2);
        // p = 0.5 everywhere: BCE = ln 2; Dice = 1 - (2*0.5 + 1)/(1 + 1 + 1) = 1/3
        Assert.Equal(Math.Log(2) + 1.0 / 3.0, SegmentationLoss.BceDice(logits, target).Item(), 5);
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
