using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Saliency;

/// <summary>
/// Squeeze-and-excitation (Hu et al. 2018) as CXRGazeLearn writes it (key names <c>fc.0.weight</c>, <c>fc.2.weight</c>):
/// global average pool, Linear(C → C/r, no bias), ReLU, Linear(C/r → C, no bias), sigmoid, channel scale.
/// </summary>
public sealed class SEBlock : Module<Tensor, Tensor>
{
    private readonly Sequential _fc;

    /// <param name="channels">Channels C.</param>
    /// <param name="reduction">Reduction r (C/r hidden units, integer division as the reference).</param>
    public SEBlock(int channels, int reduction = 16) : base("SEBlock")
    {
        if (channels / reduction < 1) throw new ArgumentException($"SE block: {channels} channels / reduction {reduction} leaves no hidden unit", nameof(channels));
        _fc = Sequential(Linear(channels, channels / reduction, hasBias: false), ReLU(), Linear(channels / reduction, channels, hasBias: false), Sigmoid());
        register_module("fc", _fc);
    }

    /// <summary>x scaled per channel by the excitation.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var w = _fc.call(x.mean([-2L, -1L])).unsqueeze(-1).unsqueeze(-1);
        return (x * w).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}

/// <summary>
/// CXRGazeLearn's <c>ResidualBlock</c> (keys conv1, bn1, conv2, bn2, conv_shortcut):
/// ReLU(BN(Conv3x3(ReLU(BN(Conv3x3(x))))) + Conv3x3_shortcut(x)); every convolution has a bias, the shortcut no BN.
/// <see cref="ModuleFusion.FuseForInference{T}"/> folds bn1 and bn2 into conv1 and conv2. Without gradients (evaluation
/// under <c>no_grad</c> / <c>inference_mode</c>) the sum and the final ReLU are done in place on the second branch.
/// </summary>
public sealed class ResidualBlock : Module<Tensor, Tensor>, IFoldsBatchNorms
{
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly Conv2d conv_shortcut;

    /// <summary>A residual block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public ResidualBlock(int inChannels, int outChannels) : base("ResidualBlock")
    {
        conv1 = Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);
        bn1 = BatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1);
        bn2 = BatchNorm2d(outChannels);
        conv_shortcut = Conv2d(inChannels, outChannels, kernel_size: 3, stride: 1, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var residual = conv_shortcut.call(x);
        var y = conv1.call(x);
        y = ModuleFusion.Norm(bn1, y);
        y = conv2.call(functional.relu(y));
        y = ModuleFusion.Norm(bn2, y);
        if (!torch.is_grad_enabled()) return y.add_(residual).relu_().MoveToOuterDisposeScope();
        return functional.relu(y + residual).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void FoldBatchNorms()
    {
        ModuleFusion.FoldChild(this, conv1, "bn1", ref bn1);
        ModuleFusion.FoldChild(this, conv2, "bn2", ref bn2);
    }
}

/// <summary>Layer factories with the reference's <c>nn.Sequential</c> indices, shared by <see cref="GazeMtlUNet"/> and <see cref="MtUNet"/>.</summary>
public static class SaliencyLayers
{
    /// <summary>Builds and registers the five-level U-Net of MT-UNet and the single-task saliency U-Net on
    /// <paramref name="owner"/> with the reference's keys, in its order: <c>Maxpool1-4</c>, <c>Conv1-5</c> (from
    /// <paramref name="encoderBlock"/>), then <c>Up5</c>/<c>Up_conv5</c> down to <c>Up2</c>/<c>Up_conv2</c>.</summary>
    public static (Sequential[] Encoder, MaxPool2d[] Pool, Sequential[] Up, Sequential[] UpConv) RegisterUNet(
        Module owner, IReadOnlyList<int> f, int inChannels, Func<int, int, Sequential> encoderBlock)
    {
        var pool = Enumerable.Range(0, 4).Select(_ => MaxPool2d(kernel_size: 2, stride: 2)).ToArray();
        for (var i = 0; i < 4; i++) owner.register_module($"Maxpool{i + 1}", pool[i]);
        var enc = new Sequential[5];
        for (var i = 0; i < 5; i++)
        {
            enc[i] = encoderBlock(i == 0 ? inChannels : f[i - 1], f[i]);
            owner.register_module($"Conv{i + 1}", enc[i]);
        }
        var up = new Sequential[4];
        var upConv = new Sequential[4];
        for (var k = 5; k >= 2; k--)
        {
            up[k - 2] = UpConv(f[k - 1], f[k - 2]);
            upConv[k - 2] = DoubleConvBnRelu(f[k - 1], f[k - 2]);
            owner.register_module($"Up{k}", up[k - 2]);
            owner.register_module($"Up_conv{k}", upConv[k - 2]);
        }
        return (enc, pool, up, upConv);
    }

