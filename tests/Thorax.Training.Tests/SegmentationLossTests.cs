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

    [Fact]
    public void Combo_MatchesTheFirstPlaceFormulaTermByTerm()
    {
        using var scope = torch.NewDisposeScope();
        float[] x = [2.0f, -1.0f, 0.5f, -3.0f, 0.0f, 1.5f, -0.25f, 4.0f];
        float[] t = [1, 0, 1, 0, 0, 1, 1, 0];
        var logits = torch.tensor(x, new long[] { 2, 1, 2, 2 });
        var target = torch.tensor(t, new long[] { 2, 1, 2, 2 });
        double bce = 0, inter = 0, sp = 0, st = 0, focal = 0;
        for (var i = 0; i < x.Length; i++)
        {
            bce += Math.Max(x[i], 0) - x[i] * t[i] + Math.Log(1 + Math.Exp(-Math.Abs(x[i])));
            var p = 1 / (1 + Math.Exp(-x[i]));
            inter += p * t[i];
            sp += p;
            st += t[i];
            double pc = Math.Clamp(p, 1e-8, 1 - 1e-8), tc = Math.Clamp(t[i], 1e-8, 1 - 1e-8);
            var pt = (1 - tc) * (1 - pc) + tc * pc;
            focal += -Math.Pow(1 - pt, 2) * Math.Log(pt);
        }
        bce /= x.Length;
        focal /= x.Length;
        var dice = 1 - (2 * inter + 1e-6) / (sp + st + 1e-6);
        Assert.Equal(bce, SegmentationLoss.Combo(logits, target, 1, 0, 0).item<float>(), 5);
        Assert.Equal(dice, SegmentationLoss.Combo(logits, target, 0, 1, 0).item<float>(), 5);
        Assert.Equal(focal, SegmentationLoss.Combo(logits, target, 0, 0, 1).item<float>(), 5);
        Assert.Equal(3 * bce + dice + 4 * focal, SegmentationLoss.Combo(logits, target).item<float>(), 4);
        // a perfect prediction is clamped at 1e-5, never 0
        var sure = torch.tensor(new[] { 30f, -30f, 30f, -30f }, new long[] { 1, 1, 2, 2 });
        var truth = torch.tensor(new[] { 1f, 0f, 1f, 0f }, new long[] { 1, 1, 2, 2 });
        Assert.Equal(1e-5, SegmentationLoss.Combo(sure, truth, 1, 0, 1).item<float>(), 7);
        Assert.Throws<ArgumentException>(() => SegmentationLoss.Combo(logits, target, 0, 0, 0));
    }
}
