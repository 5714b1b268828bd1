using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Text.Encoders;

/// <summary>T5's layer norm: scale only, no mean subtraction, no bias: w * x / sqrt(mean(x^2) + eps), the mean of
/// squares taken in float32.</summary>
public sealed class T5LayerNorm : Module<Tensor, Tensor>
{
    private readonly double _eps;
    /// <summary>Submodule <c>weight</c> (field name = state-dict key segment).</summary>
    public readonly Parameter weight;

    internal T5LayerNorm(int size, double eps) : base("layer_norm")
    {
        _eps = eps;
        weight = Parameter(ones(size));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var variance = x32.pow(2).mean([-1L], keepdim: true);
        var normed = (x32 * (variance + _eps).rsqrt()).to_type(weight.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// T5 self-attention (<c>SelfAttention.q/k/v/o</c>, no biases; block 0 also owns
/// <c>relative_attention_bias</c> [num_buckets, num_heads]). Scores are q·kᵀ without 1/sqrt(d_kv) (T5 folds it into the
/// initialisation) plus the position bias and the padding mask.
/// </summary>
public sealed class T5Attention : Module<Tensor, Tensor, Tensor>
{
    private readonly T5Config _c;
    /// <summary>Submodules <c>q</c>, <c>k</c>, <c>v</c>, <c>o</c> (field name = state-dict key segment).</summary>
    public readonly Linear q, k, v, o;
    /// <summary>Submodule <c>relative_attention_bias</c> (field name = state-dict key segment).</summary>
    public readonly Embedding? relative_attention_bias;

    internal T5Attention(T5Config c, bool hasRelativeBias) : base("SelfAttention")
    {
        _c = c;
        var inner = c.NumHeads * c.DKv;
        q = Linear(c.DModel, inner, hasBias: false);
        k = Linear(c.DModel, inner, hasBias: false);
        v = Linear(c.DModel, inner, hasBias: false);
        o = Linear(inner, c.DModel, hasBias: false);
        if (hasRelativeBias) relative_attention_bias = Embedding(c.RelativeAttentionNumBuckets, c.NumHeads);
        RegisterComponents();
    }

    /// <summary>Dropout probability on the attention weights when <see cref="T5EncoderModel.TrainModeDropout"/>.</summary>
    internal double Dropout { get; set; }

    /// <summary>
    /// The bucket of each relative position (memory - query), bidirectional: half the buckets for each sign; within
    /// a half, distances below num_buckets/4 (half of the half) get a bucket each, larger ones share logarithmically
    /// spaced buckets up to max_distance, beyond which all fall in the last bucket.
    /// </summary>
    public static Tensor RelativePositionBucket(Tensor relativePosition, int numBuckets, int maxDistance)
    {
        using var scope = NewDisposeScope();
        var half = numBuckets / 2;
        var result = relativePosition.gt(0).to_type(ScalarType.Int64) * half;
        var n = relativePosition.abs();
        var maxExact = half / 2;
        var isSmall = n.lt(maxExact);
        var large = (n.to_type(ScalarType.Float32) / maxExact).log() / Math.Log((double)maxDistance / maxExact) * (half - maxExact);
        var largeBucket = (large.to_type(ScalarType.Int64) + maxExact).clamp_max(half - 1);
        return (result + where(isSmall, n, largeBucket)).MoveToOuterDisposeScope();
    }

    /// <summary>The position bias [1, H, T, T] of block 0's table.</summary>
    public Tensor PositionBias(long length, Device device)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("only block 0 holds the relative attention bias");
        using var scope = NewDisposeScope();
        var pos = arange(length, ScalarType.Int64, device);
        var rel = pos.unsqueeze(0) - pos.unsqueeze(1);   // [query, memory]: memory - query
        var buckets = RelativePositionBucket(rel, _c.RelativeAttentionNumBuckets, _c.RelativeAttentionMaxDistance);
        return relative_attention_bias.call(buckets).permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>x [B, T, D] and bias (position bias + additive mask) [B or 1, H, T, T] to [B, T, D].</summary>
    public override Tensor forward(Tensor x, Tensor bias)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        Tensor Split(Tensor y) => y.view(b, t, _c.NumHeads, _c.DKv).transpose(1, 2);
        var scores = Split(q.call(x)).matmul(Split(k.call(x)).transpose(-1, -2)) + bias;
        var weights = scores.to_type(ScalarType.Float32).softmax(-1).to_type(scores.dtype);
        if (Dropout > 0) weights = functional.dropout(weights, Dropout, training: true);
        var ctx = weights.matmul(Split(v.call(x))).transpose(1, 2).reshape(b, t, _c.NumHeads * _c.DKv);
        return o.call(ctx).MoveToOuterDisposeScope();
    }
}

/// <summary><c>layer.0</c>: pre-norm self-attention with residual.</summary>
public sealed class T5LayerSelfAttention : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>SelfAttention</c> (field name = state-dict key segment).</summary>
    public readonly T5Attention SelfAttention;
    /// <summary>Submodule <c>layer_norm</c> (field name = state-dict key segment).</summary>
    public readonly T5LayerNorm layer_norm;

    internal T5LayerSelfAttention(T5Config c, bool hasRelativeBias) : base("layer0")
    {
        SelfAttention = new T5Attention(c, hasRelativeBias);
        layer_norm = new T5LayerNorm(c.DModel, c.LayerNormEpsilon);
        RegisterComponents();
    }

    internal double Dropout { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor bias)
    {
        using var scope = NewDisposeScope();
        var a = SelfAttention.call(layer_norm.call(x), bias);
        if (Dropout > 0) a = functional.dropout(a, Dropout, training: true);
        return (x + a).MoveToOuterDisposeScope();
    }
}

/// <summary><c>DenseReluDense</c>: wo(act(wi(x))) or, gated, wo(act(wi_0(x)) * wi_1(x)); no biases.</summary>
public sealed class T5DenseActDense : Module<Tensor, Tensor>
{
    private readonly string _act;
    /// <summary>Submodules <c>wi</c>, <c>wi_0</c>, <c>wi_1</c> (field name = state-dict key segment).</summary>
    public readonly Linear? wi, wi_0, wi_1;
    /// <summary>Submodule <c>wo</c> (field name = state-dict key segment).</summary>
    public readonly Linear wo;

