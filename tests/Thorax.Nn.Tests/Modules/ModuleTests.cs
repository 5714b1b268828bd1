using Thorax.Nn.Tests.Support;

namespace Thorax.Nn.Tests.Modules;

public sealed class ModuleTests
{
    private sealed class Block : Module<Tensor, Tensor>
    {
        public Block()
        {
            Conv1 = RegisterModule("conv1", new Conv2d(2, 3, 3, padding: 1));
            Norm1 = RegisterModule("norm1", new BatchNorm2d(3));
            Head = RegisterModule("head", new Sequential(new Flatten(), new Linear(3 * 4 * 4, 2)));
            RegisterBuffer("scratch", Torch.Zeros(2), persistent: false);
        }

        public Conv2d Conv1 { get; }
        public BatchNorm2d Norm1 { get; }
        public Sequential Head { get; }

        protected override Tensor ForwardCore(Tensor input)
        {
            using var a = Conv1.Forward(input);
            using var b = Norm1.Forward(a);
            using var c = b.Relu();
            return Head.Forward(c);
        }
    }

    [Fact]
    public void NamedParameters_NestedModules_UsePyTorchDottedNames()
    {
        using var m = new Block();
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "norm1.weight", "norm1.bias", "head.1.weight", "head.1.bias" },
            m.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(new[] { "scratch", "norm1.running_mean", "norm1.running_var", "norm1.num_batches_tracked" },
            m.NamedBuffers().Select(p => p.Name).ToArray());
        Assert.Equal(new[] { "", "conv1", "norm1", "head", "head.0", "head.1" }, m.NamedModules().Select(p => p.Name).ToArray());
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void StateDict_Block_HasParametersAndPersistentBuffersInOrder()
    {
        using var m = new Block();
        using var sd = m.StateDict();
        Assert.Equal(new[]
        {
            "conv1.weight", "conv1.bias", "norm1.weight", "norm1.bias", "norm1.running_mean", "norm1.running_var",
            "norm1.num_batches_tracked", "head.1.weight", "head.1.bias",
        }, sd.Keys.ToArray());
        var nbt = sd["norm1.num_batches_tracked"];
        Assert.Multiple(() => Assert.Equal(DType.Int64, nbt.DType), () => Assert.Equal(0, nbt.Dim), () => Assert.Equal(0, nbt.ItemInt64()));
    }

    [Fact]
    public void LoadStateDict_RoundTrip_CopiesValuesInPlace()
    {
        using var a = new Block();
        using var b = new Block();
        var weightBefore = b.Conv1.Weight;
        using (var sd = a.StateDict()) b.LoadStateDict(sd);
        Assert.Same(weightBefore, b.Conv1.Weight);
        Assert.True(a.Conv1.Weight.Equal(b.Conv1.Weight));
        Assert.True(b.Conv1.Weight.RequiresGrad);
    }

    [Fact]
    public void LoadStateDict_StrictWithProblems_ThrowsListingEveryKeyAndLeavesModuleUnchanged()
    {
        using var m = new Linear(4, 2);
        using var before = m.Weight.Clone();
        using var sd = new StateDict { { "weight", Torch.Ones(3, 4) }, { "extra", Torch.Zeros(1) } };
        var ex = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        Assert.Contains("\"bias\"", ex.Message);
        Assert.Contains("\"extra\"", ex.Message);
        Assert.Contains("weight: expected [2, 4] torch.float32, got [3, 4] torch.float32", ex.Message);
        Assert.Equal(new[] { "bias" }, ex.Result.MissingKeys);
        Assert.True(m.Weight.Equal(before));
    }

    [Fact]
    public void LoadStateDict_NonStrict_CopiesMatchesAndReportsTheRest()
    {
        using var m = new Linear(4, 2);
        using var sd = new StateDict { { "weight", Torch.Ones(2, 4) }, { "extra", Torch.Zeros(1) } };
        var r = m.LoadStateDict(sd, strict: false);
        Assert.Equal(new[] { "bias" }, r.MissingKeys);
        Assert.Equal(new[] { "extra" }, r.UnexpectedKeys);
        Assert.Empty(r.Mismatches);
        Assert.Equal(8.0, m.Weight.Sum().Item());
    }

    [Fact]
    public void LoadStateDict_IntegerIntoFloat_IsAMismatch()
    {
        using var m = new Linear(2, 1);
        using var sd = new StateDict { { "weight", Torch.Ones(new long[] { 1, 2 }, DType.Int64) }, { "bias", Torch.Zeros(1) } };
        var r = m.LoadStateDict(sd, strict: false);
        Assert.Equal("weight", Assert.Single(r.Mismatches).Key);
    }

