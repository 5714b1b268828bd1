using System.Text.Json;
using Thorax.Models.Saliency;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Saliency;

/// <summary>
/// The multi-task networks against the authors' own model code (CXRGazeLearn Module/ and baseline/ MTL_UNet_preset),
/// run with python3-torch 1.13 + torchvision 0.14 on hashed weights (tools/golden/saliency/make_mtl_unet_golden.py).
/// </summary>
public class GazeMtlUNetTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("saliency", "mtl_unet.json"))));

    private static JsonElement Root => Doc.Value.RootElement;

    private static nn.Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)> Create(string kind) =>
        kind == "final" ? new GazeMtlUNet() : new MtUNet();

    [Theory]
    [InlineData("final")]
    [InlineData("baseline")]
    public void ReferenceKeyList_LoadsStrictly_LogitsAndLogProbabilitiesAndLossMatch(string kind)
    {
        using var scope = NewDisposeScope();
        var e = Root.GetProperty("models").GetProperty(kind);
        using var net = Create(kind);
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        Assert.Equal(sd.Count, net.state_dict().Count);
        SaliencyWeights.Load(net, sd, $"mtl_unet.json {kind}");
        net.eval();
        using var _ = no_grad();
        var x = Golden.Decode(Root.GetProperty("input"));
        var (logits, saliency) = net.call(x);
        var logp = SaliencyLayers.LogSoftmaxOverPixels(saliency);
        Report("class logits", Golden.Decode(e.GetProperty("class_logits")), logits);
        Report("log-probabilities", Golden.Decode(e.GetProperty("log_probabilities")), logp);
        Golden.AssertClose(Golden.Decode(e.GetProperty("class_logits")), logits, $"{kind} class logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("saliency_logits")), saliency, $"{kind} saliency logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("log_probabilities")), logp, $"{kind} log-probabilities", rtol: 1e-4, atol: 1e-5);

        // exp(log P) sums to 1 over each image's pixels
        Golden.AssertClose(ones(2, 1), logp.exp().sum([-2L, -1L]), "sum of P", rtol: 0, atol: 1e-4);

        var lg = ((IGazeMultiTaskNet)net).LgSigmaClass;
        Assert.Equal(e.GetProperty("lg_sigma_class").GetDouble(), lg.item<float>(), 6);
        var target = UncertaintyWeightedLoss.NormalizeGaze(Golden.Decode(Root.GetProperty("gaze")));
        using var loss = UncertaintyWeightedLoss.Compute(logits, logp, Golden.Decode(Root.GetProperty("labels")), target, lg);
        Assert.Equal(e.GetProperty("class_loss_raw").GetDouble(), loss.ClassRaw.item<float>(), 1e-4);
        Assert.Equal(e.GetProperty("image_loss_raw").GetDouble(), loss.ImageRaw.item<float>(), 1e-4);
        Assert.Equal(e.GetProperty("loss_sum").GetDouble(), loss.Sum.item<float>(), 1e-4);
        output.WriteLine($"{kind}: loss_sum {loss.Sum.item<float>():R} vs {e.GetProperty("loss_sum").GetDouble():R}");
    }

    /// <summary>Opt-in: the authors' module's own <c>torch.save(net.state_dict())</c> (full size, 130-270 MB, written by
    /// <c>make_mtl_unet_golden.py --save-pt DIR</c>; not committed) loads strictly through TorchCheckpoint and gives
    /// the golden's outputs. Set THORAX_CXRGAZE_PT_DIR=DIR to run it.</summary>
    [SkippableTheory]
    [InlineData("final")]
    [InlineData("baseline")]
    public void AuthorsTorchSaveFile_LoadsStrictly_AndGivesTheGoldenLogits(string kind)
    {
        var dir = Environment.GetEnvironmentVariable("THORAX_CXRGAZE_PT_DIR");
        Skip.If(string.IsNullOrEmpty(dir), "THORAX_CXRGAZE_PT_DIR is not set (make_mtl_unet_golden.py --save-pt DIR writes the files)");
        using var scope = NewDisposeScope();
        var e = Root.GetProperty("models").GetProperty(kind);
        using var net = Create(kind);
        SaliencyWeights.LoadFile(net, Path.Combine(dir!, $"cxrgazelearn_{kind}.pt"));
        net.eval();
        using var _ = no_grad();
        var (logits, saliency) = net.call(Golden.Decode(Root.GetProperty("input")));
        Golden.AssertClose(Golden.Decode(e.GetProperty("class_logits")), logits, $"{kind} class logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("log_probabilities")), SaliencyLayers.LogSoftmaxOverPixels(saliency),
            $"{kind} log-probabilities", rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void LgSigmaClass_FollowsToDtype_AsTheRegisteredParameterDoes()
    {
        using var scope = NewDisposeScope();
        using var dual = new GazeMtlUNet([16, 32, 48, 64, 80], 3, new Thorax.Models.Encoders.DenseNet("tiny", 8, [2, 2, 2, 2], 16, numClasses: 3, inChans: 3));
        using var mt = new MtUNet([8, 16, 32, 64, 128]);
        foreach (var net in new IGazeMultiTaskNet[] { dual, mt })
        {
            ((nn.Module)net).to(ScalarType.Float64);
            Assert.Equal(ScalarType.Float64, net.LgSigmaClass.dtype);
            Assert.Equal(((nn.Module)net).get_parameter("lg_sigma_class")!.Handle, net.LgSigmaClass.Handle);
            Assert.Equal(0.0, net.LgSigmaClass.item<double>());
        }
    }

    [Fact]
    public void ModulePrefix_LoadsStrictly_AndAWrongKeyIsNamed()
    {
        using var scope = NewDisposeScope();
        var e = Root.GetProperty("models").GetProperty("baseline");
        using var net = new MtUNet();
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        var prefixed = sd.ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        SaliencyWeights.Load(net, prefixed, "prefixed");
        Assert.True(net.state_dict()["Conv1.0.weight"].allclose(sd["Conv1.0.weight"], rtol: 0, atol: 0));

        // a baseline checkpoint is not a dual-encoder checkpoint: the error names the file and the keys
        using var final = new GazeMtlUNet();
        var ex = Assert.Throws<StateDictException>(() => SaliencyWeights.Load(final, sd, "baseline.pt"));
        Assert.Contains("baseline.pt", ex.Message);
        Assert.Contains("model.features.conv0.weight", ex.Message);
        Assert.Contains("Conv1.0.conv1.weight", ex.Message);
    }

    [Fact]
    public void Training_BackwardReachesEveryTrainableParameter_IncludingSigma()
    {
        using var scope = NewDisposeScope();
        using var net = new GazeMtlUNet(filters: [16, 16, 16, 16, 16],
            densenet: new Thorax.Models.Encoders.DenseNet("tiny", 8, [1, 1, 1, 1], 16, numClasses: 3, inChans: 3));
        net.train();
        var x = rand(2, 1, 64, 64);
        var (logits, saliency) = net.call(x);
        var logp = SaliencyLayers.LogSoftmaxOverPixels(saliency);
        using var loss = UncertaintyWeightedLoss.Compute(logits, logp, tensor(new long[] { 1, 2 }),
            UncertaintyWeightedLoss.NormalizeGaze(rand(2, 1, 64, 64)), net.LgSigmaClass);
        loss.Sum.backward();
        foreach (var (name, p) in net.named_parameters())
        {
            // the unused conv and the DenseNet's own classifier get no gradient in the reference either
            if (name.StartsWith("conv.", StringComparison.Ordinal) || name.StartsWith("model.classifier", StringComparison.Ordinal)) continue;
            Assert.True(p.grad is not null, name);
            Assert.True(p.grad!.isfinite().all().item<bool>(), name);
        }
        Assert.NotEqual(0f, net.LgSigmaClass.grad!.item<float>());
        Assert.Throws<ArgumentException>(() => net.call(rand(1, 1, 48, 64)));
        Assert.Throws<ArgumentException>(() => new MtUNet(filters: [4, 8, 12, 20, 24]));
    }

    private void Report(string what, Tensor expected, Tensor actual) => output.WriteLine($"{what}: {Golden.Diff(expected, actual)}");
}
