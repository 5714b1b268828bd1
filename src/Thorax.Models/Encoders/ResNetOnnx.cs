using Thorax.Models.Weights.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Encoders;

/// <summary>
/// What the graph walk found in a ResNet ONNX file: the block kind and counts, padding, BatchNorm epsilon, and every
/// weight keyed by the torchvision state-dict name it maps to.
/// </summary>
/// <param name="Block">Basic (two 3x3 convolutions) or bottleneck blocks.</param>
/// <param name="Layers">Blocks per stage.</param>
/// <param name="InChans">Input channels of the stem convolution.</param>
/// <param name="NumClasses">Outputs of a final Gemm (0 when the graph ends at the pooled features).</param>
/// <param name="Padding">The graph's down-sampling pads when they differ from torchvision's symmetric ones, else null.</param>
/// <param name="GraphPadding">The graph's down-sampling pads as found (also when torchvision's).</param>
/// <param name="BnEpsilon">The BatchNorm epsilon (the same on every BatchNormalization node).</param>
/// <param name="Weights">torchvision key (<c>layer2.0.downsample.1.running_var</c>) to initializer.</param>
public sealed record ResNetOnnxLayout(ResNetBlock Block, IReadOnlyList<int> Layers, int InChans, int NumClasses,
    ResNetPadding? Padding, ResNetPadding GraphPadding, double BnEpsilon, IReadOnlyDictionary<string, OnnxTensor> Weights);

/// <summary>
/// The preprocessing of ML.NET's ResNet ONNX models (ResNetPreprocess.onnx): RGB 0..255 [N, 3, 224, 224] to BGR, minus a
/// per-pixel BGR mean image, no scaling. The mean image is read from that file's initializer.
/// </summary>
public sealed class ResNetOnnxPreprocessing : IDisposable
{
    internal ResNetOnnxPreprocessing(Tensor meanBgr, string source)
    {
        MeanImageBgr = meanBgr;
        Source = source;
    }

    /// <summary>The mean image [1, 3, H, W] in B, G, R channel order, 0..255 scale.</summary>
    public Tensor MeanImageBgr { get; }

    /// <summary>The preprocessing file it was read from.</summary>
    public string Source { get; }

    /// <summary>Input height the mean image expects.</summary>
    public int Height => (int)MeanImageBgr.shape[2];

    /// <summary>Input width the mean image expects.</summary>
    public int Width => (int)MeanImageBgr.shape[3];

    /// <summary>Per-channel means of the mean image, B, G, R.</summary>
    public float[] ChannelMeansBgr()
    {
        using var m = MeanImageBgr.mean([0L, 2L, 3L]);
        return m.data<float>().ToArray();
    }

    /// <summary>RGB [N, 3, H, W] in 0..255 to the network input: BGR minus the mean image (H, W must match it).</summary>
    public Tensor Apply(Tensor rgb)
    {
        if (rgb.dim() != 4 || rgb.shape[1] != 3 || rgb.shape[2] != Height || rgb.shape[3] != Width)
            throw new ArgumentException(
                $"expected RGB [N, 3, {Height}, {Width}] (the mean image is per pixel), got [{string.Join(", ", rgb.shape)}]; " +
                "resize first, or use ApplyChannelMeans for other sizes", nameof(rgb));
        using var bgr = rgb.flip(1);
        using var mean = MeanImageBgr.to(rgb.dtype, rgb.device);
        return bgr - mean;
    }

    /// <summary>For any size: RGB to BGR minus the per-channel means of the mean image (an approximation of
    /// <see cref="Apply"/>, which subtracts a per-pixel mean).</summary>
    public Tensor ApplyChannelMeans(Tensor rgb)
    {
        if (rgb.dim() != 4 || rgb.shape[1] != 3)
            throw new ArgumentException($"expected RGB [N, 3, H, W], got [{string.Join(", ", rgb.shape)}]", nameof(rgb));
        using var means = tensor(ChannelMeansBgr(), [1L, 3, 1, 1], dtype: rgb.dtype, device: rgb.device);
        using var bgr = rgb.flip(1);
        return bgr - means;
    }

    /// <summary>Frees the mean image.</summary>
    public void Dispose() => MeanImageBgr.Dispose();
}