    [Fact]
    public void TrainEval_PropagatesToDescendants()
    {
        using var m = new Block();
        m.Eval();
        Assert.All(m.NamedModules(), x => Assert.False(x.Module.IsTraining));
        m.Train();
        Assert.All(m.NamedModules(), x => Assert.True(x.Module.IsTraining));
    }

    [Fact]
    public void ToDType_ReplacesFloatTensorsAndKeepsIntegerBuffers()
    {
        using var m = new Block();
        var old = m.Conv1.Weight;
        m.To(DType.Float64);
        Assert.Multiple(
            () => Assert.True(old.IsDisposed),
            () => Assert.Equal(DType.Float64, m.Conv1.Weight.DType),
            () => Assert.True(m.Conv1.Weight.RequiresGrad),
            () => Assert.Equal(DType.Float64, m.Norm1.RunningMean!.DType),
            () => Assert.Equal(DType.Int64, m.Norm1.NumBatchesTracked!.DType),
            () => Assert.All(m.Parameters(), p => Assert.Equal(DType.Float64, p.DType)));
        using var y = m.Forward(Torch.Randn(new long[] { 1, 2, 4, 4 }, dtype: DType.Float64));
        Assert.Equal(new long[] { 1, 2 }, y.Shape);
    }

    [Fact]
    public void ToDevice_SameDevice_KeepsTensors()
    {
        using var m = new Linear(3, 2);
        var w = m.Weight;
        m.To(Device.Cpu);
        Assert.Same(w, m.Weight);
    }

    [Fact]
    public void ZeroGrad_AfterBackward_ClearsGradients()
    {
        using var m = new Linear(3, 2);
        using (var s = Torch.NewScope()) m.Forward(Torch.Ones(1, 3)).Sum().Backward();
        using (var g = m.Weight.Grad) Assert.NotNull(g);
        m.ZeroGrad();
        Assert.Null(m.Weight.Grad);
    }

    [Fact]
    public void ForwardHooks_CaptureActivationsOfChildren_AndRemoveOnDispose()
    {
        using var m = new Block();
        long[]? seen = null;
        var pre = 0;
        var hook = m.Norm1.RegisterForwardHook((_, _, output) => seen = output.Shape);
        using (m.Conv1.RegisterForwardPreHook((_, _) => pre++))
        using (var s = Torch.NewScope()) m.Forward(Torch.Randn(2, 2, 4, 4));
        Assert.Equal(new long[] { 2, 3, 4, 4 }, seen);
        Assert.Equal(1, pre);
        hook.Dispose();
        seen = null;
        using (var s = Torch.NewScope()) m.Forward(Torch.Randn(2, 2, 4, 4));
        Assert.Null(seen);
        Assert.Equal(1, pre);
    }

    [Fact]
    public void Dispose_FreesEveryOwnedTensor()
    {
        var before = Tensor.LiveCount;
        var m = new Block();
        Assert.True(Tensor.LiveCount > before);
        var ps = m.Parameters().ToList();
        m.Dispose();
        Assert.All(ps, p => Assert.True(p.IsDisposed));
        Assert.All(m.Buffers(), b => Assert.True(b.IsDisposed));
    }

    [Fact]
    public void Parameters_CreatedInsideScope_SurviveTheScope()
    {
        Linear m;
        using (var s = Torch.NewScope()) m = new Linear(2, 2);
        using (m) Assert.False(m.Weight.IsDisposed);
    }

    [Fact]
    public void RegisterModule_DuplicateOrDottedName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ModuleDict(("a", new Relu()), ("a", new Tanh())));
        Assert.Throws<ArgumentException>(() => new ModuleDict(("a.b", new Relu())));
    }

    [Fact]
    public void ModuleList_KeysAreIndices()
    {
        using var l = new ModuleList(new Linear(2, 2), new Linear(2, 1));
        using var sd = l.StateDict();
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias" }, sd.Keys.ToArray());
        Assert.Equal(2, l.Count);
    }

    [Fact]
    public void GetSubmodule_DottedPath_FindsDescendant()
    {
        using var m = new Block();
        Assert.IsType<Linear>(m.GetSubmodule("head.1"));
        Assert.Throws<KeyNotFoundException>(() => m.GetSubmodule("head.7"));
    }
}
