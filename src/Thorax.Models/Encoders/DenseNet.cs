using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>
/// What one <see cref="DenseNet.ForwardWithCapture"/> pass produced: the maps CXRGazeLearn's forward hooks capture, the
/// stride 4..32 block outputs and the classifier's logits.
/// </summary>
/// <param name="Blocks">Outputs of <c>features.denseblock1</c>..<c>denseblock4</c> (strides 4, 8, 16, 32).</param>
/// <param name="Norm5">The output of <c>features.norm5</c> (BatchNorm) before any ReLU.</param>
/// <param name="Norm5Hooked">
/// What a forward hook on <c>features.norm5</c> holds after torchvision's <c>DenseNet.forward</c> has returned:
/// torchvision applies <c>F.relu(features, inplace=True)</c> to the very tensor the hook stored, so the hooked value is
/// ReLU(norm5). This is the tensor the reference's multi-scale classifier pools.
/// </param>
/// <param name="Logits">Classifier output [N, classes], or the pooled features [N, C] when the network has no classifier.</param>
public sealed record DenseNetCapture(Tensor[] Blocks, Tensor Norm5, Tensor Norm5Hooked, Tensor Logits) : IDisposable
{
    /// <summary>The output of <c>features.denseblock4</c> (before norm5): the map the reference's decoder bridge takes.</summary>
    public Tensor DenseBlock4 => Blocks[^1];

    /// <summary>Disposes every tensor of the capture.</summary>
    public void Dispose()
    {
        foreach (var t in Blocks) t.Dispose();
        Norm5.Dispose();
        Norm5Hooked.Dispose();
        Logits.Dispose();
    }
}

/// <summary>
/// DenseNet-BC (Huang et al. 2017) with torchvision's state-dict key names (<c>features.conv0.weight</c>,
/// <c>features.norm0.running_mean</c>, <c>features.denseblock1.denselayer1.norm1.weight</c>, <c>...conv2.weight</c>,
/// <c>features.transition1.conv.weight</c>, <c>features.norm5.*</c>, <c>classifier.*</c>), so torchvision checkpoints
/// load by name. Configurable growth rate, bottleneck size, block configuration, initial features and input channels.
/// </summary>
/// <remarks>
/// torchvision's <c>memory_efficient</c> option (<see cref="MemoryEfficient"/>): each dense layer's bottleneck
/// (concatenation of the earlier features, norm1, relu1, conv1) runs without keeping its intermediates for the backward
/// pass, which recomputes them from the layer's inputs (torchvision's <c>torch.utils.checkpoint</c>; here a TorchSharp
/// custom autograd function, <see cref="DenseBottleneckCheckpoint"/>). Outputs, gradients and key names are unchanged.
/// As in torchvision with PyTorch's checkpoint, the recomputation runs norm1 in the module's mode, so in training
/// norm1's running statistics are updated twice per step (tests/data/golden/densenet/memory_efficient.json records it).
/// </remarks>
public sealed class DenseNet : Module<Tensor, Tensor>, IStemFeatureEncoder
{
    private readonly DenseNetFeatures features;
    private readonly Linear? classifier;

