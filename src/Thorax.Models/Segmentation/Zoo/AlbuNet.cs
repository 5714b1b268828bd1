using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Segmentation.Zoo;

/// <summary>
/// AlbuNet (Buslaev; TernausNet's U-Net on ResNet-34), the SIIM-ACR pneumothorax first place's model (seed-specs 4.5),
/// with its key names: <c>encoder.*</c> (torchvision ResNet-34 including <c>encoder.fc</c>), the aliases the reference's
/// state dict also holds (<c>conv1.0</c> = encoder.conv1, <c>conv1.1</c> = encoder.bn1, <c>conv2..conv5</c> =
/// encoder.layer1..4; the same tensors), <c>center.block.1.conv.weight</c>, <c>dec5..dec1.block.{1,2}.conv.*</c>,
/// <c>dec0.conv.*</c>, <c>final.*</c>. The stem is conv1-bn1-ReLU then a 2x2 max-pool (not ResNet's 3x3 one); the
/// centre sees a further 2x2 pool of layer4; decoder blocks are bilinear x2 (align_corners false) then two
/// conv3x3+bias+ReLU. Output at input resolution: logits for one class, log-softmax for several (as the reference).
/// </summary>
public sealed class AlbuNet : Module<Tensor, Tensor>
{
    private readonly MaxPool2d pool;
    private readonly ResNet encoder;
    private readonly ReLU relu;
    private readonly Sequential conv1;
    private readonly Sequential conv2, conv3, conv4, conv5;
    private readonly AlbuDecoderBlock center, dec5, dec4, dec3, dec2, dec1;
    private readonly AlbuConvRelu dec0;
    private readonly Conv2d final;

    /// <param name="numClasses">Output channels (1: logits; more: log-probabilities).</param>
    /// <param name="numFilters">Decoder base width (32).</param>
    /// <param name="inChans">Input channels of the ResNet-34 stem.</param>
    public AlbuNet(int numClasses = 1, int numFilters = 32, int inChans = 3) : base("AlbuNet")
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses));
        if (numFilters < 1) throw new ArgumentOutOfRangeException(nameof(numFilters));
        NumClasses = numClasses;
        var nf = numFilters;
        pool = MaxPool2d(kernel_size: 2, stride: 2);
        encoder = ResNet.ResNet34(inChans, 1000);
        relu = ReLU(inplace: true);
        var parts = encoder.Parts;
        conv1 = Sequential(parts.Conv1, parts.Bn1, parts.Relu, pool);
        conv2 = parts.Layers[0];
        conv3 = parts.Layers[1];
        conv4 = parts.Layers[2];
        conv5 = parts.Layers[3];
        center = new AlbuDecoderBlock(512, nf * 8 * 2, nf * 8);
        dec5 = new AlbuDecoderBlock(512 + nf * 8, nf * 8 * 2, nf * 8);
        dec4 = new AlbuDecoderBlock(256 + nf * 8, nf * 8 * 2, nf * 8);
        dec3 = new AlbuDecoderBlock(128 + nf * 8, nf * 4 * 2, nf * 2);
        dec2 = new AlbuDecoderBlock(64 + nf * 2, nf * 2 * 2, nf * 2 * 2);
        dec1 = new AlbuDecoderBlock(nf * 2 * 2, nf * 2 * 2, nf);
        dec0 = new AlbuConvRelu(nf, nf);
        final = Conv2d(nf, numClasses, kernel_size: 1, padding: 0L);
        RegisterComponents();
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>Outputs of the classifier head (0: no head).</summary>
    public int NumClasses { get; }

    /// <summary>The ResNet-34 encoder (torchvision keys below <c>encoder.</c>).</summary>
    public ResNet Encoder => encoder;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (x.dim() != 4 || x.shape[1] != encoder.InChans)
            throw new ArgumentException($"expected input [N, {encoder.InChans}, H, W], got [{string.Join(", ", x.shape)}]", nameof(x));
        if (x.shape[2] % 64 != 0 || x.shape[3] % 64 != 0)
            throw new ArgumentException($"AlbuNet needs height and width divisible by 64 (six halvings), got {x.shape[2]}x{x.shape[3]}", nameof(x));
        var c1 = conv1.call(x);
        var c2 = conv2.call(c1);
        var c3 = conv3.call(c2);
        var c4 = conv4.call(c3);
        var c5 = conv5.call(c4);
        var ce = center.call(pool.call(c5));
        var d5 = dec5.call(cat([ce, c5], 1));
        var d4 = dec4.call(cat([d5, c4], 1));
        var d3 = dec3.call(cat([d4, c3], 1));
        var d2 = dec2.call(cat([d3, c2], 1));
        var d0 = dec0.call(dec1.call(d2));
        var y = final.call(d0);
        if (NumClasses > 1) y = functional.log_softmax(y, 1);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>TernausNet's <c>ConvRelu</c>: <c>conv</c> (3x3, bias) then ReLU (<c>activation</c>).</summary>
public sealed class AlbuConvRelu : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly ReLU activation;

    /// <summary>A 3x3 convolution followed by ReLU.</summary>
    public AlbuConvRelu(int cin, int cout) : base("ConvRelu")
    {
        conv = Conv2d(cin, cout, kernel_size: 3, padding: 1);
        activation = ReLU(inplace: true);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return activation.call(conv.call(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>TernausNet's <c>DecoderBlockV2</c> without deconvolution: <c>block</c> = [bilinear x2, ConvRelu, ConvRelu].</summary>
public sealed class AlbuDecoderBlock : Module<Tensor, Tensor>
{
    private readonly Sequential block;

    /// <summary>An AlbuNet decoder block: upsample by two, then convolutions with ReLU.</summary>
    public AlbuDecoderBlock(int cin, int middle, int cout) : base("DecoderBlockV2")
    {
        block = Sequential(new BilinearUp2(), new AlbuConvRelu(cin, middle), new AlbuConvRelu(middle, cout));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x) => block.call(x);
}

/// <summary>Bilinear x2 upsampling, align_corners false (TernausNet's <c>Interpolate(scale_factor=2, mode='bilinear')</c>).</summary>
public sealed class BilinearUp2 : Module<Tensor, Tensor>
{
    /// <summary>Bilinear upsampling by two.</summary>
    public BilinearUp2() : base("Interpolate") { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x) =>
        functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Bilinear, align_corners: false);
}