    /// <summary>The five-level U-Net of MT-UNet and the single-task saliency U-Net: encoder maps e[0..4] (max-pooled
    /// between levels) and the decoder's top map (up-sampling, then the skip first in the concatenation).</summary>
    public static (Tensor[] Encoder, Tensor Top) UNetTrunk(Sequential[] enc, MaxPool2d[] pool, Sequential[] up,
        Sequential[] upConv, Tensor input)
    {
        var e = new Tensor[5];
        e[0] = enc[0].call(input);
        for (var i = 1; i < 5; i++) e[i] = enc[i].call(pool[i - 1].call(e[i - 1]));
        var d = e[4];
        for (var k = 5; k >= 2; k--)
            d = upConv[k - 2].call(cat([e[k - 2], up[k - 2].call(d)], 1));
        return (e, d);
    }

    /// <summary>The final model's encoder block (<c>conv_block</c> in Module/): Sequential(ResidualBlock, SEBlock) — keys
    /// <c>0.conv1.weight</c> ... <c>1.fc.2.weight</c>.</summary>
    public static Sequential ResSEBlock(int inChannels, int outChannels) =>
        Sequential(new ResidualBlock(inChannels, outChannels), new SEBlock(outChannels));

    /// <summary>[Conv3x3(bias) → BN → ReLU] x 2 — keys 0, 1, 3, 4 (the final model's <c>up_conv_block</c>, the
    /// baseline's <c>conv_block</c>).</summary>
    public static Sequential DoubleConvBnRelu(int inChannels, int outChannels) =>
        Sequential(Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1), BatchNorm2d(outChannels), ReLU(inplace: true),
            Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1), BatchNorm2d(outChannels), ReLU(inplace: true));

    /// <summary><c>up_conv</c>: nearest x2 up-sampling → Conv3x3(bias) → BN → ReLU — keys 1 and 2 (index 0 is the
    /// parameter-free <c>Upsample</c>).</summary>
    public static Sequential UpConv(int inChannels, int outChannels) =>
        Sequential(Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest),
            Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1), BatchNorm2d(outChannels), ReLU(inplace: true));

    /// <summary>The saliency head (<c>conv_bn_acti_drop</c> + <c>conv_last</c>): keys <c>conv2d</c>, <c>BatchNorm2d</c>,
    /// <c>conv_last</c>; Conv3x3 → BN → ReLU (in place: the batch norm's output is not needed again) → Conv1x1 to one
    /// logit map.</summary>
    public static Sequential SaliencyHead(int channels, int outMaps = 1) =>
        Sequential(("conv2d", Conv2d(channels, channels, kernel_size: 3, padding: 1)), ("BatchNorm2d", BatchNorm2d(channels)),
            ("ReLU", ReLU(inplace: true)), ("conv_last", Conv2d(channels, outMaps, kernel_size: 1)));

    /// <summary>The classifier (<c>classification_head</c>): keys <c>linear_1</c>, <c>linear_2</c>; Linear → Dropout(p)
    /// → ReLU → Linear.</summary>
    public static Sequential ClassificationHead(int inFeatures, int midFeatures, int classes, double dropout = 0.25) =>
        Sequential(("linear_1", Linear(inFeatures, midFeatures)), ("dropout", Dropout(dropout)), ("relu_1", ReLU()),
            ("linear_2", Linear(midFeatures, classes)));

    /// <summary>
    /// Registers the multi-task tail both networks end with, in the reference's key order (the order is the state
    /// dict's): <c>dummy_tensor</c> (int64 0), <c>out_classification</c> (<see cref="ClassificationHead"/> on
    /// <paramref name="pooledFeatures"/> inputs, <paramref name="width"/> hidden), <c>out_conv_image</c>
    /// (<see cref="SaliencyHead"/> on <paramref name="width"/> channels) and <c>lg_sigma_class</c> (0).
    /// </summary>
    public static (Sequential Classifier, Sequential SaliencyHead, Parameter LgSigmaClass) RegisterHeads(
        Module net, int pooledFeatures, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(net);
        net.register_buffer("dummy_tensor", torch.tensor(0L));
        var classifier = ClassificationHead(pooledFeatures, width, classes, 0.25);
        net.register_module("out_classification", classifier);
        var saliency = SaliencyHead(width);
        net.register_module("out_conv_image", saliency);
        var sigma = new Parameter(torch.tensor(0f));
        net.register_parameter("lg_sigma_class", sigma);
        return (classifier, saliency, sigma);
    }

    /// <summary>Saliency log-probabilities: log-softmax over all H·W pixels of each map (shape kept), as the reference's
    /// training and evaluation loops compute them.</summary>
    public static Tensor LogSoftmaxOverPixels(Tensor saliencyLogits)
    {
        using var flat = saliencyLogits.flatten(-2, -1);
        using var lp = functional.log_softmax(flat, -1);
        return lp.reshape(saliencyLogits.shape);
    }

    internal static void Hook(Module root) => ConvolutionLayout.UseChannelsLast(root);
}
