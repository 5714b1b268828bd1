using Xunit.Abstractions;
using System.Text.Json;
using Thorax.Models.Tests.Support;
using Thorax.Models.Vig;
using Thorax.Models.Weights;

namespace Thorax.Models.Tests.Vig;

/// <summary>Parity with huawei's vig_pytorch (pyramid and isotropic DeepGCN, reduced widths) on their own seeded
/// weights: tests/data/golden/gdvig/vig_reduced.json and *_reduced.pth from tools/golden/gdvig/make_gdvig_golden.py.</summary>
public class PyramidVigTests(ITestOutputHelper output)
{
    private static JsonDocument GoldenJson() => JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("gdvig", "vig_reduced.json")));

    private static Tensor Input(JsonElement root)
    {
        var x = WeightRecipe.Signed("input", 2, 3, 224, 224);
        // the input is rebuilt here, not read: its |sum| pins it to the script's
        Assert.Equal(root.GetProperty("input_abs_sum").GetDouble(), x.to_type(ScalarType.Float64).abs().sum().item<double>(), 6);
        return x;
    }

    [Fact]
    public void Pyramid_ReducedReferenceWeights_LogitsMatchReference_Float32AndFloat64()
    {
        using var doc = GoldenJson();
        var g = doc.RootElement.GetProperty("pyramid");
        using var scope = NewDisposeScope();
        var channels = g.GetProperty("channels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var blocks = g.GetProperty("blocks").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var net = new PyramidVig(new PyramidVigOptions(channels, blocks, g.GetProperty("num_classes").GetInt32()));
        net.eval();

        // relative_pos is recomputed (too large for the golden budget): loading reports exactly those keys missing
        var path = Golden.PathOf("gdvig", g.GetProperty("weights").GetString()!);
        var result = StateDicts.LoadFile(net, path, strict: false);
        var relKeys = g.GetProperty("relative_pos_keys").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(10, relKeys.Length); // one per block, blocks [2,2,4,2]
        Assert.Equal(relKeys.OrderBy(k => k), result.MissingKeys.OrderBy(k => k));
        Assert.Empty(result.UnexpectedKeys);
        Assert.Empty(result.Mismatches);

        var sd = net.state_dict();
        foreach (var p in g.GetProperty("relative_pos_shapes").EnumerateObject())
            Assert.Equal(p.Value.EnumerateArray().Select(e => e.GetInt64()), sd[p.Name].shape);
        foreach (var p in g.GetProperty("relative_pos_rows").EnumerateObject())
        {
            var rel = sd[p.Name];
            var rows = rel[0].index_select(0, tensor(new long[] { 0, 1, 57 % rel.shape[1], rel.shape[1] - 1 }));
            output.WriteLine($"{p.Name}: max |diff| {Golden.Decode(p.Value).sub(rows).abs().max().item<float>():G3}");
            Golden.AssertClose(Golden.Decode(p.Value), rows, p.Name, rtol: 1e-5, atol: 2e-6);
        }

        var x = Input(doc.RootElement);
        using (no_grad())
        {
            var y32 = net.call(x);
            net.to(ScalarType.Float64);
            var y64 = net.call(x.to_type(ScalarType.Float64));
            output.WriteLine($"pyramid: max rel error f32 {Parity.MaxRelative(Golden.Decode(g.GetProperty("logits_f32")), y32):G3}, f64 {Parity.MaxRelative(Golden.Decode(g.GetProperty("logits_f64")), y64):G3}");
            Golden.AssertClose(Golden.Decode(g.GetProperty("logits_f64")), y64, "pyramid logits f64", rtol: 1e-9, atol: 1e-12);
            // float32: one near-tie in a 196-node top-18 is decided the other way (found by comparing this port's own
            // float32 and float64 runs block by block: block 6 differs in 1 of 3528 neighbours, from float32 rounding of
            // the distance; the reference's float32 run happens to decide it like float64). One flipped neighbour moves
            // that node's max-relative feature by O(1), ~4% of the logits' scale by the end. So float32 parity is
            // checked on scale and class only; the float64 run above is the exact parity check.
            var e32 = Golden.Decode(g.GetProperty("logits_f32"));
            Assert.True(Parity.MaxRelative(e32, y32) < 0.15, $"pyramid float32 logits off by {Parity.MaxRelative(e32, y32):G3} of their scale");
            Assert.Equal(e32.argmax(1).data<long>().ToArray(), y32.argmax(1).data<long>().ToArray());
        }
    }

    [Fact]
    public void Pyramid_Float64Gradients_MatchReference()
    {
        // backward through the KNN graph (indices fixed, gradients through the gathered neighbours' max and the
        // grouped conv), the pooled keys, the stem and the head, against torch 1.13 in float64
        using var doc = GoldenJson();
        var g = doc.RootElement.GetProperty("pyramid");
        var gr = g.GetProperty("grads_f64");
        using var scope = NewDisposeScope();
        var channels = g.GetProperty("channels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var blocks = g.GetProperty("blocks").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var net = new PyramidVig(new PyramidVigOptions(channels, blocks, g.GetProperty("num_classes").GetInt32()));
        net.eval();
        StateDicts.LoadFile(net, Golden.PathOf("gdvig", g.GetProperty("weights").GetString()!), strict: false);
        net.to(ScalarType.Float64);
        var x = Input(doc.RootElement).to_type(ScalarType.Float64).requires_grad_(true);
        var c = arange(1, g.GetProperty("num_classes").GetInt32() + 1, dtype: ScalarType.Float64).mul_(0.1);
        net.call(x).mul(c).sum().backward();
        var ps = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var p in gr.GetProperty("params").EnumerateObject())
        {
            var expected = Golden.Decode(p.Value);
            output.WriteLine($"{p.Name}: grad max rel error {Parity.MaxRelative(expected, ps[p.Name].grad!):G3}");
            Golden.AssertClose(expected, ps[p.Name].grad!, "grad " + p.Name, rtol: 1e-7, atol: 1e-9 * expected.abs().max().item<double>());
        }
        Assert.Equal(1.0, x.grad!.abs().sum().item<double>() / gr.GetProperty("input_abs_sum").GetDouble(), 7);
        var row = Golden.Decode(gr.GetProperty("input_row"));
        Golden.AssertClose(row, x.grad![1, 2, 100], "input grad row", rtol: 1e-7, atol: 1e-9 * row.abs().max().item<double>());
    }

    [Fact]
    public void Isotropic_ReducedReferenceWeights_LoadStrictly_LogitsMatchReference()
    {
        using var doc = GoldenJson();
        var g = doc.RootElement.GetProperty("isotropic");
        using var scope = NewDisposeScope();
        using var net = new IsotropicVig(g.GetProperty("channels").GetInt32(), g.GetProperty("blocks").GetInt32(), g.GetProperty("num_classes").GetInt32());
        net.eval();
        Assert.Equal(new[] { 9, 10, 11, 12, 14, 15, 16, 18 }, net.Blocks.Select(b => b.Grapher.GraphConv.K));
        Assert.Equal(new[] { 1, 1, 1, 1, 2, 2, 2, 2 }, net.Blocks.Select(b => b.Grapher.GraphConv.Dilation));
        StateDicts.LoadFile(net, Golden.PathOf("gdvig", g.GetProperty("weights").GetString()!));
        var x = Input(doc.RootElement);
        using (no_grad())
        {
            var y32 = net.call(x);
            net.to(ScalarType.Float64);
            var y64 = net.call(x.to_type(ScalarType.Float64));
            output.WriteLine($"isotropic: max rel error f32 {Parity.MaxRelative(Golden.Decode(g.GetProperty("logits_f32")), y32):G3}, f64 {Parity.MaxRelative(Golden.Decode(g.GetProperty("logits_f64")), y64):G3}");
            Golden.AssertClose(Golden.Decode(g.GetProperty("logits_f64")), y64, "isotropic logits f64", rtol: 1e-9, atol: 1e-12);
            Golden.AssertClose(Golden.Decode(g.GetProperty("logits_f32")), y32, "isotropic logits f32", rtol: 1e-4, atol: 1e-6);
        }
    }

    [Fact]
    public void Presets_HaveReferenceShapes_AndKeyNames()
    {
        using var ti = new PyramidVig(PyramidVigOptions.Tiny());
        var sd = ti.state_dict();
        Assert.Equal(new long[] { 1, 48, 56, 56 }, sd["pos_embed"].shape);
        Assert.Equal(new long[] { 24, 3, 3, 3 }, sd["stem.convs.0.weight"].shape);
        Assert.Equal(new long[] { 96, 24, 1, 1 }, sd["backbone.0.0.graph_conv.gconv.nn.0.weight"].shape);
        Assert.Equal(new long[] { 1, 3136, 196 }, sd["backbone.0.0.relative_pos"].shape);
        Assert.Equal(new long[] { 1, 784, 196 }, sd["backbone.3.0.relative_pos"].shape);
        Assert.Equal(new long[] { 96, 48, 3, 3 }, sd["backbone.2.conv.0.weight"].shape);
        Assert.Equal(new long[] { 192, 48, 1, 1 }, sd["backbone.0.1.fc1.0.weight"].shape);
        Assert.Equal(new long[] { 1000, 1024, 1, 1 }, sd["prediction.4.weight"].shape);
        Assert.Equal(new[] { 1, 4, 11, 14 }, ti.StageEnds);
        var dil = ti.Backbone.OfType<VigBlock>().Select(b => b.Grapher.GraphConv.Dilation).ToArray();
        Assert.Equal(new[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, dil);
        Assert.Equal(new[] { 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1 }, ti.Backbone.OfType<VigBlock>().Select(b => b.Grapher.GraphConv.ReduceRatio));
        // pyramid_vig's parameter counts (relative_pos included, as in its state dict) are fixed by the widths
        using var b = new PyramidVig(PyramidVigOptions.Base());
        Assert.Equal(new long[] { 1, 128, 56, 56 }, b.state_dict()["pos_embed"].shape);
        Assert.Equal(27, b.Backbone.Count); // 24 blocks, 3 downsamplings
    }
}