    internal T5DenseActDense(T5Config c) : base("DenseReluDense")
    {
        _act = c.Activation;
        if (c.IsGated)
        {
            wi_0 = Linear(c.DModel, c.DFf, hasBias: false);
            wi_1 = Linear(c.DModel, c.DFf, hasBias: false);
        }
        else
        {
            wi = Linear(c.DModel, c.DFf, hasBias: false);
        }
        wo = Linear(c.DFf, c.DModel, hasBias: false);
        RegisterComponents();
    }

    internal double Dropout { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = wi is not null
            ? TextModules.Activation(_act, wi.call(x))
            : TextModules.Activation(_act, wi_0!.call(x)) * wi_1!.call(x);
        if (Dropout > 0) h = functional.dropout(h, Dropout, training: true);
        return wo.call(h).MoveToOuterDisposeScope();
    }
}

/// <summary><c>layer.1</c>: pre-norm feed-forward with residual.</summary>
public sealed class T5LayerFF : Module<Tensor, Tensor>
{
    /// <summary>Submodule <c>DenseReluDense</c> (field name = state-dict key segment).</summary>
    public readonly T5DenseActDense DenseReluDense;
    /// <summary>Submodule <c>layer_norm</c> (field name = state-dict key segment).</summary>
    public readonly T5LayerNorm layer_norm;

    internal T5LayerFF(T5Config c) : base("layer1")
    {
        DenseReluDense = new T5DenseActDense(c);
        layer_norm = new T5LayerNorm(c.DModel, c.LayerNormEpsilon);
        RegisterComponents();
    }

    internal double Dropout { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = DenseReluDense.call(layer_norm.call(x));
        if (Dropout > 0) f = functional.dropout(f, Dropout, training: true);
        return (x + f).MoveToOuterDisposeScope();
    }
}

/// <summary>One encoder block (<c>encoder.block.N</c>): <c>layer.0</c> attention, <c>layer.1</c> feed-forward.</summary>
public sealed class T5Block : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>layer</c> (field name = state-dict key segment).</summary>
    public readonly ModuleList<Module> layer;

    internal T5Block(T5Config c, int index) : base($"block{index}")
    {
        layer = ModuleList<Module>(new T5LayerSelfAttention(c, hasRelativeBias: index == 0), new T5LayerFF(c));
        RegisterComponents();
    }

    /// <summary><c>layer.0</c>.</summary>
    public T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];
    /// <summary><c>layer.1</c>.</summary>
    public T5LayerFF FeedForwardLayer => (T5LayerFF)layer[1];

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor bias)
    {
        using var a = SelfAttentionLayer.call(x, bias);
        return FeedForwardLayer.call(a);
    }
}