    /// <param name="name">Module name.</param>
    /// <param name="growthRate">Channels each dense layer adds (torchvision <c>growth_rate</c>).</param>
    /// <param name="blockConfig">Dense layers per block (four blocks), e.g. [6,12,24,16] for DenseNet-121.</param>
    /// <param name="numInitFeatures">Channels of the stem convolution.</param>
    /// <param name="bnSize">Bottleneck multiplier: conv1 of a dense layer has <c>bnSize * growthRate</c> outputs.</param>
    /// <param name="dropRate">Dropout on each dense layer's new features (training only).</param>
    /// <param name="numClasses">Classifier outputs; 0 for no <c>classifier</c> (forward returns pooled features).</param>
    /// <param name="inChans">Input channels of <c>conv0</c> (1 for grey radiographs, 3 for RGB).</param>
    /// <param name="memoryEfficient">torchvision's <c>memory_efficient</c>: see <see cref="MemoryEfficient"/>.</param>
    public DenseNet(string name, int growthRate, IReadOnlyList<int> blockConfig, int numInitFeatures, int bnSize = 4,
        double dropRate = 0, int numClasses = 1000, int inChans = 3, bool memoryEfficient = false) : base(name)
    {
        if (blockConfig.Count != 4 || blockConfig.Any(n => n < 1))
            throw new ArgumentException("a DenseNet has four dense blocks of at least one layer each", nameof(blockConfig));
        if (growthRate < 1) throw new ArgumentOutOfRangeException(nameof(growthRate));
        if (numInitFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numInitFeatures));
        if (bnSize < 1) throw new ArgumentOutOfRangeException(nameof(bnSize));
        if (dropRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropRate));
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses));
        if (inChans < 1) throw new ArgumentOutOfRangeException(nameof(inChans));

        GrowthRate = growthRate;
        BlockConfig = blockConfig.ToArray();
        NumInitFeatures = numInitFeatures;
        BnSize = bnSize;
        DropRate = dropRate;
        NumClasses = numClasses;
        InChans = inChans;

        features = new DenseNetFeatures(inChans, growthRate, BlockConfig, numInitFeatures, bnSize, dropRate);
        FeatureChannels = features.BlockChannels;
        if (numClasses > 0) classifier = Linear(NumFeatures, numClasses);
        RegisterComponents();

        // torchvision's initialisation: Kaiming-normal (fan_in, ReLU gain) convolutions, BatchNorm 1/0, Linear bias 0.
        using (no_grad())
        {
            foreach (var (_, m) in named_modules())
            {
                switch (m)
                {
                    case Conv2d c:
                        init.kaiming_normal_(c.weight);
                        break;
                    case BatchNorm2d bn:
                        init.ones_(bn.weight);
                        init.zeros_(bn.bias);
                        break;
                    case Linear l when l.bias is not null:
                        init.zeros_(l.bias);
                        break;
                }
            }
        }
        ConvolutionLayout.UseChannelsLast(this);
        MemoryEfficient = memoryEfficient;
    }

    /// <summary>
    /// torchvision's <c>memory_efficient</c> (default off): when on, a dense layer whose inputs require gradients (with
    /// gradients enabled) does not keep the concatenation of its inputs nor the norm1/relu1 output for the backward pass;
    /// the backward pass recomputes them. Training memory of a dense block falls from O(layers²) to O(layers) feature
    /// maps at the price of one more bottleneck forward per layer. Can be switched at any time (no weights change).
    /// </summary>
    public bool MemoryEfficient
    {
        get => features.MemoryEfficient;
        set => features.MemoryEfficient = value;
    }

    /// <summary>DenseNet-121: growth 32, blocks [6,12,24,16], 64 initial features (7.98 M parameters with 1000 classes).</summary>
    public static DenseNet DenseNet121(int inChans = 3, int numClasses = 1000, bool memoryEfficient = false) => new("densenet121", 32, [6, 12, 24, 16], 64, 4, 0, numClasses, inChans, memoryEfficient);

    /// <summary>DenseNet-169: growth 32, blocks [6,12,32,32], 64 initial features.</summary>
    public static DenseNet DenseNet169(int inChans = 3, int numClasses = 1000, bool memoryEfficient = false) => new("densenet169", 32, [6, 12, 32, 32], 64, 4, 0, numClasses, inChans, memoryEfficient);

    /// <summary>DenseNet-201: growth 32, blocks [6,12,48,32], 64 initial features (1920 features before the classifier).</summary>
    public static DenseNet DenseNet201(int inChans = 3, int numClasses = 1000, bool memoryEfficient = false) => new("densenet201", 32, [6, 12, 48, 32], 64, 4, 0, numClasses, inChans, memoryEfficient);

    /// <summary>Channels each dense layer adds.</summary>
    public int GrowthRate { get; }
    /// <summary>Dense layers per block.</summary>
    public IReadOnlyList<int> BlockConfig { get; }
    /// <summary>Channels of the stem convolution.</summary>
    public int NumInitFeatures { get; }
    /// <summary>Bottleneck multiplier.</summary>
    public int BnSize { get; }
    /// <summary>Dropout rate of the dense layers' new features.</summary>
    public double DropRate { get; }
    /// <summary>Classifier outputs (0: none).</summary>
    public int NumClasses { get; }
    /// <summary>Input channels.</summary>
    public int InChans { get; }

    /// <summary>Channels of the four <see cref="forward_features"/> maps (the dense blocks' outputs).</summary>
    public IReadOnlyList<int> FeatureChannels { get; }

    /// <summary>Strides (input pixels per map pixel) of the four <see cref="forward_features"/> maps.</summary>
    public IReadOnlyList<int> FeatureStrides { get; } = [4, 8, 16, 32];

    /// <summary>Channels of norm5 and of the classifier's input.</summary>
    public int NumFeatures => FeatureChannels[^1];

    /// <summary>The outputs of denseblock1..denseblock4: strides 4, 8, 16, 32 (taps for decoders).</summary>
    public Tensor[] forward_features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var blocks = features.ForwardBlocks(input, out _);
        foreach (var t in blocks) scope.MoveToOuter(t);
        return blocks;
    }

    /// <summary>Channels of the stride-2 map (relu0, the stem before pool0; segmentation_models' stride-2 DenseNet map).</summary>
    public int StemChannels => NumInitFeatures;

    /// <summary>relu0 (stride 2), then the outputs of denseblock1..denseblock4.</summary>
    public Tensor[] forward_features_with_stem(Tensor input)
    {
        using var scope = NewDisposeScope();
        var blocks = features.ForwardBlocks(input, out _, out var stem);
        Tensor[] result = [stem, .. blocks];
        foreach (var t in result) scope.MoveToOuter(t);
        return result;
    }

    /// <summary>Logits [N, numClasses] (or pooled ReLU(norm5) features [N, C] without a classifier), as torchvision's
    /// <c>DenseNet.forward</c>: ReLU, global average pooling, flatten, classifier.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(features.call(input));
        return Head(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One forward pass that also returns what the reference's forward hooks capture (denseblock4 output, the norm5
    /// output as the hook sees it after torchvision's in-place ReLU) and the other block outputs.
    /// </summary>
    public DenseNetCapture ForwardWithCapture(Tensor input)
    {
        using var scope = NewDisposeScope();
        var blocks = features.ForwardBlocks(input, out var norm5);
        var hooked = functional.relu(norm5);
        var logits = Head(hooked);
        foreach (var t in blocks) scope.MoveToOuter(t);
        scope.MoveToOuter(norm5);
        scope.MoveToOuter(hooked);
        scope.MoveToOuter(logits);
        return new DenseNetCapture(blocks, norm5, hooked, logits);
    }

    private Tensor Head(Tensor reluNorm5)
    {
        var pooled = functional.adaptive_avg_pool2d(reluNorm5, [1, 1]).flatten(1);
        return classifier is null ? pooled : classifier.call(pooled);
    }
}

