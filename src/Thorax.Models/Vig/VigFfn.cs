using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>ViG feed-forward block (<c>FFN</c>): <c>x + drop_path(fc2(GELU(fc1(x))))</c>, fc1 = Conv1x1 (C → hidden) + BN,
/// fc2 = Conv1x1 (hidden → C) + BN. Keys <c>fc1.0.*</c>, <c>fc1.1.*</c>, <c>fc2.0.*</c>, <c>fc2.1.*</c>.</summary>
public sealed class VigFfn : Module<Tensor, Tensor>
{
    private readonly Sequential _fc1;
    private readonly GELU _act;
    private readonly Sequential _fc2;
    private readonly DropPath? _dropPath;

    /// <param name="channels">Input and output channels.</param>
    /// <param name="hidden">Hidden channels (4C in ViG).</param>
    /// <param name="dropPath">Stochastic depth rate (training only).</param>
    public VigFfn(int channels, int hidden, double dropPath = 0.0) : base("FFN")
    {
        _fc1 = Sequential(Conv2d(channels, hidden, 1), BatchNorm2d(hidden));
        _act = GELU();
        _fc2 = Sequential(Conv2d(hidden, channels, 1), BatchNorm2d(channels));
        register_module("fc1", _fc1);
        register_module("act", _act);
        register_module("fc2", _fc2);
        if (dropPath > 0)
        {
            _dropPath = new DropPath(dropPath);
            register_module("drop_path", _dropPath);
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = _fc2.call(_act.call(_fc1.call(x)));
        if (_dropPath is not null) y = _dropPath.call(y);
        return y.add(x).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
