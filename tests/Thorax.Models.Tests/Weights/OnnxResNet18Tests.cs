using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Thorax.Models.Encoders;
using Thorax.Models.Weights.Onnx;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// ML.NET's ImageNet ResNet-18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0, CNTK 2.6 export, restored into the NuGet
/// cache by the test project's PackageDownload) loaded into a Thorax <see cref="ResNet"/>, checked against ONNX Runtime
/// running the same file.
/// </summary>
public sealed class OnnxResNet18Fixture : IDisposable
{
    public OnnxResNet18Fixture()
    {
        Net = ResNetOnnx.LoadImageNetResNet18();
        Session = new InferenceSession(Net.OnnxPath);
        Preprocess = new InferenceSession(ResNetOnnx.LocateImageNetResNet18Preprocess());
    }

    public ImageNetResNet18 Net { get; }
    public InferenceSession Session { get; }
    public InferenceSession Preprocess { get; }

    /// <summary>ONNX Runtime's pooled features [512] for one [1,3,224,224] network input.</summary>
    public float[] OrtFeatures(float[] input)
    {
        var x = new DenseTensor<float>(input, [1, 3, 224, 224]);
        using var r = Session.Run([NamedOnnxValue.CreateFromTensor("Input247", x)]);
        return r.First().AsEnumerable<float>().ToArray();
    }

    /// <summary>ONNX Runtime's ResNetPreprocess.onnx then ResNet18.onnx on one RGB 0..255 image.</summary>
    public float[] OrtFeaturesFromRgb(float[] rgb)
    {
        var x = new DenseTensor<float>(rgb, [1, 3, 224, 224]);
        using var p = Preprocess.Run([NamedOnnxValue.CreateFromTensor("OriginalInput", x)]);
        var pre = p.First().AsTensor<float>().ToArray();
        return OrtFeatures(pre);
    }

    public void Dispose()
    {
        Session.Dispose();
        Preprocess.Dispose();
        Net.Dispose();
    }
}

public class OnnxResNet18Tests : IClassFixture<OnnxResNet18Fixture>
{
    // Measured on the dev machine (libtorch 2.10 CPU vs ONNX Runtime 1.32 CPU, 3 seeds): max |diff| of the pooled
    // features 4.5e-6 on features up to 10.4 (network inputs), 6.2e-6 through the preprocessing, i.e. ~7e-7 relative
    // to the largest feature. The tolerance, 1e-5 of the largest feature (~1e-4 absolute), leaves ~15x for other
    // CPUs' summation orders while a single wrong weight, pad or epsilon moves features by far more.
    private const double RelativeTolerance = 1e-5;

    private readonly OnnxResNet18Fixture _f;

    public OnnxResNet18Tests(OnnxResNet18Fixture fixture) => _f = fixture;

    private static float[] Image(int seed, float offset)
    {
        var random = new Random(seed);
        var data = new float[3 * 224 * 224];
        for (var i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 255) + offset;
        return data;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(Math.Abs);
        var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(scale > 1, $"{what}: features unexpectedly small (max {scale})");
        Assert.True(maxDiff <= RelativeTolerance * scale,
            $"{what}: max |diff| {maxDiff:E3} exceeds {RelativeTolerance} x {scale:F3}");
    }

    [Fact]
    public void Graph_IsBasicBlocks2223_WithCntkPads_AllInitializersMappedOnce()
    {
        var layout = _f.Net.Layout;
        Assert.Equal(ResNetBlock.Basic, layout.Block);
        Assert.Equal([2, 2, 2, 3], layout.Layers);      // layer4 has a third block: not torchvision's resnet18
        Assert.Equal(ResNetPadding.Cntk, layout.Padding);
        Assert.Equal(1e-5, layout.BnEpsilon);
        Assert.Equal(0, layout.NumClasses);
        Assert.Equal(3, layout.InChans);
        Assert.Equal(110, layout.Weights.Count);
        Assert.Equal(110, layout.Weights.Values.Select(t => t.Name).Distinct().Count());
        Assert.Equal([64L, 3, 7, 7], layout.Weights["conv1.weight"].Dims);
        Assert.Equal([128L, 64, 1, 1], layout.Weights["layer2.0.downsample.0.weight"].Dims);
        Assert.Equal([512L], layout.Weights["layer4.2.bn2.running_var"].Dims);

        var model = OnnxReader.ReadFile(_f.Net.OnnxPath);
        Assert.Equal(110, model.Graph.Initializers.Count);
        Assert.Equal(8, model.DefaultOpsetVersion);
        var groups = OnnxGraphWalk.ParameterGroups(model.Graph);
        Assert.Equal(22, groups.OfType<OnnxConv>().Count());
        Assert.Equal(22, groups.OfType<OnnxBatchNorm>().Count());
        Assert.Empty(groups.OfType<OnnxGemm>());
        var stem = groups.OfType<OnnxConv>().First();
        Assert.Equal([3L, 3, 2, 2], stem.Pads);
        Assert.Equal([2L, 2], stem.Strides);
    }

