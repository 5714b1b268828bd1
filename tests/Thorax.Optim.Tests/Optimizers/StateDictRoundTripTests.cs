namespace Thorax.Optim.Tests.Optimizers;

/// <summary>Train 5 steps, save through the flat checkpoint form, load into a fresh optimiser, 5 more == 10 straight.</summary>
public sealed class StateDictRoundTripTests
{
    public static IEnumerable<object[]> Cases() => new[]
    {
        new object[] { "sgd_momentum" }, new object[] { "sgd_two_groups" }, new object[] { "adam_amsgrad_wd" },
        new object[] { "adam_two_groups" }, new object[] { "adamw_maximize_groups" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadStateDict_SavedAfter5Steps_Next5StepsEqual10StraightSteps(string name)
    {
        var c = OptimizerFixture.Case(name);
        var straight = OptimizerFixture.Parameters();
        var first = OptimizerFixture.Parameters();
        Dictionary<string, Tensor>? resumed = null;
        try
        {
            using (var opt = OptimizerFixture.Build(c, straight)) OptimizerFixture.Run(opt, straight, 1, 10);

            string json;
            Dictionary<string, Tensor> flat;
            using (var opt = OptimizerFixture.Build(c, first))
            {
                OptimizerFixture.Run(opt, first, 1, 5);
                opt.ParamGroups[0].Lr *= 0.5; // a hyperparameter change must travel with the checkpoint
                using var sd = opt.StateDict();
                json = sd.ToJson();
                flat = sd.ToTensors("optimizer.");
                foreach (var t in flat.Values) t.DetachFromScope();
            }

            // Fresh parameters holding the values after step 5, as if read back from a weights file.
            resumed = OptimizerFixture.Parameters();
            foreach (var n in OptimizerFixture.Names)
                using (Torch.NoGrad()) resumed[n].Copy_(first[n]);

            var straightHalf = OptimizerFixture.Parameters();
            try
            {
                using var halfOpt = OptimizerFixture.Build(c, straightHalf);
                OptimizerFixture.Run(halfOpt, straightHalf, 1, 5);
                halfOpt.ParamGroups[0].Lr *= 0.5;
                OptimizerFixture.Run(halfOpt, straightHalf, 6, 10);

                using var fresh = OptimizerFixture.Build(c, resumed);
                using (var loaded = OptimizerStateDict.FromTensors(flat, json, "optimizer."))
                    fresh.LoadStateDict(loaded);
                foreach (var t in flat.Values) t.Dispose();
                OptimizerFixture.Run(fresh, resumed, 6, 10);

                foreach (var n in OptimizerFixture.Names)
                    Assert.Equal(straightHalf[n].ToArray<float>(), resumed[n].ToArray<float>());
            }
            finally
            {
                OptimizerFixture.DisposeAll(straightHalf);
            }
        }
        finally
        {
            OptimizerFixture.DisposeAll(straight);
            OptimizerFixture.DisposeAll(first);
            if (resumed is not null) OptimizerFixture.DisposeAll(resumed);
        }
    }

    [Fact]
    public void LoadStateDict_Unmodified_Next5StepsEqual10StraightSteps()
    {
        var c = OptimizerFixture.Case("adamw_amsgrad");
        var straight = OptimizerFixture.Parameters();
        var resumed = OptimizerFixture.Parameters();
        try
        {
            using (var opt = OptimizerFixture.Build(c, straight)) OptimizerFixture.Run(opt, straight, 1, 10);
            OptimizerStateDict saved;
            using (var opt = OptimizerFixture.Build(c, resumed))
            {
                OptimizerFixture.Run(opt, resumed, 1, 5);
                var live = opt.StateDict();
                saved = OptimizerStateDict.FromTensors(live.ToTensors(), live.ToJson());
                live.Dispose();
            }
            using (saved)
            using (var fresh = OptimizerFixture.Build(c, resumed))
            {
                fresh.LoadStateDict(saved);
                OptimizerFixture.Run(fresh, resumed, 6, 10);
            }
            foreach (var n in OptimizerFixture.Names)
                Assert.Equal(straight[n].ToArray<float>(), resumed[n].ToArray<float>());
        }
        finally
        {
            OptimizerFixture.DisposeAll(straight);
            OptimizerFixture.DisposeAll(resumed);
        }
    }

    [Fact]
    public void ToJson_ThenFromTensors_PreservesHyperparametersBitExactly()
    {
        using var p = Torch.Zeros(3).RequiresGrad_();
        using var opt = new Adam(new[] { new ParamGroup(new[] { p }).Set("lr", 0.1 + 0.2) }, new AdamOptions { Betas = (0.9, 1 - 1e-9), Eps = 1e-12 });
        using var sd = opt.StateDict();
        using var back = OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(), sd.ToJson(indented: true));
        var g = Assert.Single(back.ParamGroups);
        Assert.Equal(0.1 + 0.2, g["lr"]);
        Assert.Equal((0.9, 1 - 1e-9), g["betas"]);
        Assert.Equal(1e-12, g["eps"]);
        Assert.Equal(false, g["amsgrad"]);
        Assert.Equal(new[] { "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize" }, g.Hyperparameters.Select(kv => kv.Key));
    }
}