/// <summary>The ImageNet ResNet-18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> as a Thorax module, with its
/// preprocessing.</summary>
public sealed class ImageNetResNet18 : IDisposable
{
    internal ImageNetResNet18(ResNet model, ResNetOnnxPreprocessing preprocessing, ResNetOnnxLayout layout, string onnxPath)
    {
        Model = model;
        Preprocessing = preprocessing;
        Layout = layout;
        OnnxPath = onnxPath;
    }

    /// <summary>The network (eval mode, no classifier): forward gives pooled features [N, 512].</summary>
    public ResNet Model { get; }

    /// <summary>The featurizer's preprocessing (RGB to BGR minus the mean image), read from ResNetPreprocess.onnx.</summary>
    public ResNetOnnxPreprocessing Preprocessing { get; }

    /// <summary>How the ONNX graph's layers map onto <see cref="Model"/> (blocks and paddings).</summary>
    public ResNetOnnxLayout Layout { get; }

    /// <summary>The ResNet18.onnx file the weights came from.</summary>
    public string OnnxPath { get; }

    /// <summary>RGB [N, 3, 224, 224] in 0..255 to the pooled features [N, 512] (what ML.NET's featurizer computes).</summary>
    public Tensor Features(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Model.call(Preprocessing.Apply(rgb)).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the network and the preprocessing tensors.</summary>
    public void Dispose()
    {
        Model.Dispose();
        Preprocessing.Dispose();
    }
}

/// <summary>Loads ResNet weights from ONNX files by walking the graph (Conv → BatchNormalization → Relu/Add), not by
/// initializer names.</summary>
public static class ResNetOnnx
{
    /// <summary>NuGet package id and version that ship ResNet18.onnx and ResNetPreprocess.onnx.</summary>
    public const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";

    /// <summary>The package version that ships them.</summary>
    public const string PackageVersion = "0.24.0";

    private const string ModelRelative = "DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    private const string PreprocessRelative = "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";

    /// <summary>
    /// The shipped ResNet18.onnx: <paramref name="onnxPath"/> when given; else next to the Thorax assembly (or the
    /// application base) under DnnImageModels/ResNet18Onnx/ (where a project referencing the package gets a copy); else
    /// in the NuGet package cache ($NUGET_PACKAGES or ~/.nuget/packages) under
    /// microsoft.ml.dnnimagefeaturizer.resnet18/0.24.0/tools/. Throws <see cref="FileNotFoundException"/> listing
    /// the places tried.
    /// </summary>
    public static string LocateImageNetResNet18(string? onnxPath = null) => Locate(onnxPath, ModelRelative);

    /// <summary>The matching ResNetPreprocess.onnx: beside <paramref name="onnxPath"/>'s DnnImageModels folder when
    /// given, else found as in <see cref="LocateImageNetResNet18"/>.</summary>
    public static string LocateImageNetResNet18Preprocess(string? onnxPath = null)
    {
        if (onnxPath is not null)
        {
            // .../DnnImageModels/ResNet18Onnx/ResNet18.onnx -> .../DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx
            var models = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(onnxPath)));
            if (models is not null)
            {
                var sibling = Path.Combine(models, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
                if (File.Exists(sibling)) return sibling;
            }
        }
        return Locate(null, PreprocessRelative);
    }

