using System.Text.Json;
using Thorax.Models.Contextual;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Contextual;

/// <summary>
/// Parity of <see cref="ContextualNet"/> with the PyTorch peer written from ConTEXTual Net's architecture
/// (tools/contextual/contextual_peer.py; golden by tools/golden/contextual/make_contextual_golden.py): widths 4..64,
/// text width 12, a 2x3x20x24 input (padding at every decoder level), a torch.save'd state dict with the authors'
/// key names (and two lang_encoder.* tensors, as their whole-model checkpoints hold the text encoder).
/// </summary>
public class ContextualNetTests(ITestOutputHelper output)
{
    private static JsonDocument GoldenJson() => JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("contextual", "contextual_small.json")));

    private static ContextualNet LoadGoldenNet(JsonElement g, bool attendToPadding = true)
    {
        var widths = g.GetProperty("widths").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var net = new ContextualNet(new ContextualNetOptions { Widths = widths, TextDim = g.GetProperty("text_dim").GetInt64(), AttendToPadding = attendToPadding });
        var sd = StateDicts.ReadFile(Golden.PathOf("contextual", "contextual_small.pt"));
        var (network, text) = ContextualNet.SplitReferenceStateDict(sd);
        Assert.Equal(2, text.Count);
        Assert.Contains("shared.weight", text.Keys);
        var result = StateDicts.Load(net, network); // strict
        Assert.True(result.IsComplete);
        return net;
    }

    [Fact]
    public void StateDict_HasTheReferenceKeys()
    {
        using var doc = GoldenJson();
        var g = doc.RootElement;
        using var net = LoadGoldenNet(g);
        var expected = g.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, net.state_dict().Keys.Order(StringComparer.Ordinal).ToList());
        Assert.Contains("lang_attn.multihead_attn.in_proj_weight", expected); // the authors' unused bottleneck gate
        Assert.Contains("lang_attn3.multihead_attn.out_proj.weight", expected);
    }

    [Fact]
    public void Baseline_HasTheReferenceUNetKeys()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("contextual", "unet_small_keys.json")));
        var expected = doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).Order(StringComparer.Ordinal).ToList();
        using var net = new ContextualNet(new ContextualNetOptions { Widths = [4, 8, 16, 32, 64], Language = false });
        Assert.Equal(expected, net.state_dict().Keys.Order(StringComparer.Ordinal).ToList());
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 1, 1, 20, 24 }, net.call(torch.rand(1, 3, 20, 24)).shape);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EvalLogitsAndAttention_MatchPyTorch(bool attendToPadding)
    {
        using var doc = GoldenJson();
        var g = doc.RootElement;
        using var scope = NewDisposeScope();
        using var net = LoadGoldenNet(g, attendToPadding);
        net.eval();
        var suffix = attendToPadding ? "" : "_masked";
        var attention = new List<Tensor>();
        Tensor logits;
        using (no_grad()) logits = net.Forward(Golden.Decode(g.GetProperty("image")), Golden.Decode(g.GetProperty("text")), Golden.Decode(g.GetProperty("mask")), attention);
        var expected = Golden.Decode(g.GetProperty("eval_logits" + suffix));
        output.WriteLine($"logits{suffix}: {Golden.Diff(expected, logits)}");
        Golden.AssertClose(expected, logits, "logits", rtol: 1e-4, atol: 1e-5);
        // without the attention list the gates run libtorch's fused scaled_dot_product_attention: same logits
        Tensor fused;
        using (no_grad()) fused = net.Forward(Golden.Decode(g.GetProperty("image")), Golden.Decode(g.GetProperty("text")), Golden.Decode(g.GetProperty("mask")));
        output.WriteLine($"fused-attention logits{suffix}: {Golden.Diff(expected, fused)}");
        Golden.AssertClose(expected, fused, "logits through the fused attention", rtol: 1e-4, atol: 1e-5);
        var expectedAttention = g.GetProperty("eval_attention" + suffix).EnumerateArray().Select(Golden.Decode).ToList();
        Assert.Equal(4, attention.Count);
        for (var l = 0; l < 4; l++) Golden.AssertClose(expectedAttention[l], attention[l], $"attention level {l + 1}", rtol: 1e-4, atol: 1e-6);
        if (!attendToPadding)
        {
            // padding tokens of the first report get no weight
            using var padded = attention[3][0].narrow(1, 4, 2);
            Assert.Equal(0.0, padded.abs().max().item<float>());
        }
    }

    /// <summary>Module.to(dtype) replaces every parameter; the gates must run on the new ones (they once kept the
    /// disposed float32 originals: "Tensor invalid -- empty handle").</summary>
    [Fact]
    public void ToFloat64_AndToBFloat16_RunTheGatesOnTheConvertedParameters()
    {
        using var doc = GoldenJson();
        var g = doc.RootElement;
        using var scope = NewDisposeScope();
        using var net = LoadGoldenNet(g);
        net.eval();
        net.to(ScalarType.Float64);
        Tensor logits;
        var image = Golden.Decode(g.GetProperty("image")).to(ScalarType.Float64);
        var text = Golden.Decode(g.GetProperty("text")).to(ScalarType.Float64);
        using (no_grad()) logits = net.Forward(image, text, Golden.Decode(g.GetProperty("mask")));
        Assert.Equal(ScalarType.Float64, logits.dtype);
        Golden.AssertClose(Golden.Decode(g.GetProperty("eval_logits")).to(ScalarType.Float64), logits, "float64 logits", rtol: 1e-4, atol: 1e-5);
        net.to(ScalarType.BFloat16);
        using (no_grad()) logits = net.Forward(image.to(ScalarType.BFloat16), text.to(ScalarType.BFloat16), null);
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void TrainModeLossAndGradients_MatchPyTorch()
    {
        using var doc = GoldenJson();
        var g = doc.RootElement;
        using var scope = NewDisposeScope();
        using var net = LoadGoldenNet(g);
        net.train();
        var logits = net.Forward(Golden.Decode(g.GetProperty("image")), Golden.Decode(g.GetProperty("text")), Golden.Decode(g.GetProperty("mask")));
        Golden.AssertClose(Golden.Decode(g.GetProperty("train_logits")), logits, "train logits", rtol: 1e-4, atol: 1e-5);
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, Golden.Decode(g.GetProperty("target")));
        Assert.Equal(g.GetProperty("train_loss").GetDouble(), loss.item<float>(), 5);
        loss.backward();
        var parameters = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var p in g.GetProperty("grads").EnumerateObject())
        {
            var expected = Golden.Decode(p.Value);
            output.WriteLine($"grad {p.Name}: {Golden.Diff(expected, parameters[p.Name].grad!)}");
            var scale = expected.abs().max().item<float>();
            Golden.AssertClose(expected, parameters[p.Name].grad!, "grad " + p.Name, rtol: 1e-4, atol: 1e-4 * scale);
        }
    }

    /// <summary>The gate's two paths (written-out attention when the weights are asked for, the fused kernel
    /// otherwise) agree in value and gradient, with and without a key-padding mask.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gate_FusedAndWrittenOutAttention_AgreeInValueAndGradient(bool masked)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        using var gate = new LanguageCrossAttention(8);
        gate.to(ScalarType.Float64);
        var mask = masked ? torch.tensor(new long[,] { { 1, 1, 1, 0, 0 }, { 1, 1, 1, 1, 1 } }) : null;
        var results = new List<(Tensor Out, Tensor VisionGrad, Tensor WeightGrad)>();
        foreach (var withWeights in new[] { true, false })
        {
            gate.zero_grad();
            torch.manual_seed(4);
            var vision = torch.randn(2, 8, 3, 5, dtype: ScalarType.Float64).requires_grad_();
            var language = torch.randn(2, 5, 8, dtype: ScalarType.Float64);
            Tensor? weights = null;
            var y = gate.Forward(vision, language, mask, withWeights ? w => weights = w : null);
            Assert.Equal(withWeights, weights is not null);
            (y * torch.arange(y.numel(), dtype: ScalarType.Float64).reshape(y.shape).cos()).sum().backward();
            var inProj = gate.named_parameters().Single(p => p.name == "multihead_attn.in_proj_weight").parameter;
            results.Add((y.detach(), vision.grad!.clone(), inProj.grad!.clone()));
        }
        Golden.AssertClose(results[0].Out, results[1].Out, "gated output", rtol: 1e-12, atol: 1e-12);
        Golden.AssertClose(results[0].VisionGrad, results[1].VisionGrad, "vision gradient", rtol: 1e-10, atol: 1e-12);
        Golden.AssertClose(results[0].WeightGrad, results[1].WeightGrad, "in_proj_weight gradient", rtol: 1e-10, atol: 1e-12);
    }

    [Fact]
    public void BadInputs_AreNamed()
    {
        using var scope = NewDisposeScope();
        using var net = new ContextualNet(new ContextualNetOptions { Widths = [4, 8, 16, 32, 64], TextDim = 12 });
        var img = torch.rand(1, 3, 16, 16);
        var e = Assert.Throws<ArgumentException>(() => net.Forward(img, torch.rand(1, 5, 384), null));
        Assert.Contains("12", e.Message); // the encoder width the model was built for
        Assert.Throws<ArgumentException>(() => net.Forward(img, null, null));
        Assert.Throws<InvalidOperationException>(() => net.call(img));
        Assert.Throws<ArgumentException>(() => new ContextualNet(new ContextualNetOptions { Widths = [4, 8, 16, 32] }));
        using var masked = new ContextualNet(new ContextualNetOptions { Widths = [4, 8, 16, 32, 64], TextDim = 12, AttendToPadding = false });
        Assert.Throws<ArgumentException>(() => masked.Forward(img, torch.rand(1, 5, 12), null));
    }
}
