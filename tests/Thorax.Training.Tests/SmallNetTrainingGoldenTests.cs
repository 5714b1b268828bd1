using Thorax.Models.Weights;
using Thorax.Training.Optim;
using Thorax.Training.Schedulers;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Thorax.Training.Tests;

/// <summary>
/// End-to-end engine check: a conv-BN-ReLU-pool-linear net trained 20 steps with TorchSharp's AdamW and Thorax's cosine
/// schedule from PyTorch's initial weights gives PyTorch's losses and final weights (tools/golden/training/make_train_golden.py).
/// </summary>
public class SmallNetTrainingGoldenTests
{
    private sealed class Net : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly BatchNorm2d bn;
        private readonly Linear fc;

        public Net() : base(nameof(Net))
        {
            conv = Conv2d(1, 4, 3, padding: 1, bias: false);
            bn = BatchNorm2d(4);
            fc = Linear(64, 3);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => fc.call(functional.max_pool2d(bn.call(conv.call(x)).relu(), 2).flatten(1));
    }

    [Fact]
    public void TwentyAdamWCosineSteps_MatchPyTorchLossesAndFinalWeights()
    {
        var g = TestData.Load("training/small_net_adamw_cosine.json");
        using var scope = torch.NewDisposeScope();
        using var net = new Net();
        var init = new Dictionary<string, Tensor>();
        foreach (var p in g.GetProperty("initial").EnumerateObject()) init[p.Name] = TestData.ReadTensor(p.Value);
        StateDicts.Load(net, init, strict: true);
        var x = TestData.ReadTensor(g.GetProperty("x"));
        var y = TestData.ReadTensor(g.GetProperty("y"));
        using var opt = new AdamW(net.parameters(), lr: 1e-2, weight_decay: 1e-2);
        var sched = new CosineAnnealingLR(opt, 20, 1e-4);
        var losses = g.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var lrs = g.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var step = 0; step < 20; step++)
        {
            using var s = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = functional.cross_entropy(net.call(x), y);
            loss.backward();
            opt.step();
            Assert.Equal(lrs[step], OptimizerGroups.Of(opt)[0].LearningRate, 12);
            sched.Step();
            var l = loss.item<float>();
            Assert.True(Math.Abs(l - losses[step]) <= 1e-5 * Math.Abs(losses[step]) + 1e-6, $"step {step}: loss {l:R}, PyTorch {losses[step]:R}");
        }
        foreach (var (name, t) in net.state_dict())
            TestData.AssertClose(g.GetProperty("final").GetProperty(name), t, "final " + name, rtol: 1e-5, atol: 1e-6);
    }
}
