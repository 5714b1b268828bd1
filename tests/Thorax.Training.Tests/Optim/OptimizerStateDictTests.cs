using Thorax.Training.Optim;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;

namespace Thorax.Training.Tests.Optim;

/// <summary>
/// OptimizerStateDict over TorchSharp optimisers: train 5 steps, save through the flat checkpoint form, load into a
/// fresh optimiser, 5 more == 10 straight; and every malformed or mismatched state is refused naming the entry.
/// </summary>
public sealed class OptimizerStateDictTests
{
    public static IEnumerable<object[]> Cases() => new[]
    {
        new object[] { "sgd_momentum" }, new object[] { "sgd_two_groups" }, new object[] { "sgd_nesterov_maximize" },
        new object[] { "adam_amsgrad_wd" }, new object[] { "adam_two_groups" }, new object[] { "adamw_maximize_groups" },
    };

    private static Dictionary<string, Tensor> Detached(Dictionary<string, Tensor> d)
    {
        foreach (var t in d.Values) t.DetachFromDisposeScope();
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadInto_SavedAfter5Steps_Next5StepsEqual10StraightSteps(string name)
    {
        var c = OptimizerFixture.Case(name);
        var first = OptimizerFixture.Parameters();
        var resumed = OptimizerFixture.Parameters();
        var straightHalf = OptimizerFixture.Parameters();
        try
        {
            string json;
            Dictionary<string, Tensor> flat;
            using (var opt = OptimizerFixture.Build(c, first))
            {
                OptimizerFixture.Run(opt, first, 1, 5);
                OptimizerGroups.Of(opt)[0].LearningRate *= 0.5; // a hyperparameter change must travel with the checkpoint
                using var sd = OptimizerStateDict.Capture(opt);
                json = sd.ToJson();
                flat = Detached(sd.ToTensors("optimizer."));
            }

            // Fresh parameters holding the values after step 5, as if read back from a weights file.
            using (torch.no_grad())
                foreach (var n in OptimizerFixture.Names) resumed[n].copy_(first[n]);

            using var halfOpt = OptimizerFixture.Build(c, straightHalf);
            OptimizerFixture.Run(halfOpt, straightHalf, 1, 5);
            OptimizerGroups.Of(halfOpt)[0].LearningRate *= 0.5;
            OptimizerFixture.Run(halfOpt, straightHalf, 6, 10);

            using var fresh = OptimizerFixture.Build(c, resumed);
            using (var loaded = OptimizerStateDict.FromTensors(flat, json, "optimizer."))
                loaded.LoadInto(fresh);
            foreach (var t in flat.Values) t.Dispose();
            OptimizerFixture.Run(fresh, resumed, 6, 10);

            foreach (var n in OptimizerFixture.Names)
                Assert.Equal(OptimizerFixture.Values(straightHalf[n]), OptimizerFixture.Values(resumed[n]));
        }
        finally
        {
            OptimizerFixture.DisposeAll(first);
            OptimizerFixture.DisposeAll(resumed);
            OptimizerFixture.DisposeAll(straightHalf);
        }
    }

    [Fact]
    public void ToJson_ThenFromTensors_PreservesHyperparametersBitExactly()
    {
        using var p = new Parameter(torch.zeros(3));
        using var opt = new Adam(new[] { p }, lr: 0.1 + 0.2, beta1: 0.9, beta2: 1 - 1e-9, eps: 1e-12);
        using var sd = OptimizerStateDict.Capture(opt);
        using var back = OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(), sd.ToJson(indented: true));
        var g = Assert.Single(back.ParamGroups);
        Assert.Equal(0.1 + 0.2, g["lr"]);
        Assert.Equal((0.9, 1 - 1e-9), g["betas"]);
        Assert.Equal(1e-12, g["eps"]);
        Assert.Equal(false, g["amsgrad"]);
        Assert.Equal(new[] { "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize" }, g.Hyperparameters.Select(kv => kv.Key));
    }

    [Fact]
    public void Capture_ParameterWithoutGrad_HasNoState()
    {
        using var a = new Parameter(torch.tensor(new float[] { 1, 2 }));
        using var b = new Parameter(torch.tensor(new float[] { 3, 4 }));
        using var opt = new Adam(new[] { a, b }, lr: 0.1);
        a.grad = torch.ones(2);
        opt.step();
        using var sd = OptimizerStateDict.Capture(opt);
        Assert.Equal(new[] { 0 }, sd.State.Keys);
        Assert.Equal(1f, sd.State[0]["step"].item<float>());
        Assert.Equal(new float[] { 3, 4 }, TestData.Values(b));
    }