/// <summary>torchvision's <c>DenseNet.features</c> (a Sequential: conv0, norm0, relu0, pool0, denseblock1, transition1,
/// ..., denseblock4, norm5), with access to the block outputs. <see cref="ModuleFusion.FuseForInference{T}"/> folds norm0
/// into conv0 (the other batch norms of a DenseNet precede their convolution with a ReLU between, so they stay).</summary>
public sealed class DenseNetFeatures : Module<Tensor, Tensor>, IFoldsBatchNorms
{
    // Modules are held in arrays: TorchSharp registers module-typed fields by their field names, and these are
    // registered explicitly under torchvision's names instead.
    private readonly Conv2d[] _conv0 = new Conv2d[1];
    private readonly Module<Tensor, Tensor>[] _stem;
    private readonly DenseBlock[] _blocks;
    private readonly DenseTransition[] _transitions;
    private readonly BatchNorm2d[] _norm5 = new BatchNorm2d[1];

    /// <summary>Builds the feature extractor; see <see cref="DenseNet"/> for the arguments.</summary>
    public DenseNetFeatures(int inChans, int growthRate, IReadOnlyList<int> blockConfig, int numInitFeatures, int bnSize,
        double dropRate) : base("features")
    {
        _conv0[0] = Conv2d(inChans, numInitFeatures, kernel_size: 7, stride: 2, padding: 3, bias: false);
        _stem = [_conv0[0], BatchNorm2d(numInitFeatures), ReLU(inplace: true), MaxPool2d(kernel_size: 3, stride: 2, padding: 1)];
        string[] stemNames = ["conv0", "norm0", "relu0", "pool0"];
        for (var i = 0; i < _stem.Length; i++) register_module(stemNames[i], _stem[i]);

        var blocks = new List<DenseBlock>();
        var transitions = new List<DenseTransition>();
        var channels = new List<int>();
        var numFeatures = numInitFeatures;
        for (var i = 0; i < blockConfig.Count; i++)
        {
            var block = new DenseBlock(blockConfig[i], numFeatures, bnSize, growthRate, dropRate);
            register_module($"denseblock{i + 1}", block);
            blocks.Add(block);
            numFeatures += blockConfig[i] * growthRate;
            channels.Add(numFeatures);
            if (i != blockConfig.Count - 1)
            {
                var t = new DenseTransition(numFeatures, numFeatures / 2);
                register_module($"transition{i + 1}", t);
                transitions.Add(t);
                numFeatures /= 2;
            }
        }
        _norm5[0] = BatchNorm2d(numFeatures);
        register_module("norm5", _norm5[0]);
        _blocks = blocks.ToArray();
        _transitions = transitions.ToArray();
        BlockChannels = channels;
    }

