using System.Text.Json;
using Thorax.Nn;
using Thorax.TorchTests;
using Thorax.TorchTests.Golden;
using F = Thorax.Functional;

namespace Thorax.Training.Tests.Swa;

/// <summary>
/// The conv-BN net of tools/golden/swa/make_swa_golden.py: conv1(1→4, bias) - bn1 - relu - conv2(4→4, no bias) -
/// bn2(momentum 0.3) - relu - maxpool 2 - fc(64→3).
/// </summary>
internal sealed class SwaGoldenNet : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly Conv2d _conv2;
    private readonly BatchNorm2d _bn2;
    private readonly Linear _fc;

    public SwaGoldenNet()
    {
        _conv1 = RegisterModule("conv1", new Conv2d(1, 4, 3, padding: 1));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(4));
        _conv2 = RegisterModule("conv2", new Conv2d(4, 4, 3, padding: 1, bias: false));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(4, momentum: 0.3));
        _fc = RegisterModule("fc", new Linear(64, 3));
    }

    public BatchNorm2d Bn2 => _bn2;

    protected override Tensor ForwardCore(Tensor x)
    {
        var h = _bn1.Forward(_conv1.Forward(x)).Relu();
        h = _bn2.Forward(_conv2.Forward(h)).Relu();
        return _fc.Forward(F.MaxPool2d(h, 2).Flatten(1));
    }
}

/// <summary>SwaAveragedModel and update_bn against torch.optim.swa_utils (PyTorch 1.13).</summary>
public class SwaAveragedModelTests
{
    internal static JsonElement Golden() => JsonDocument.Parse(File.ReadAllBytes(TestPaths.Golden("swa/swa_averaged_model.json"))).RootElement;

    internal static Dictionary<string, Tensor> ReadState(JsonElement e)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var p in e.EnumerateObject()) d[p.Name] = GoldenTensor.Read(p.Value);
        return d;
    }

    private static void AssertState(JsonElement expected, StateDict actual, string what)
    {
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).ToArray(), actual.Keys.ToArray());
        foreach (var (k, t) in actual) GoldenTensor.AssertClose(expected.GetProperty(k), t, $"{what} {k}", rtol: 1e-5, atol: 1e-7);
    }

    [Fact]
    public void ThreeEpochsThenUpdateBatchNorm_MatchesPyTorchAveragedModelAndUpdateBn()
    {
        var g = Golden();
        using var scope = Torch.NewScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(ReadState).ToArray();
        using var net = new SwaGoldenNet();
        net.LoadStateDict(epochs[0]);
        using var swa = new SwaAveragedModel<SwaGoldenNet>(net, () => new SwaGoldenNet());
        Assert.Equal(0, swa.NAveraged);
        foreach (var sd in epochs)
        {
            net.LoadStateDict(sd);
            swa.UpdateParameters(net);
        }
        Assert.Equal(3, swa.NAveraged);
        using (var sd = swa.StateDict()) AssertState(g.GetProperty("averaged_before_update_bn"), sd, "before update_bn");

        var batches = g.GetProperty("batches").EnumerateArray().Select(GoldenTensor.Read).ToList();
        Assert.True(swa.Averaged.IsTraining);
        Assert.Equal(3, StochasticWeightAveraging.UpdateBatchNorm(swa.Averaged, batches));
        using (var sd = swa.StateDict()) AssertState(g.GetProperty("averaged_after_update_bn"), sd, "after update_bn");
        Assert.True(swa.Averaged.IsTraining);
        Assert.Equal(0.3, swa.Averaged.Bn2.Momentum);

        swa.Averaged.Eval();
        using (Torch.NoGrad()) GoldenTensor.AssertClose(g.GetProperty("eval_output_batch0"), swa.Averaged.Forward(batches[0]), "eval output", rtol: 1e-5, atol: 1e-6);
    }

    [Fact]
    public void UseBuffers_AveragesBuffersToo_MatchesPyTorch()
    {
        var g = Golden();
        using var scope = Torch.NewScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(ReadState).ToArray();
        using var net = new SwaGoldenNet();
        net.LoadStateDict(epochs[0]);
        using var swa = new SwaAveragedModel<SwaGoldenNet>(net, () => new SwaGoldenNet(), useBuffers: true);
        foreach (var sd in epochs)
        {
            net.LoadStateDict(sd);
            swa.UpdateParameters(net);
        }
        using var state = swa.StateDict();
        AssertState(g.GetProperty("averaged_use_buffers"), state, "use_buffers");
        Assert.Equal(21, state["module.bn1.num_batches_tracked"].ItemInt64()); // 10, 20, 35 -> 15 -> trunc(21.67)
    }

    [Fact]
    public void UpdateParameters_ClosedForm_IsTheMeanOfTheSnapshots()
    {
        using var scope = Torch.NewScope();
        using var lin = new Linear(2, 1);
        using var swa = new SwaAveragedModel<Linear>(lin, () => new Linear(2, 1));
        var ws = new[] { new[] { 1f, 2f }, new[] { 3f, -2f }, new[] { 8f, 6f }, new[] { 0f, 2f } };
        foreach (var w in ws)
        {
            using (Torch.NoGrad()) lin.Weight.Copy_(Torch.FromArray(w, 1, 2));
            swa.UpdateParameters(lin);
        }
        Assert.Equal(new[] { 3f, 2f }, swa.Averaged.Weight.ToArray<float>());
        Assert.Equal(4, swa.NAveraged);
    }

    [Fact]
    public void OnEpochEnd_WithSchedule_AveragesOnlyScheduledEpochs()
    {
        using var scope = Torch.NewScope();
        using var lin = new Linear(1, 1, bias: false);
        using var swa = new SwaAveragedModel<Linear>(lin, () => new Linear(1, 1, bias: false), schedule: SwaSchedule.AtEpochs(13, 14, 15, 16));
        var averaged = new List<int>();
        for (var epoch = 1; epoch <= 20; epoch++)
        {
            using (Torch.NoGrad()) lin.Weight.Fill_(epoch);
            if (swa.OnEpochEnd(epoch, lin)) averaged.Add(epoch);
        }
        Assert.Equal(new[] { 13, 14, 15, 16 }, averaged);
        Assert.Equal(14.5f, swa.Averaged.Weight.Item(), 6);
        using var plain = new SwaAveragedModel<Linear>(lin, () => new Linear(1, 1, bias: false));
        Assert.Throws<InvalidOperationException>(() => plain.OnEpochEnd(1, lin));
    }

    [Fact]
    public void UpdateParameters_OtherArchitecture_ThrowsNamingTheEntry()
    {
        using var scope = Torch.NewScope();
        using var lin = new Linear(2, 1);
        using var swa = new SwaAveragedModel<Linear>(lin, () => new Linear(2, 1));
        using var other = new Linear(3, 1);
        var e = Assert.Throws<ArgumentException>(() => swa.UpdateParameters(other));
        Assert.Contains("weight", e.Message);
        Assert.Throws<StateDictException>(() => new SwaAveragedModel<Linear>(lin, () => new Linear(3, 1)));
    }
}
