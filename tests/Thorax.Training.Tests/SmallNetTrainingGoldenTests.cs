using System.Text.Json;
using Thorax.Nn;
using Thorax.Optim;
using Thorax.TorchTests;
using Thorax.TorchTests.Golden;
using F = Thorax.Functional;

namespace Thorax.Training.Tests;

/// <summary>
/// End-to-end engine check: a conv-BN-ReLU-pool-linear net trained 20 steps with AdamW and a cosine schedule from
/// PyTorch's initial weights gives PyTorch's losses and final weights (tools/golden/training/make_train_golden.py).
/// </summary>
public class SmallNetTrainingGoldenTests
{
    private sealed class Net : Module<Tensor, Tensor>
    {
        private readonly Conv2d _conv;
        private readonly BatchNorm2d _bn;
        private readonly Linear _fc;

        public Net()
        {
            _conv = RegisterModule("conv", new Conv2d(1, 4, 3, padding: 1, bias: false));
            _bn = RegisterModule("bn", new BatchNorm2d(4));
            _fc = RegisterModule("fc", new Linear(64, 3));
        }

        protected override Tensor ForwardCore(Tensor x) => _fc.Forward(F.MaxPool2d(_bn.Forward(_conv.Forward(x)).Relu(), 2).Flatten(1));
    }

    [Fact]
    public void TwentyAdamWCosineSteps_MatchPyTorchLossesAndFinalWeights()
    {
        var g = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Golden("training/small_net_adamw_cosine.json"))).RootElement;
        using var scope = Torch.NewScope();
        using var net = new Net();
        var init = new Dictionary<string, Tensor>();
        foreach (var p in g.GetProperty("initial").EnumerateObject()) init[p.Name] = GoldenTensor.Read(p.Value);
        net.LoadStateDict(init, strict: true);
        var x = GoldenTensor.Read(g.GetProperty("x"));
        var y = GoldenTensor.Read(g.GetProperty("y"));
        using var opt = new AdamW(net.Parameters(), new AdamWOptions { Lr = 1e-2, WeightDecay = 1e-2 });
        var sched = new CosineAnnealingLR(opt, 20, 1e-4);
        var losses = g.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var lrs = g.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var step = 0; step < 20; step++)
        {
            using var s = Torch.NewScope();
            opt.ZeroGrad();
            var loss = F.CrossEntropy(net.Forward(x), y);
            loss.Backward();
            opt.Step();
            Assert.Equal(lrs[step], opt.ParamGroups[0].Lr, 12);
            sched.Step();
            var l = loss.Item();
            Assert.True(Math.Abs(l - losses[step]) <= 1e-5 * Math.Abs(losses[step]) + 1e-6, $"step {step}: loss {l:R}, PyTorch {losses[step]:R}");
        }
        foreach (var (name, t) in net.StateDict())
            GoldenTensor.AssertClose(g.GetProperty("final").GetProperty(name), t, "final " + name, rtol: 1e-5, atol: 1e-6);
    }
}