    /// <summary>Output channels of each dense block.</summary>
    public IReadOnlyList<int> BlockChannels { get; }

    /// <summary>torchvision's <c>memory_efficient</c> for every dense layer (see <see cref="DenseNet.MemoryEfficient"/>).</summary>
    public bool MemoryEfficient
    {
        get => _blocks.Length > 0 && _blocks[0].MemoryEfficient;
        set
        {
            foreach (var b in _blocks) b.MemoryEfficient = value;
        }
    }

    /// <inheritdoc/>
    public void FoldBatchNorms()
    {
        if (_stem[1] is not BatchNorm2d norm0 || !ModuleFusion.TryFold(_conv0[0], norm0)) return;
        var identity = Identity();
        ModuleFusion.ReplaceChild(this, "norm0", identity);
        _stem[1] = identity;
        norm0.Dispose();
    }

    /// <summary>The norm5 output (BatchNorm, before any ReLU), as torchvision's <c>features(x)</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        ForwardBlocks(input, out var norm5);
        return norm5.MoveToOuterDisposeScope();
    }

    /// <summary>The dense blocks' outputs (strides 4..32) and the norm5 output (in the caller's dispose scope).</summary>
    public Tensor[] ForwardBlocks(Tensor input, out Tensor norm5) => ForwardBlocks(input, out norm5, out _);

    /// <summary>As <see cref="ForwardBlocks(Tensor, out Tensor)"/>, also giving the relu0 output (stride 2).</summary>
    public Tensor[] ForwardBlocks(Tensor input, out Tensor norm5, out Tensor stem)
    {
        var inChans = _conv0[0].weight!.shape[1];
        if (input.dim() != 4 || input.shape[1] != inChans)
            throw new ArgumentException($"expected input [N, {inChans}, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
        var x = input;
        stem = input;
        for (var i = 0; i < _stem.Length; i++)
        {
            x = _stem[i].call(x);
            if (i == 2) stem = x;
        }
        var outs = new Tensor[_blocks.Length];
        for (var i = 0; i < _blocks.Length; i++)
        {
            x = _blocks[i].call(x);
            outs[i] = x;
            if (i < _transitions.Length) x = _transitions[i].call(x);
        }
        norm5 = _norm5[0].call(x);
        return outs;
    }
}

/// <summary>torchvision's <c>_DenseBlock</c>: dense layers <c>denselayer1..N</c>, each fed the concatenation of the
/// block input and every earlier layer's new features; the output is the concatenation of all of them.</summary>
public sealed class DenseBlock : Module<Tensor, Tensor>
{
    private readonly DenseLayer[] _layers;