    private static string Locate(string? explicitPath, string relative)
    {
        if (explicitPath is not null)
            return File.Exists(explicitPath)
                ? explicitPath
                : throw new FileNotFoundException($"ONNX file not found: {explicitPath}", explicitPath);
        var tried = new List<string>();
        foreach (var dir in new[] { Path.GetDirectoryName(typeof(ResNetOnnx).Assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            var p = Path.Combine(dir, relative);
            if (File.Exists(p)) return p;
            tried.Add(p);
        }
        var caches = new List<string>();
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) caches.Add(env);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home)) caches.Add(Path.Combine(home, ".nuget", "packages"));
        foreach (var cache in caches)
        {
            var p = Path.Combine(cache, PackageId, PackageVersion, "tools", relative);
            if (File.Exists(p)) return p;
            tried.Add(p);
        }
        throw new FileNotFoundException(
            $"{Path.GetFileName(relative)} of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion} " +
            $"was not found; restore that package (any project referencing it) or pass the path. Tried: {string.Join("; ", tried)}");
    }

    /// <summary>
    /// ML.NET's ImageNet ResNet-18 (CNTK 2.6 export) as a Thorax <see cref="ResNet"/> in eval mode, with the
    /// preprocessing read from ResNetPreprocess.onnx. The module takes any batch size (ONNX Runtime runs the file at
    /// batch 1 only). The export has basic blocks [2,2,2,3] and CNTK's asymmetric pads, both taken from the graph.
    /// </summary>
    public static ImageNetResNet18 LoadImageNetResNet18(string? onnxPath = null)
    {
        var path = LocateImageNetResNet18(onnxPath);
        var preprocessPath = LocateImageNetResNet18Preprocess(onnxPath);
        var model = Load(OnnxReader.ReadFile(path), out var layout);
        try
        {
            if (layout.NumClasses != 0 || layout.InChans != 3)
                throw new OnnxFormatException(path, "expected the featurizer graph (3 input channels, no classifier)");
            var preprocessing = ReadPreprocessing(OnnxReader.ReadFile(preprocessPath));
            return new ImageNetResNet18(model, preprocessing, layout, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A <see cref="ResNet"/> built to the layout of a ResNet ONNX graph, loaded with its weights, in eval mode.</summary>
    public static ResNet Load(OnnxModel model, out ResNetOnnxLayout layout)
    {
        layout = ReadLayout(model);
        var net = new ResNet("resnet", layout.Block, layout.Layers, layout.InChans, layout.NumClasses, layout.Padding,
            layout.BnEpsilon);
        try
        {
            CopyWeights(net, layout.Weights, model.Source);
            net.eval();
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>Copies initializers into a module's parameters and buffers by state-dict key; every parameter, running
    /// mean and running variance must be covered (num_batches_tracked may be absent) and every shape must match.</summary>
    public static void CopyWeights(nn.Module module, IReadOnlyDictionary<string, OnnxTensor> weights, string source)
    {
        var state = module.state_dict();
        foreach (var key in state.Keys)
        {
            if (!weights.ContainsKey(key) && !key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                throw new OnnxFormatException(source, $"no initializer maps to module key '{key}'");
        }
        using var _ = no_grad();
        foreach (var (key, init) in weights)
        {
            if (!state.TryGetValue(key, out var target))
                throw new OnnxFormatException(source, $"initializer '{init.Name}' maps to '{key}', which the module lacks");
            var shape = init.Dims.ToArray();
            if (!shape.SequenceEqual(target.shape))
                throw new OnnxFormatException(source,
                    $"initializer '{init.Name}' [{string.Join(",", shape)}] does not fit '{key}' [{string.Join(",", target.shape)}]");
            using var t = tensor(init.GetFloats(), shape);
            target.copy_(t);
        }
    }

    /// <summary>The preprocessing of ResNetPreprocess.onnx: checks the graph is Split(axis 1) → Concat(B, G, R) → Sub(mean
    /// image) and returns the mean image.</summary>
    public static ResNetOnnxPreprocessing ReadPreprocessing(OnnxModel model)
    {
        var g = model.Graph;
        var walk = new OnnxGraphWalk(g);
        var inputs = g.DataInputs.ToList();
        if (inputs.Count != 1) throw new OnnxFormatException(model.Source, $"expected one graph input, found {inputs.Count}");
        var input = inputs[0];
        var split = walk.SingleConsumer(input.Name, "Split");
        if (split.GetInt("axis", 0) != 1 || split.Outputs.Count != 3)
            throw new OnnxFormatException(model.Source, $"{split.Describe()}: expected a split of axis 1 into 3 channels");
        var concat = walk.SingleConsumer(split.Outputs[0], "Concat");
        if (concat.GetInt("axis", 0) != 1 || !concat.Inputs.SequenceEqual(split.Outputs.Reverse()))
            throw new OnnxFormatException(model.Source, $"{concat.Describe()}: expected the channels concatenated in reverse (RGB to BGR)");
        var sub = walk.SingleConsumer(concat.Outputs[0], "Sub");
        if (sub.Inputs.Count != 2 || sub.Inputs[0] != concat.Outputs[0])
            throw new OnnxFormatException(model.Source, $"{sub.Describe()}: expected BGR minus a mean");
        var mean = g.GetInitializer(sub.Inputs[1], sub.Describe());
        if (mean.Dims.Count != 4 || mean.Dims[0] != 1 || mean.Dims[1] != 3)
            throw new OnnxFormatException(model.Source, $"mean image '{mean.Name}' has shape [{string.Join(",", mean.Dims)}], expected [1,3,H,W]");
        if (g.Outputs.Count != 1 || g.Outputs[0].Name != sub.Outputs[0])
            throw new OnnxFormatException(model.Source, "expected the subtraction to be the graph output");
        return new ResNetOnnxPreprocessing(tensor(mean.GetFloats(), mean.Dims.ToArray()), model.Source);
    }

    /// <summary>
    /// Walks a ResNet graph: stem Conv → BatchNormalization → Relu → MaxPool, then residual blocks (a main path of
    /// Conv → BatchNormalization [→ Relu → Conv → BatchNormalization ...] into an Add whose other input is the block input
    /// or a Conv → BatchNormalization shortcut, then Relu), a new stage at each block with a shortcut convolution, then
    /// a pool and an optional Gemm classifier. Names of initializers are not used.
    /// </summary>
    public static ResNetOnnxLayout ReadLayout(OnnxModel model)
    {
        var g = model.Graph;
        var src = model.Source;
        var walk = new OnnxGraphWalk(g);
        OnnxFormatException Fail(string message) => new(src, message);
        var weights = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var epsilons = new HashSet<float>();

        var inputs = g.DataInputs.ToList();
        if (inputs.Count != 1) throw Fail($"expected one graph input, found {inputs.Count}");

        OnnxConv Conv(OnnxNode node) => node.OpType == "Conv"
            ? (OnnxConv)walk.Group(node)
            : throw Fail($"expected a Conv, found {node.Describe()}");
        void CheckConv(OnnxConv c, long kernel)
        {
            if (c.KernelShape.Length != 2 || c.KernelShape[0] != kernel || c.KernelShape[1] != kernel)
                throw Fail($"{c.Node.Describe()}: expected a {kernel}x{kernel} kernel, found [{string.Join(",", c.KernelShape)}]");
            if (c.Group != 1 || c.Dilations.Any(d => d != 1) || c.Bias is not null || c.AutoPad is not ("NOTSET" or ""))
                throw Fail($"{c.Node.Describe()}: expected group 1, dilation 1, no bias and explicit pads");
            if (c.Strides[0] != c.Strides[1])
                throw Fail($"{c.Node.Describe()}: unequal strides");
        }
        Pad2d Pads(OnnxNode node, long[] pads) => pads.Length == 4
            ? new Pad2d((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3])
            : throw Fail($"{node.Describe()}: expected 4 pads");
        OnnxBatchNorm Bn(OnnxConv conv)
        {
            var node = walk.SingleConsumer(conv.Output, "BatchNormalization");
            var bn = (OnnxBatchNorm)walk.Group(node);
            if (!float.IsFinite(bn.Epsilon) || bn.Epsilon <= 0 || bn.Epsilon > 1)
                throw Fail($"{node.Describe()}: epsilon {bn.Epsilon} is not a small positive number");
            epsilons.Add(bn.Epsilon);
            return bn;
        }
        void Put(string prefix, OnnxConv conv, OnnxBatchNorm bn, string convKey, string bnKey)
        {
            weights[$"{prefix}{convKey}.weight"] = conv.Weight;
            weights[$"{prefix}{bnKey}.weight"] = bn.Scale;
            weights[$"{prefix}{bnKey}.bias"] = bn.Bias;
            weights[$"{prefix}{bnKey}.running_mean"] = bn.Mean;
            weights[$"{prefix}{bnKey}.running_var"] = bn.Var;
        }

        // Stem.
        var stem = Conv(walk.SingleConsumer(inputs[0].Name));
        CheckConv(stem, 7);
        if (stem.Strides[0] != 2) throw Fail($"{stem.Node.Describe()}: expected stride 2");
        var inChans = (int)stem.Weight.Dims[1];
        var stemBn = Bn(stem);
        Put("", stem, stemBn, "conv1", "bn1");
        var stemRelu = walk.SingleConsumer(stemBn.Output, "Relu");
        var pool = walk.SingleConsumer(stemRelu.Outputs[0], "MaxPool");
        var poolKernel = pool.GetInts("kernel_shape");
        var poolStrides = pool.GetInts("strides");
        if (poolKernel is null || !poolKernel.SequenceEqual([3L, 3L]) || poolStrides is null || !poolStrides.SequenceEqual([2L, 2L]))
            throw Fail($"{pool.Describe()}: expected a 3x3 stride-2 max-pool");
        var poolPads = Pads(pool, pool.GetInts("pads")?.ToArray() ?? new long[4]);

        // Residual blocks.
        var current = pool.Outputs[0];
        var stages = new List<List<(List<(OnnxConv Conv, OnnxBatchNorm Bn)> Main, (OnnxConv Conv, OnnxBatchNorm Bn)? Shortcut)>>();
        Pad2d? stridedPads = null, downsamplePads = null;
        ResNetBlock? blockKind = null;
        while (true)
        {
            var convs = walk.Consumers(current).Where(n => n.OpType == "Conv").ToList();
            if (convs.Count == 0) break;
            if (convs.Count > 2) throw Fail($"value '{current}' feeds {convs.Count} convolutions; not a ResNet block");

            // Follow each convolution chain to the Add.
            var chains = new List<(List<(OnnxConv Conv, OnnxBatchNorm Bn)> Path, OnnxNode Add)>();
            foreach (var start in convs)
            {
                var path = new List<(OnnxConv, OnnxBatchNorm)>();
                var node = start;
                while (true)
                {
                    var conv = Conv(node);
                    var bn = Bn(conv);
                    path.Add((conv, bn));
                    var next = walk.SingleConsumer(bn.Output);
                    if (next.OpType == "Add") { chains.Add((path, next)); break; }
                    if (next.OpType != "Relu" || path.Count > 3)
                        throw Fail($"{bn.Node.Describe()}: expected Relu or Add after it, found {next.Describe()}");
                    node = walk.SingleConsumer(next.Outputs[0], "Conv");
                }
            }
            var main = chains.OrderByDescending(c => c.Path.Count).First();
            var add = main.Add;
            (OnnxConv Conv, OnnxBatchNorm Bn)? shortcut = null;
            string other;
            if (chains.Count == 2)
            {
                var sc = chains.Single(c => !ReferenceEquals(c.Path, main.Path));
                if (sc.Path.Count != 1 || !ReferenceEquals(sc.Add, add))
                    throw Fail($"{add.Describe()}: the shortcut must be one Conv → BatchNormalization into the same Add");
                shortcut = sc.Path[0];
                other = sc.Path[0].Bn.Output;
            }
            else other = current;
            if (add.Inputs.Count != 2 || !add.Inputs.Contains(main.Path[^1].Bn.Output) || !add.Inputs.Contains(other))
                throw Fail($"{add.Describe()}: expected the main path plus the shortcut");

            var kind = main.Path.Count switch
            {
                2 => ResNetBlock.Basic,
                3 => ResNetBlock.Bottleneck,
                _ => throw Fail($"{add.Describe()}: a main path of {main.Path.Count} convolutions is neither a basic nor a bottleneck block"),
            };
            if (blockKind is not null && blockKind != kind) throw Fail($"{add.Describe()}: mixed block kinds");
            blockKind = kind;

            // Geometry: kernels, where the stride sits, pads.
            var kernels = kind == ResNetBlock.Basic ? new long[] { 3, 3 } : [1, 3, 1];
            var strideAt = kind == ResNetBlock.Basic ? 0 : 1;
            for (var k = 0; k < main.Path.Count; k++)
            {
                var c = main.Path[k].Conv;
                CheckConv(c, kernels[k]);
                var pads = Pads(c.Node, c.Pads);
                if (k == strideAt && c.Strides[0] == 2)
                {
                    if (stridedPads is not null && stridedPads != pads)
                        throw Fail($"{c.Node.Describe()}: pads {pads} differ from the other strided convolutions' {stridedPads}");
                    stridedPads = pads;
                }
                else if (c.Strides[0] != 1 || pads != Pad2d.Symmetric((int)kernels[k] / 2))
                    throw Fail($"{c.Node.Describe()}: expected stride 1 and pads {Pad2d.Symmetric((int)kernels[k] / 2)}, found stride {c.Strides[0]} pads {pads}");
            }
            var stride = main.Path[strideAt].Conv.Strides[0];
            if (shortcut is { } s)
            {
                CheckConv(s.Conv, 1);
                if (s.Conv.Strides[0] != stride) throw Fail($"{s.Conv.Node.Describe()}: shortcut stride differs from the block's");
                if (stride == 2)
                {
                    var pads = Pads(s.Conv.Node, s.Conv.Pads);
                    if (downsamplePads is not null && downsamplePads != pads)
                        throw Fail($"{s.Conv.Node.Describe()}: pads {pads} differ from the other shortcuts' {downsamplePads}");
                    downsamplePads = pads;
                }
                else if (!Pads(s.Conv.Node, s.Conv.Pads).IsZero)
                    throw Fail($"{s.Conv.Node.Describe()}: a stride-1 shortcut must not pad");
            }
            else if (stride != 1) throw Fail($"{add.Describe()}: a strided block needs a shortcut convolution");

            if (stages.Count == 0 || shortcut is not null)
                stages.Add(new());
            stages[^1].Add((main.Path, shortcut));

            var relu = walk.SingleConsumer(add.Outputs[0], "Relu");
            current = relu.Outputs[0];
        }
        if (stages.Count != 4)
            throw Fail($"found {stages.Count} stages of residual blocks ({string.Join(",", stages.Select(s => s.Count))}); a ResNet has 4");
        var planes = new[] { 64, 128, 256, 512 };
        for (var si = 0; si < 4; si++)
        {
            for (var bi = 0; bi < stages[si].Count; bi++)
            {
                var (path, shortcut) = stages[si][bi];
                var prefix = $"layer{si + 1}.{bi}.";
                for (var k = 0; k < path.Count; k++) Put(prefix, path[k].Conv, path[k].Bn, $"conv{k + 1}", $"bn{k + 1}");
                if (shortcut is { } sc) Put(prefix, sc.Conv, sc.Bn, "downsample.0", "downsample.1");
                if (path[0].Conv.Weight.Dims[0] != planes[si])
                    throw Fail($"stage {si + 1} has width {path[0].Conv.Weight.Dims[0]}, expected {planes[si]}");
            }
        }

        // Tail: a pool, then optionally Flatten/Reshape → Gemm.
        var numClasses = 0;
        var tail = walk.SingleConsumer(current);
        if (tail.OpType is not ("GlobalAveragePool" or "AveragePool" or "ReduceMean"))
            throw Fail($"expected an average pool after the last block, found {tail.Describe()}");
        var value = tail.Outputs[0];
        while (walk.Consumers(value).Count == 1)
        {
            var next = walk.Consumers(value)[0];
            if (next.OpType is "Flatten" or "Reshape" or "Squeeze") { value = next.Outputs[0]; continue; }
            if (next.OpType == "Gemm")
            {
                var gemm = (OnnxGemm)walk.Group(next);
                if (gemm.TransA || gemm.Alpha != 1f || gemm.Beta != 1f || !gemm.TransB || gemm.C is null)
                    throw Fail($"{next.Describe()}: expected Y = A·Bᵀ + C (transB = 1, alpha = beta = 1)");
                weights["fc.weight"] = gemm.B;
                weights["fc.bias"] = gemm.C;
                numClasses = (int)gemm.B.Dims[0];
            }
            break;
        }

        if (epsilons.Count != 1) throw Fail($"BatchNormalization epsilons differ: {string.Join(", ", epsilons)}");
        var graphPadding = new ResNetPadding(Pads(stem.Node, stem.Pads), poolPads,
            stridedPads ?? Pad2d.Symmetric(1), downsamplePads ?? default);
        var padding = graphPadding == ResNetPadding.Torchvision ? null : graphPadding;
        return new ResNetOnnxLayout(blockKind!.Value, stages.Select(s => s.Count).ToArray(), inChans, numClasses, padding,
            graphPadding, (double)(decimal)epsilons.Single(), weights);
    }
}