    [Fact]
    public void Features_EqualOnnxRuntime_OnNetworkInputs_AsOneBatch()
    {
        // ONNX Runtime runs the file at batch 1; the Thorax module takes the three inputs as one batch.
        var inputs = Enumerable.Range(0, 3).Select(seed => Image(seed, -120f)).ToArray();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = tensor(inputs.SelectMany(x => x).ToArray(), [3L, 3, 224, 224]);
        var features = _f.Net.Model.call(batch);
        Assert.Equal([3L, 512], features.shape);
        for (var i = 0; i < inputs.Length; i++)
            AssertClose(_f.OrtFeatures(inputs[i]), features[i].data<float>().ToArray(), $"seed {i}");
    }

    [Fact]
    public void Features_FromRgb_EqualOnnxRuntimePreprocessThenResNet()
    {
        using var scope = NewDisposeScope();
        for (var seed = 10; seed < 12; seed++)
        {
            var rgb = Image(seed, 0f);
            var features = _f.Net.Features(tensor(rgb, [1L, 3, 224, 224]));
            AssertClose(_f.OrtFeaturesFromRgb(rgb), features.data<float>().ToArray(), $"rgb seed {seed}");
        }
    }

    [Fact]
    public void Preprocessing_IsBgrMinusTheMeanImage()
    {
        var pre = _f.Net.Preprocessing;
        Assert.Equal([1L, 3, 224, 224], pre.MeanImageBgr.shape);
        var means = pre.ChannelMeansBgr();
        Assert.Equal(103.06, means[0], 0.01);
        Assert.Equal(115.90, means[1], 0.01);
        Assert.Equal(123.15, means[2], 0.01);

        using var scope = NewDisposeScope();
        var rgb = Image(3, 0f);
        var x = new DenseTensor<float>(rgb, [1, 3, 224, 224]);
        using var p = _f.Preprocess.Run([NamedOnnxValue.CreateFromTensor("OriginalInput", x)]);
        var ort = p.First().AsTensor<float>().ToArray();
        var mine = pre.Apply(tensor(rgb, [1L, 3, 224, 224])).data<float>().ToArray();
        Assert.Equal(ort, mine);   // a swap and a float subtraction: exact
        Assert.Throws<ArgumentException>(() => pre.Apply(zeros(1, 3, 200, 200)));
        Assert.Equal([1L, 3, 200, 200], pre.ApplyChannelMeans(zeros(1, 3, 200, 200)).shape);
    }

