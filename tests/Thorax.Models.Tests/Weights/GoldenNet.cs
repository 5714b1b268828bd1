using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// The small net of make_nn_goldens.py with PyTorch's key names: <c>features.conv0/norm0/relu0/pool0</c> (a Sequential
/// with named children) and <c>classifier</c>; 1×8×8 input, 3 outputs.
/// </summary>
internal sealed class GoldenNet : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _features;
    private readonly Linear _classifier;

    public GoldenNet() : base(nameof(GoldenNet))
    {
        _features = nn.Sequential(
            ("conv0", nn.Conv2d(1, 4, 3, padding: 1)), ("norm0", nn.BatchNorm2d(4)), ("relu0", nn.ReLU()), ("pool0", nn.MaxPool2d(2)));
        _classifier = nn.Linear(4 * 4 * 4, 3);
        register_module("features", _features);
        register_module("classifier", _classifier);
    }

    public override Tensor forward(Tensor input)
    {
        using var f = _features.forward(input);
        using var flat = f.flatten(1);
        return _classifier.forward(flat);
    }

    /// <summary>Asserts that <paramref name="sd"/> has net.json's keys and, loaded into a GoldenNet, reproduces PyTorch's eval output.</summary>
    public static void AssertMatchesPyTorch(IReadOnlyDictionary<string, Tensor> sd, bool keysInFileOrder = true)
    {
        using var doc = WeightGolden.Json("net.json");
        var keys = doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToArray();
        if (keysInFileOrder) Assert.Equal(keys, sd.Keys.ToArray());
        else Assert.Equal(keys.Order(StringComparer.Ordinal), sd.Keys.Order(StringComparer.Ordinal));
        using var scope = torch.NewDisposeScope();
        using var net = new GoldenNet();
        Assert.True(Thorax.Models.Weights.StateDicts.Load(net, sd).IsComplete);
        net.eval();
        using var noGrad = torch.no_grad();
        var y = net.forward(WeightGolden.Decode(doc.RootElement.GetProperty("input")));
        WeightGolden.AssertClose(WeightGolden.Decode(doc.RootElement.GetProperty("output")), y, "net output");
    }
}
