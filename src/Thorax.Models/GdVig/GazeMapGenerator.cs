using Thorax.Models.Vig;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.GdVig;

/// <summary>
/// GD-ViG's gaze map generator (GMG; the authors' <c>ViGUNet</c>): a pyramid ViG encoder (<c>Encoder.*</c>, no relative
/// position, no head) giving stage maps x1..x4 (strides 4-32), three decoder steps
/// (<c>upsample_k</c> ConvT ×2, concat with the skip, <see cref="ResidualConv"/> <c>up_residual_convk</c>), and the
/// generation head <c>output_reg_layer</c> (Conv3x3 + BN + ReLU, ConvT ×2 to C0/2 + BN + ReLU, Conv3x3 + BN + ReLU,
/// ConvT ×2 to 1 channel — or, EGD-CXR, to C0/2 followed by Conv1x1 → 1), then ReLU: a [B, 1, 224, 224] map ≥ 0.
/// </summary>
public sealed class GazeMapGenerator : Module<Tensor, Tensor>
{
    private readonly PyramidVig _encoder;
    private readonly GazeUpsample _up1, _up2, _up3;
    private readonly ResidualConv _res1, _res2, _res3;
    private readonly Sequential _head;

    /// <param name="options">Widths and head form.</param>
    public GazeMapGenerator(GdVigOptions options) : base("ViGUNet")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ImageSize = options.ImageSize;
        var f = options.Channels;
        _encoder = new PyramidVig(options.Backbone(0));
        _up1 = new GazeUpsample(f[3], f[3]);
        _res1 = new ResidualConv(f[3] + f[2], f[2]);
        _up2 = new GazeUpsample(f[2], f[2]);
        _res2 = new ResidualConv(f[2] + f[1], f[1]);
        _up3 = new GazeUpsample(f[1], f[1]);
        _res3 = new ResidualConv(f[1] + f[0], f[0]);
        var half = f[0] / 2;
        var head = new List<Module<Tensor, Tensor>>
        {
            Conv2d(f[0], f[0], 3, padding: 1), BatchNorm2d(f[0]), ReLU(),
            new GazeUpsample(f[0], half), BatchNorm2d(half), ReLU(),
            Conv2d(half, half, 3, padding: 1), BatchNorm2d(half), ReLU(),
        };
        if (options.PointwiseGazeOutput)
        {
            head.Add(new GazeUpsample(half, half));
            head.Add(Conv2d(half, 1, 1));
        }
        else head.Add(new GazeUpsample(half, 1));
        _head = Sequential(head);
        register_module("Encoder", _encoder);
        register_module("upsample_1", _up1);
        register_module("up_residual_conv1", _res1);
        register_module("upsample_2", _up2);
        register_module("up_residual_conv2", _res2);
        register_module("upsample_3", _up3);
        register_module("up_residual_conv3", _res3);
        register_module("output_reg_layer", _head);
    }

    /// <summary>Input side in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>The gaze map [B, 1, S, S] (after the final ReLU, before any normalisation).</summary>
    /// <param name="image">Normalised single-channel images [B, 1, S, S] (S = <see cref="ImageSize"/>, 224 published).</param>
    public override Tensor forward(Tensor image)
    {
        GdVigModel.CheckImage(image, ImageSize);
        using var scope = NewDisposeScope();
        var f = _encoder.ForwardFeatures(image.repeat(1, 3, 1, 1));
        var x = _res1.call(cat(new[] { _up1.call(f[3]), f[2] }, 1));
        x = _res2.call(cat(new[] { _up2.call(x), f[1] }, 1));
        x = _res3.call(cat(new[] { _up3.call(x), f[0] }, 1));
        return functional.relu(_head.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
