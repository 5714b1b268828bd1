using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>
/// ViG stems (key <c>convs.N</c>). Pyramid: Conv3x3 s2 (in → C/2), BN, GELU, Conv3x3 s2 (C/2 → C), BN, GELU,
/// Conv3x3 s1, BN: stride 4. Isotropic: four stride-2 Conv3x3 + BN + GELU (in → C/8 → C/4 → C/2 → C) and a
/// Conv3x3 s1 + BN: stride 16.
/// </summary>
public sealed class VigStem : Module<Tensor, Tensor>
{
    private readonly Sequential _convs;

    /// <param name="inChannels">Input channels (3).</param>
    /// <param name="outChannels">Embedding channels C.</param>
    /// <param name="isotropic">The isotropic ViG's stride-16 stem instead of the pyramid's stride-4 one.</param>
    public VigStem(int inChannels, int outChannels, bool isotropic = false) : base("Stem")
    {
        var layers = new List<Module<Tensor, Tensor>>();
        var widths = isotropic
            ? new[] { inChannels, outChannels / 8, outChannels / 4, outChannels / 2, outChannels }
            : new[] { inChannels, outChannels / 2, outChannels };
        for (var i = 1; i < widths.Length; i++)
        {
            layers.Add(Conv2d(widths[i - 1], widths[i], 3, stride: 2, padding: 1));
            layers.Add(BatchNorm2d(widths[i]));
            layers.Add(GELU());
        }
        layers.Add(Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1));
        layers.Add(BatchNorm2d(outChannels));
        _convs = Sequential(layers);
        register_module("convs", _convs);
        Stride = isotropic ? 16 : 4;
    }

    /// <summary>Input pixels per node.</summary>
    public int Stride { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => _convs.call(x);

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