    /// <summary>A block of <paramref name="numLayers"/> dense layers on <paramref name="numInputFeatures"/> channels.</summary>
    public DenseBlock(int numLayers, int numInputFeatures, int bnSize, int growthRate, double dropRate) : base("DenseBlock")
    {
        _layers = new DenseLayer[numLayers];
        for (var i = 0; i < numLayers; i++)
        {
            _layers[i] = new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate);
            register_module($"denselayer{i + 1}", _layers[i]);
        }
    }

    /// <summary>torchvision's <c>memory_efficient</c> for the block's layers.</summary>
    public bool MemoryEfficient { get; set; }

    /// <summary>cat([input, new_1, ..., new_N], 1).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor> { input };
        foreach (var layer in _layers)
        {
            // torchvision: memory_efficient and any input requires grad -> checkpointed bottleneck (with gradients off
            // nothing would be kept anyway, and the two paths compute the same values)
            if (MemoryEfficient && is_grad_enabled() && parts.Exists(p => p.requires_grad))
            {
                parts.Add(layer.ForwardCheckpointed(parts));
                continue;
            }
            if (parts.Count == 1)
            {
                parts.Add(layer.call(input));
                continue;
            }
            using var concatenated = cat(parts, 1); // released at once, as torchvision's layer frees its concatenation
            parts.Add(layer.call(concatenated));
        }
        return cat(parts, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>torchvision's <c>_DenseLayer</c> (keys norm1, conv1, norm2, conv2): BN-ReLU-Conv1x1 to
/// <c>bnSize * growthRate</c> channels, BN-ReLU-Conv3x3 to <c>growthRate</c> channels, dropout when training.
/// <see cref="ModuleFusion.FuseForInference{T}"/> folds norm2 into conv1.</summary>
public sealed class DenseLayer : Module<Tensor, Tensor>, IFoldsBatchNorms
{
    private readonly BatchNorm2d norm1;
    private readonly ReLU relu1;
    private readonly Conv2d conv1;
    private BatchNorm2d? norm2;
    private readonly ReLU relu2;
    private readonly Conv2d conv2;
    private readonly double _dropRate;

    /// <summary>A dense layer on <paramref name="numInputFeatures"/> (already concatenated) channels.</summary>
    public DenseLayer(int numInputFeatures, int growthRate, int bnSize, double dropRate) : base("DenseLayer")
    {
        norm1 = BatchNorm2d(numInputFeatures);
        relu1 = ReLU(inplace: true);
        conv1 = Conv2d(numInputFeatures, bnSize * growthRate, kernel_size: 1, stride: 1, padding: TorchSharp.Padding.Valid, bias: false);
        norm2 = BatchNorm2d(bnSize * growthRate);
        relu2 = ReLU(inplace: true);
        conv2 = Conv2d(bnSize * growthRate, growthRate, kernel_size: 3, stride: 1, padding: 1, bias: false);
        _dropRate = dropRate;
        RegisterComponents();
    }

    /// <summary>The layer's new features (growthRate channels) from the concatenated input.</summary>
    public override Tensor forward(Tensor concatenated)
    {
        using var scope = NewDisposeScope();
        return Tail(conv1.call(relu1.call(norm1.call(concatenated)))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The layer's new features from the list of earlier features with torchvision's <c>memory_efficient</c> bottleneck:
    /// cat + norm1 + relu1 + conv1 run in <see cref="DenseBottleneckCheckpoint"/>, which keeps only the inputs and
    /// recomputes the rest in the backward pass; norm2, relu2, conv2 and dropout as in <see cref="forward"/>.
    /// </summary>
    public Tensor ForwardCheckpointed(IReadOnlyList<Tensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("at least one feature map", nameof(parts));
        using var scope = NewDisposeScope();
        var args = new object[parts.Count + 4];
        args[0] = this;
        for (var i = 0; i < parts.Count; i++) args[i + 1] = parts[i];
        args[^3] = norm1.weight!;
        args[^2] = norm1.bias!;
        args[^1] = conv1.weight!;
        return Tail(DenseBottleneckCheckpoint.apply(args)).MoveToOuterDisposeScope();
    }

    /// <summary>cat(parts) -> norm1 -> relu1 -> conv1 (torchvision's <c>bn_function</c>).</summary>
    internal Tensor Bottleneck(IReadOnlyList<Tensor> parts)
    {
        using var scope = NewDisposeScope();
        var x = parts.Count == 1 ? parts[0] : cat(parts.ToList(), 1);
        return conv1.call(relu1.call(norm1.call(x))).MoveToOuterDisposeScope();
    }

    /// <summary>norm1's weight and bias and conv1's weight: the parameters of the bottleneck.</summary>
    internal Tensor[] BottleneckParameters() => [norm1.weight!, norm1.bias!, conv1.weight!];

    private Tensor Tail(Tensor y)
    {
        y = conv2.call(relu2.call(ModuleFusion.Norm(norm2, y)));
        if (_dropRate > 0) y = functional.dropout(y, _dropRate, training);
        return y;
    }

    /// <inheritdoc/>
    public void FoldBatchNorms() => ModuleFusion.FoldChild(this, conv1, "norm2", ref norm2);
}

/// <summary>torchvision's <c>_Transition</c> (keys norm, conv): BN-ReLU-Conv1x1 halving the channels, 2x2 average pool.</summary>
public sealed class DenseTransition : Module<Tensor, Tensor>
{
    private readonly BatchNorm2d norm;
    private readonly ReLU relu;
    private readonly Conv2d conv;
    private readonly AvgPool2d pool;

    /// <summary>A transition from <paramref name="numInputFeatures"/> to <paramref name="numOutputFeatures"/> channels.</summary>
    public DenseTransition(int numInputFeatures, int numOutputFeatures) : base("Transition")
    {
        norm = BatchNorm2d(numInputFeatures);
        relu = ReLU(inplace: true);
        conv = Conv2d(numInputFeatures, numOutputFeatures, kernel_size: 1, stride: 1, padding: TorchSharp.Padding.Valid, bias: false);
        pool = AvgPool2d(kernel_size: 2, stride: 2);
        RegisterComponents();
    }

    /// <summary>pool(conv(relu(norm(x)))).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return pool.call(conv.call(relu.call(norm.call(x)))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The checkpointed bottleneck of a dense layer (torchvision's <c>memory_efficient</c>, PyTorch's reentrant
/// <c>torch.utils.checkpoint</c>): forward runs cat + norm1 + relu1 + conv1 without recording a graph and saves only its
/// inputs; backward reruns them with gradients on the saved inputs and returns the gradients for the inputs and for
/// norm1.weight, norm1.bias and conv1.weight. Arguments of <c>apply</c>: the <see cref="DenseLayer"/>, the feature maps,
/// then the three parameters.
/// </summary>
public sealed class DenseBottleneckCheckpoint : torch.autograd.SingleTensorFunction<DenseBottleneckCheckpoint>
{
    /// <inheritdoc/>
    public override string Name => nameof(DenseBottleneckCheckpoint);

    /// <inheritdoc/>
    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var layer = (DenseLayer)vars[0];
        var parts = new List<Tensor>(vars.Length - 4);
        for (var i = 1; i < vars.Length - 3; i++) parts.Add((Tensor)vars[i]);
        ctx.save_data("layer", layer);
        ctx.save_data("needs_grad", parts.Select(p => p.requires_grad).ToArray());
        ctx.save_for_backward(parts);
        return layer.Bottleneck(parts);
    }

    // The gradients the previous backward call on this thread returned. The engine copies them when the call returns,
    // so they are released at the next call: left to the caller's dispose scope (the training step's), every layer's
    // input gradients would stay alive to the end of the step, which is the O(layers²) memory the checkpoint avoids.
    [ThreadStatic] private static List<Tensor>? _returned;

    /// <inheritdoc/>
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad_output)
    {
        if (_returned is { } previous)
        {
            foreach (var t in previous) t.Dispose();
            previous.Clear();
        }
        var layer = (DenseLayer)ctx.get_data("layer");
        var needs = (bool[])ctx.get_data("needs_grad");
        var ps = layer.BottleneckParameters();
        var result = new List<Tensor> { null! };
        using (var scope = NewDisposeScope())
        {
            var saved = ctx.get_saved_variables();
            var inputs = new List<Tensor>(saved.Count);
            for (var i = 0; i < saved.Count; i++) inputs.Add(saved[i].detach().requires_grad_(needs[i]));
            Tensor y;
            using (var _ = enable_grad()) y = layer.Bottleneck(inputs);
            var wrt = inputs.Where(t => t.requires_grad).Concat(ps.Where(p => p.requires_grad)).ToList();
            IList<Tensor> grads = wrt.Count == 0 ? Array.Empty<Tensor>() : torch.autograd.grad([y], wrt, [grad_output], allow_unused: true);
            var k = 0;
            foreach (var t in inputs) result.Add(t.requires_grad ? grads[k++] : null!);
            foreach (var p in ps) result.Add(p.requires_grad ? grads[k++] : null!);
            // the recomputed graph (concatenation, norm1 output) and the wrappers go with this scope; the gradients
            // are kept for the engine and released at the next call
            var keep = result.Where(t => t is not null).ToList();
            scope.Detach(keep);
            (_returned ??= []).AddRange(keep);
        }
        grad_output.Dispose(); // this call's handle only (the engine holds its own)
        return result;
    }
}