    [Fact]
    public void LoadInto_DifferentGroupCount_ThrowsWithKey()
    {
        using var a = new Parameter(torch.zeros(2));
        using var b = new Parameter(torch.zeros(2));
        using var one = new Adam(new[] { a, b });
        using var two = new Adam(new[] { new Adam.ParamGroup(new[] { a }, new Adam.Options()), new Adam.ParamGroup(new[] { b }, new Adam.Options()) });
        using var sd = OptimizerStateDict.Capture(two);
        var e = Assert.Throws<OptimizerStateException>(() => sd.LoadInto(one));
        Assert.Equal("param_groups", e.Key);
    }

    [Fact]
    public void LoadInto_StateShapeMismatch_ThrowsAndKeepsOldState()
    {
        using var a = new Parameter(torch.zeros(2));
        using var big = new Parameter(torch.zeros(3));
        using var src = new Adam(new[] { big });
        big.grad = torch.ones(3);
        src.step();
        using var sd = OptimizerStateDict.Capture(src);
        using var dst = new Adam(new[] { a }, lr: 0.5);
        var e = Assert.Throws<OptimizerStateException>(() => sd.LoadInto(dst));
        Assert.StartsWith("state.0.exp_a", e.Key);
        using var after = OptimizerStateDict.Capture(dst);
        Assert.Empty(after.State);
        Assert.Equal(0.5, OptimizerGroups.Of(dst)[0].LearningRate);
    }

    [Fact]
    public void LoadInto_WrongOptimizerStateNames_ThrowsNamingTheEntry()
    {
        using var p = new Parameter(torch.zeros(2));
        using var adam = new Adam(new[] { p });
        p.grad = torch.ones(2);
        adam.step();
        using var sd = OptimizerStateDict.Capture(adam);
        using var q = new Parameter(torch.zeros(2));
        using var sgd = new SGD(new[] { q }, 0.1, momentum: 0.9);
        var e = Assert.Throws<OptimizerStateException>(() => sd.LoadInto(sgd));
        Assert.StartsWith("param_groups.0.", e.Key); // Adam's hyperparameters are not SGD's
    }

    [Fact]
    public void FromTensors_MalformedKey_Throws()
    {
        using var t = torch.zeros(1);
        var e = Assert.Throws<OptimizerStateException>(() =>
            OptimizerStateDict.FromTensors(new Dictionary<string, Tensor> { ["state.x.exp_avg"] = t }, "{\"param_groups\":[{\"lr\":1,\"params\":[0]}]}"));
        Assert.Equal("state.x.exp_avg", e.Key);
    }

    [Fact]
    public void FromTensors_InvalidJson_ThrowsWithPosition()
    {
        var e = Assert.Throws<OptimizerStateException>(() => OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(), "{\"param_groups\": [ {\"lr\": }"));
        Assert.Contains("line", e.Message);
    }

    [Fact]
    public void LoadInto_InvalidSavedHyperparameter_ThrowsAndKeepsLr()
    {
        using var p = new Parameter(torch.zeros(1));
        using var opt = new Adam(new[] { p });
        using var sd = OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(),
            "{\"param_groups\":[{\"lr\":-1,\"betas\":[0.9,0.999],\"eps\":1e-8,\"weight_decay\":0,\"amsgrad\":false,\"maximize\":false,\"params\":[0]}]}");
        var e = Assert.Throws<OptimizerStateException>(() => sd.LoadInto(opt));
        Assert.Equal("param_groups.0.lr", e.Key);
        Assert.Equal(1e-3, OptimizerGroups.Of(opt)[0].LearningRate);
    }

    [Fact]
    public void LoadInto_MissingAmsgradMaximum_Throws()
    {
        using var p = new Parameter(torch.zeros(2));
        using var opt = new Adam(new[] { p }, amsgrad: true);
        using var z = torch.zeros(2);
        using var step = torch.tensor(3f);
        using var sd = OptimizerStateDict.FromTensors(new Dictionary<string, Tensor> { ["state.0.step"] = step, ["state.0.exp_avg"] = z, ["state.0.exp_avg_sq"] = z },
            "{\"param_groups\":[{\"lr\":0.001,\"betas\":[0.9,0.999],\"eps\":1e-8,\"weight_decay\":0,\"amsgrad\":true,\"maximize\":false,\"params\":[0]}]}");
        var e = Assert.Throws<OptimizerStateException>(() => sd.LoadInto(opt));
        Assert.Equal("state.0.max_exp_avg_sq", e.Key);
    }
}