/// <summary>The encoder stack (<c>encoder.block</c>, <c>encoder.final_layer_norm</c>).</summary>
public sealed class T5Stack : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>block</c> (field name = state-dict key segment).</summary>
    public readonly ModuleList<T5Block> block;
    /// <summary>Submodule <c>final_layer_norm</c> (field name = state-dict key segment).</summary>
    public readonly T5LayerNorm final_layer_norm;

    internal T5Stack(T5Config c) : base("encoder")
    {
        block = ModuleList(Enumerable.Range(0, c.NumLayers).Select(i => new T5Block(c, i)).ToArray());
        final_layer_norm = new T5LayerNorm(c.DModel, c.LayerNormEpsilon);
        RegisterComponents();
    }

    /// <summary>Embedded tokens [B, T, D] and the attention mask [B, T] to the final hidden states.</summary>
    public override Tensor forward(Tensor x, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var bias = block[0].SelfAttentionLayer.SelfAttention.PositionBias(x.shape[1], x.device).to_type(x.dtype)
                   + TextModules.ExtendedMask(attentionMask, x.dtype);
        var h = x;
        foreach (var b in block) h = b.call(h, bias);
        return final_layer_norm.call(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The encoder of T5 (Hugging Face's T5EncoderModel keys: <c>shared.weight</c>,
/// <c>encoder.block.0.layer.0.SelfAttention.q.weight</c>, <c>...relative_attention_bias.weight</c> in block 0 only,
/// <c>encoder.block.N.layer.1.DenseReluDense.wi.weight</c> or <c>wi_0</c>/<c>wi_1</c>, <c>encoder.final_layer_norm.weight</c>):
/// relative position buckets shared by all blocks, RMS layer norms, no biases, no 1/sqrt(d) scaling. Dropout is off
/// unless <see cref="TrainModeDropout"/> reproduces the reference's (which leaves the encoder in train mode).
/// </summary>
public sealed class T5EncoderModel : Module<Tensor, Tensor, Tensor>, ITextEncoderModule
{
    /// <summary>Submodule <c>shared</c> (field name = state-dict key segment).</summary>
    public readonly Embedding shared;
    /// <summary>Submodule <c>encoder</c> (field name = state-dict key segment).</summary>
    public readonly T5Stack encoder;
    private bool _trainDropout;

    /// <summary>A randomly initialised encoder of <paramref name="config"/> (load weights next).</summary>
    public T5EncoderModel(T5Config config) : base("t5")
    {
        Config = config.Validate("T5Config");
        shared = Embedding(config.VocabSize, config.DModel);
        encoder = new T5Stack(config);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public T5Config Config { get; }
    /// <inheritdoc />
    public int HiddenSize => Config.DModel;
    /// <inheritdoc />
    public int MaxInputLength => int.MaxValue;
    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <summary>
    /// When true, dropout with <c>dropout_rate</c> is applied where Hugging Face's T5 applies it in train mode (after
    /// the embedding, on attention weights, after each sub-layer before its residual, inside the feed-forward, after
    /// the final norm), as the ConTEXTual Net reference runs its frozen T5. Default false.
    /// </summary>
    public bool TrainModeDropout
    {
        get => _trainDropout;
        set
        {
            _trainDropout = value;
            var p = value ? Config.DropoutRate : 0.0;
            foreach (var b in encoder.block)
            {
                b.SelfAttentionLayer.Dropout = p;
                b.SelfAttentionLayer.SelfAttention.Dropout = p;
                b.FeedForwardLayer.Dropout = p;
                b.FeedForwardLayer.DenseReluDense.Dropout = p;
            }
        }
    }

    /// <summary>Hidden states [B, T, d_model] of ids and mask [B, T] (int64).</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        TextModules.CheckInputs(inputIds, attentionMask, MaxInputLength, "t5");
        TextModules.CheckIds(inputIds, VocabSize, "t5");
        using var scope = NewDisposeScope();
        var x = shared.call(inputIds);
        if (_trainDropout) x = functional.dropout(x, Config.DropoutRate, training: true);
        var h = encoder.call(x, attentionMask);
        if (_trainDropout) h = functional.dropout(h, Config.DropoutRate, training: true);
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Eval mode and no gradients for every parameter; returns this.</summary>
    public T5EncoderModel Freeze()
    {
        eval();
        foreach (var p in parameters()) p.requires_grad = false;
        return this;
    }

    /// <summary>Keys of a full T5 checkpoint that the encoder does not use (decoder, LM head).</summary>
    public static IReadOnlyList<string> IgnoredKeyPrefixes { get; } = ["decoder.", "lm_head."];

    /// <summary>
    /// Loads the encoder of a Hugging Face T5 folder (<c>config.json</c> + <c>model.safetensors</c> or
    /// <c>pytorch_model.bin</c>; a T5EncoderModel or a full T5ForConditionalGeneration checkpoint, whose decoder and LM
    /// head are dropped). <c>encoder.embed_tokens.weight</c> is the tied copy of <c>shared.weight</c>. Every other key
    /// must fit (strict). The model is frozen.
    /// </summary>
    public static T5EncoderModel FromPretrained(string folder)
    {
        var config = T5Config.Read(Path.Combine(folder, "config.json"));
        var weights = HuggingFaceFolder.WeightsFile(folder);
        var sd = HuggingFaceFolder.ReadStateDict(weights, null, IgnoredKeyPrefixes, out _);
        try
        {
            if (sd.Remove("encoder.embed_tokens.weight", out var tied))
            {
                if (!sd.ContainsKey("shared.weight")) sd["shared.weight"] = tied;
                else tied.Dispose();
            }
            var model = new T5EncoderModel(config);
            try
            {
                Thorax.Models.Weights.StateDicts.Load(model, sd, strict: true, source: weights);
                return model.Freeze();
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }
}