    [Fact]
    public void ForwardFeatures_AreStride4To32_AndPoolToTheFeatures()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(Image(5, -120f), [1L, 3, 224, 224]);
        var maps = _f.Net.Model.forward_features(x);
        Assert.Equal(4, maps.Length);
        Assert.Equal([1L, 64, 56, 56], maps[0].shape);
        Assert.Equal([1L, 128, 28, 28], maps[1].shape);
        Assert.Equal([1L, 256, 14, 14], maps[2].shape);
        Assert.Equal([1L, 512, 7, 7], maps[3].shape);
        var pooled = maps[3].mean([2L, 3L]);
        Assert.True(allclose(pooled, _f.Net.Model.call(x), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void CntkPads_EqualSymmetricPads_AtEvenSizes_NotAtOddSizes()
    {
        // The graph's asymmetric pads lead with the same pads as torchvision's symmetric ones, so even sizes agree.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var symmetric = new ResNet("sym", ResNetBlock.Basic, [2, 2, 2, 3]);
        symmetric.load_state_dict(_f.Net.Model.state_dict());
        symmetric.eval();
        var even = tensor(Image(6, -120f), [1L, 3, 224, 224])[.., .., ..160, ..192];
        Assert.True(allclose(symmetric.call(even), _f.Net.Model.call(even), rtol: 0, atol: 1e-5));
        var odd = tensor(Image(7, -120f), [1L, 3, 224, 224])[.., .., ..161, ..161];
        var a = _f.Net.Model.forward_features(odd);
        var b = symmetric.forward_features(odd);
        Assert.Equal([1L, 512, 5, 5], a[3].shape);   // 161 -> 80 -> 40 -> 20 -> 10 -> 5
        Assert.Equal([1L, 512, 6, 6], b[3].shape);   // 161 -> 81 -> 41 -> 21 -> 11 -> 6
    }

    [Fact]
    public void TruncatedFile_IsOnnxFormatException_NamingTheFile()
    {
        var bytes = File.ReadAllBytes(_f.Net.OnnxPath);
        var dir = Directory.CreateTempSubdirectory("thorax-onnx-");
        try
        {
            foreach (var length in new[] { 40, 5000, bytes.Length / 2, bytes.Length - 1 })
            {
                var path = Path.Combine(dir.FullName, $"ResNet18-{length}.onnx");
                File.WriteAllBytes(path, bytes[..length]);
                var ex = Assert.Throws<OnnxFormatException>(() => OnnxReader.ReadFile(path));
                Assert.Equal(path, ex.FileName);
                Assert.Contains(path, ex.Message);
                if (length == 5000)
                {
                    var load = Assert.Throws<OnnxFormatException>(() => ResNetOnnx.LoadImageNetResNet18(path));
                    Assert.Contains(path, load.Message);
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void MutatedGraph_IsOnnxFormatException_NamingTheFile()
    {
        // Rename the stem's MaxPool op type (same length): the bytes still parse, the ResNet walk must refuse them.
        var bytes = File.ReadAllBytes(_f.Net.OnnxPath);
        var at = bytes.AsSpan().IndexOf("MaxPool"u8);
        Assert.True(at > 0);
        bytes[at + 6] = (byte)'x';
        var model = OnnxReader.Read(bytes, "mutated-ResNet18.onnx");
        var ex = Assert.Throws<OnnxFormatException>(() => ResNetOnnx.Load(model, out _));
        Assert.StartsWith("mutated-ResNet18.onnx: ", ex.Message);
        Assert.Contains("MaxPoox", ex.Message);

        // The featurizer file is not a preprocessing file and vice versa.
        Assert.Throws<OnnxFormatException>(() => ResNetOnnx.ReadPreprocessing(OnnxReader.ReadFile(_f.Net.OnnxPath)));
        Assert.Throws<OnnxFormatException>(() =>
            ResNetOnnx.ReadLayout(OnnxReader.ReadFile(ResNetOnnx.LocateImageNetResNet18Preprocess())));
    }

    [Fact]
    public void RandomByteMutations_OfThePreprocessingFile_ParseOrThrowOnnxFormatException()
    {
        var original = File.ReadAllBytes(ResNetOnnx.LocateImageNetResNet18Preprocess());
        var random = new Random(1234);
        int parsed = 0, refused = 0;
        for (var i = 0; i < 400; i++)
        {
            var bytes = (byte[])original.Clone();
            // The structure (nodes, names, dims, lengths) sits in the first few hundred bytes and the trailing value
            // infos; the rest is the mean image's raw data.
            for (var k = 0; k < 1 + i % 3; k++)
            {
                var at = random.Next(2) == 0 ? random.Next(Math.Min(600, bytes.Length)) : bytes.Length - 1 - random.Next(200);
                bytes[at] = (byte)random.Next(256);
            }
            try
            {
                var model = OnnxReader.Read(bytes, "fuzzed.onnx");
                using var pre = ResNetOnnx.ReadPreprocessing(model);
                parsed++;
            }
            catch (OnnxFormatException ex)
            {
                Assert.StartsWith("fuzzed.onnx: ", ex.Message);
                refused++;
            }
        }
        Assert.True(parsed > 0 && refused > 0, $"parsed {parsed}, refused {refused}");
    }

    [Fact]
    public void Locate_MissingExplicitPath_IsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ResNetOnnx.LoadImageNetResNet18("/nonexistent/ResNet18.onnx"));
        Assert.EndsWith("ResNet18.onnx", ResNetOnnx.LocateImageNetResNet18());
        Assert.EndsWith("ResNetPreprocess.onnx", ResNetOnnx.LocateImageNetResNet18Preprocess(_f.Net.OnnxPath));
    }
}
