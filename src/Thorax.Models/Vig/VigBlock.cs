using static TorchSharp.torch;

namespace Thorax.Models.Vig;

/// <summary>One ViG backbone entry: <see cref="Grapher"/> (key <c>0</c>) then <see cref="VigFfn"/> (key <c>1</c>), as the
/// reference's <c>Seq(Grapher(...), FFN(...))</c>.</summary>
public sealed class VigBlock : nn.Module<Tensor, Tensor>
{
    /// <param name="grapher">The graph block.</param>
    /// <param name="ffn">The feed-forward block.</param>
    public VigBlock(Grapher grapher, VigFfn ffn) : base("VigBlock")
    {
        Grapher = grapher;
        Ffn = ffn;
        register_module("0", grapher);
        register_module("1", ffn);
    }

    /// <summary>The graph block.</summary>
    public Grapher Grapher { get; }

    /// <summary>The feed-forward block.</summary>
    public VigFfn Ffn { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>The block, with an optional gaze map [B, 1, H, W] directing the graph.</summary>
    public Tensor Forward(Tensor x, Tensor? gaze, double gazeLambda = 1.0)
    {
        using var scope = NewDisposeScope();
        var y = Grapher.Forward(x, gaze, gazeLambda);
        return Ffn.call(y).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
