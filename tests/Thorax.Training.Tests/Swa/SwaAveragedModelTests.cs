using System.Text.Json;
using Thorax.Models.Weights;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Thorax.Training.Tests.Swa;

/// <summary>
/// The conv-BN net of tools/golden/swa/make_swa_golden.py: conv1(1→4, bias) - bn1 - relu - conv2(4→4, no bias) -
/// bn2(momentum 0.3) - relu - maxpool 2 - fc(64→3).
/// </summary>
internal sealed class SwaGoldenNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Linear fc;

    public SwaGoldenNet() : base(nameof(SwaGoldenNet))
    {
        conv1 = Conv2d(1, 4, 3, padding: 1);
        bn1 = BatchNorm2d(4);
        conv2 = Conv2d(4, 4, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(4, momentum: 0.3);
        fc = Linear(64, 3);
        RegisterComponents();
    }

    public BatchNorm2d Bn2 => bn2;

    public override Tensor forward(Tensor x)
    {
        var h = bn1.call(conv1.call(x)).relu();
        h = bn2.call(conv2.call(h)).relu();
        return fc.call(functional.max_pool2d(h, 2).flatten(1));
    }
}

/// <summary>SwaAveragedModel and update_bn against torch.optim.swa_utils (PyTorch 1.13).</summary>
public class SwaAveragedModelTests
{
    internal static JsonElement Golden() => TestData.Load("swa/swa_averaged_model.json");

    internal static Dictionary<string, Tensor> ReadState(JsonElement e)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var p in e.EnumerateObject()) d[p.Name] = TestData.ReadTensor(p.Value);
        return d;
    }

    /// <summary>Same keys (TorchSharp orders a state dict parameters-first, PyTorch module by module) and values.</summary>
    private static void AssertState(JsonElement expected, Dictionary<string, Tensor> actual, string what)
    {
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(), actual.Keys.Order());
        foreach (var (k, t) in actual) TestData.AssertClose(expected.GetProperty(k), t, $"{what} {k}", rtol: 1e-5, atol: 1e-7);
    }

    [Fact]
    public void ThreeEpochsThenUpdateBatchNorm_MatchesPyTorchAveragedModelAndUpdateBn()
    {
        var g = Golden();
        using var scope = torch.NewDisposeScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(ReadState).ToArray();
        using var net = new SwaGoldenNet();
        StateDicts.Load(net, epochs[0]);
        using var swa = new SwaAveragedModel<SwaGoldenNet>(net, () => new SwaGoldenNet());
        Assert.Equal(0, swa.NAveraged);
        foreach (var sd in epochs)
        {
            StateDicts.Load(net, sd);
            swa.UpdateParameters(net);
        }
        Assert.Equal(3, swa.NAveraged);
        AssertState(g.GetProperty("averaged_before_update_bn"), swa.state_dict(), "before update_bn");

        var batches = g.GetProperty("batches").EnumerateArray().Select(TestData.ReadTensor).ToList();
        Assert.True(swa.Averaged.training);
        Assert.Equal(3, StochasticWeightAveraging.UpdateBatchNorm(swa.Averaged, batches));
        AssertState(g.GetProperty("averaged_after_update_bn"), swa.state_dict(), "after update_bn");
        Assert.True(swa.Averaged.training);
        Assert.Equal(0.3, swa.Averaged.Bn2.momentum);

        swa.Averaged.eval();
        using (torch.no_grad()) TestData.AssertClose(g.GetProperty("eval_output_batch0"), swa.Averaged.call(batches[0]), "eval output", rtol: 1e-5, atol: 1e-6);
    }

    [Fact]
    public void UseBuffers_AveragesBuffersToo_MatchesPyTorch()
    {
        var g = Golden();
        using var scope = torch.NewDisposeScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(ReadState).ToArray();
        using var net = new SwaGoldenNet();
        StateDicts.Load(net, epochs[0]);
        using var swa = new SwaAveragedModel<SwaGoldenNet>(net, () => new SwaGoldenNet(), useBuffers: true);
        foreach (var sd in epochs)
        {
            StateDicts.Load(net, sd);
            swa.UpdateParameters(net);
        }
        var state = swa.state_dict();
        AssertState(g.GetProperty("averaged_use_buffers"), state, "use_buffers");
        Assert.Equal(21, state["module.bn1.num_batches_tracked"].item<long>()); // 10, 20, 35 -> 15 -> trunc(21.67)
    }

    [Fact]
    public void UpdateParameters_ClosedForm_IsTheMeanOfTheSnapshots()
    {
        using var scope = torch.NewDisposeScope();
        using var lin = Linear(2, 1);
        using var swa = new SwaAveragedModel<Linear>(lin, () => Linear(2, 1));
        var ws = new[] { new[] { 1f, 2f }, new[] { 3f, -2f }, new[] { 8f, 6f }, new[] { 0f, 2f } };
        foreach (var w in ws)
        {
            using (torch.no_grad()) lin.weight!.copy_(torch.tensor(w, new long[] { 1, 2 }));
            swa.UpdateParameters(lin);
        }
        Assert.Equal(new[] { 3f, 2f }, TestData.Values(swa.Averaged.weight!));
        Assert.Equal(4, swa.NAveraged);
    }

    [Fact]
    public void OnEpochEnd_WithSchedule_AveragesOnlyScheduledEpochs()
    {
        using var scope = torch.NewDisposeScope();
        using var lin = Linear(1, 1, hasBias: false);
        using var swa = new SwaAveragedModel<Linear>(lin, () => Linear(1, 1, hasBias: false), schedule: SwaSchedule.AtEpochs(13, 14, 15, 16));
        var averaged = new List<int>();
        for (var epoch = 1; epoch <= 20; epoch++)
        {
            using (torch.no_grad()) lin.weight!.fill_(epoch);
            if (swa.OnEpochEnd(epoch, lin)) averaged.Add(epoch);
        }
        Assert.Equal(new[] { 13, 14, 15, 16 }, averaged);
        Assert.Equal(14.5f, swa.Averaged.weight!.item<float>(), 6);
        using var plain = new SwaAveragedModel<Linear>(lin, () => Linear(1, 1, hasBias: false));
        Assert.Throws<InvalidOperationException>(() => plain.OnEpochEnd(1, lin));
    }

    [Fact]
    public void UpdateParameters_OtherArchitecture_ThrowsNamingTheEntry()
    {
        using var scope = torch.NewDisposeScope();
        using var lin = Linear(2, 1);
        using var swa = new SwaAveragedModel<Linear>(lin, () => Linear(2, 1));
        using var other = Linear(3, 1);
        var e = Assert.Throws<ArgumentException>(() => swa.UpdateParameters(other));
        Assert.Contains("weight", e.Message);
        e = Assert.Throws<ArgumentException>(() => new SwaAveragedModel<Linear>(lin, () => Linear(3, 1)));
        Assert.Contains("weight", e.Message);
        Assert.Equal("factory", e.ParamName);
    }
}
