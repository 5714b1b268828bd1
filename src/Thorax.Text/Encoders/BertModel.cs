using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Text.Encoders;

/// <summary>A text encoder module: token ids and attention mask [B, T] (int64) to hidden states [B, T, H].</summary>
public interface ITextEncoderModule
{
    /// <summary>Width of the hidden states.</summary>
    int HiddenSize { get; }
    /// <summary>The longest input the module accepts.</summary>
    int MaxInputLength { get; }
    /// <summary>Rows of the token embedding table.</summary>
    int VocabSize { get; }
    /// <summary>The last hidden states [B, T, H].</summary>
    Tensor call(Tensor inputIds, Tensor attentionMask);
}

/// <summary>Shared pieces of the text encoders.</summary>
internal static class TextModules
{
    /// <summary>Additive attention mask [B, 1, 1, T]: 0 on tokens, the dtype's lowest value on padding (as Hugging
    /// Face), so padded keys get zero weight.</summary>
    public static Tensor ExtendedMask(Tensor attentionMask, ScalarType dtype)
    {
        using var m = attentionMask.to_type(dtype).unsqueeze(1).unsqueeze(1);
        var min = dtype == ScalarType.Float64 ? double.MinValue : dtype == ScalarType.Float32 ? float.MinValue : -65504.0;
        using var inv = 1.0 - m;
        return inv * min;
    }

    public static Tensor Activation(string name, Tensor x) => name switch
    {
        "gelu" => functional.gelu(x),
        "relu" => functional.relu(x),
        "silu" => functional.silu(x),
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): Hugging Face's gelu_new / PyTorch's gelu(approximate='tanh')
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh(x),
        _ => throw new InvalidOperationException($"activation '{name}' is not supported"),
    };

    private static Tensor GeluTanh(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inner = (x + x.pow(3) * 0.044715) * Math.Sqrt(2.0 / Math.PI);
        return (x * 0.5 * (inner.tanh() + 1.0)).MoveToOuterDisposeScope();
    }

    public static void CheckInputs(Tensor ids, Tensor mask, int maxLength, string model)
    {
        if (ids.dim() != 2) throw new ArgumentException($"{model}: input ids must be [B, T], got [{string.Join(", ", ids.shape)}]");
        if (!mask.shape.SequenceEqual(ids.shape))
            throw new ArgumentException($"{model}: attention mask [{string.Join(", ", mask.shape)}] does not match ids [{string.Join(", ", ids.shape)}]");
        if (ids.shape[1] > maxLength)
            throw new ArgumentException($"{model}: {ids.shape[1]} tokens exceed the model's {maxLength}; truncate (the tokenizers do)");
    }

    public static void CheckIds(Tensor ids, int vocab, string model)
    {
        if (ids.numel() == 0) return;
        var max = ids.max().item<long>();
        var min = ids.min().item<long>();
        if (min < 0 || max >= vocab)
            throw new ArgumentException($"{model}: token id {(min < 0 ? min : max)} is outside the vocabulary of {vocab} " +
                "(a tokenizer of another model?)");
    }
}

/// <summary>BERT embeddings: word + position + token type, LayerNorm (Hugging Face names).</summary>
public sealed class BertEmbeddings : Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly BertConfig _config;
    /// <summary>Submodules <c>word_embeddings</c>, <c>position_embeddings</c>, <c>token_type_embeddings</c> (field name = state-dict key segment).</summary>
    public readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    /// <summary>Submodule <c>LayerNorm</c> (field name = state-dict key segment).</summary>
    public readonly LayerNorm LayerNorm;

    internal BertEmbeddings(BertConfig c) : base("embeddings")
    {
        _config = c;
        word_embeddings = Embedding(c.VocabSize, c.HiddenSize, padding_idx: c.PadTokenId);
        position_embeddings = Embedding(c.MaxPositionEmbeddings, c.HiddenSize);
        token_type_embeddings = Embedding(c.TypeVocabSize, c.HiddenSize);
        LayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>Embeds ids [B, T] with the attention mask (RoBERTa positions skip padding) and segment ids.</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var t = inputIds.shape[1];
        Tensor positions;
        if (_config.RobertaPositions)
        {
            // Hugging Face's create_position_ids_from_input_ids: cumsum over non-pad tokens, padding_idx on padding.
            var notPad = inputIds.ne(_config.PadTokenId).to_type(ScalarType.Int64);
            positions = notPad.cumsum(1) * notPad + _config.PadTokenId;
        }
        else
        {
            positions = arange(t, ScalarType.Int64, inputIds.device).unsqueeze(0);
        }
        var x = word_embeddings.call(inputIds) + position_embeddings.call(positions) + token_type_embeddings.call(tokenTypeIds);
        return LayerNorm.call(x).MoveToOuterDisposeScope();
    }
}

/// <summary>Multi-head self-attention projections (<c>attention.self.query/key/value</c>).</summary>
public sealed class BertSelfAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly int _heads, _headDim;
    /// <summary>Submodules <c>query</c>, <c>key</c>, <c>value</c> (field name = state-dict key segment).</summary>
    public readonly Linear query, key, value;

    internal BertSelfAttention(BertConfig c) : base("self")
    {
        _heads = c.NumAttentionHeads;
        _headDim = c.HiddenSize / c.NumAttentionHeads;
        query = Linear(c.HiddenSize, c.HiddenSize);
        key = Linear(c.HiddenSize, c.HiddenSize);
        value = Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    /// <summary>x [B, T, H] and the additive mask [B, 1, 1, T] to the attended context [B, T, H].</summary>
    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        Tensor Split(Tensor y) => y.view(b, t, _heads, _headDim).transpose(1, 2);
        var q = Split(query.call(x));
        var k = Split(key.call(x));
        var v = Split(value.call(x));
        var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(_headDim) + additiveMask;
        var ctx = scores.softmax(-1).matmul(v);
        return ctx.transpose(1, 2).reshape(b, t, _heads * _headDim).MoveToOuterDisposeScope();
    }
}

/// <summary>Dense + residual + LayerNorm (<c>attention.output</c> and <c>output</c>).</summary>
public sealed class BertResidualOutput : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>dense</c> (field name = state-dict key segment).</summary>
    public readonly Linear dense;
    /// <summary>Submodule <c>LayerNorm</c> (field name = state-dict key segment).</summary>
    public readonly LayerNorm LayerNorm;

    internal BertResidualOutput(string name, int inFeatures, BertConfig c) : base(name)
    {
        dense = Linear(inFeatures, c.HiddenSize);
        LayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dense(h) + residual).</summary>
    public override Tensor forward(Tensor h, Tensor residual)
    {
        using var d = dense.call(h);
        using var s = d + residual;
        return LayerNorm.call(s);
    }
}

/// <summary>Self-attention block (<c>attention.self</c>, <c>attention.output</c>).</summary>
public sealed class BertAttention : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>self</c> (field name = state-dict key segment).</summary>
    public readonly BertSelfAttention self;
    /// <summary>Submodule <c>output</c> (field name = state-dict key segment).</summary>
    public readonly BertResidualOutput output;

    internal BertAttention(BertConfig c) : base("attention")
    {
        self = new BertSelfAttention(c);
        output = new BertResidualOutput("output", c.HiddenSize, c);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        using var ctx = self.call(x, additiveMask);
        return output.call(ctx, x);
    }
}

/// <summary>Feed-forward expansion (<c>intermediate.dense</c> + activation).</summary>
public sealed class BertIntermediate : Module<Tensor, Tensor>
{
    private readonly string _act;
    /// <summary>Submodule <c>dense</c> (field name = state-dict key segment).</summary>
    public readonly Linear dense;

    internal BertIntermediate(BertConfig c) : base("intermediate")
    {
        _act = c.HiddenAct;
        dense = Linear(c.HiddenSize, c.IntermediateSize);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var h = dense.call(x);
        return TextModules.Activation(_act, h);
    }
}

/// <summary>One transformer layer (<c>encoder.layer.N</c>).</summary>
public sealed class BertLayer : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>attention</c> (field name = state-dict key segment).</summary>
    public readonly BertAttention attention;
    /// <summary>Submodule <c>intermediate</c> (field name = state-dict key segment).</summary>
    public readonly BertIntermediate intermediate;
    /// <summary>Submodule <c>output</c> (field name = state-dict key segment).</summary>
    public readonly BertResidualOutput output;

    internal BertLayer(BertConfig c, int index) : base($"layer{index}")
    {
        attention = new BertAttention(c);
        intermediate = new BertIntermediate(c);
        output = new BertResidualOutput("output", c.IntermediateSize, c);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        using var a = attention.call(x, additiveMask);
        using var i = intermediate.call(a);
        return output.call(i, a);
    }
}

/// <summary>The layer stack (<c>encoder.layer</c>).</summary>
public sealed class BertEncoder : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Submodule <c>layer</c> (field name = state-dict key segment).</summary>
    public readonly ModuleList<BertLayer> layer;

    internal BertEncoder(BertConfig c) : base("encoder")
    {
        layer = ModuleList(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new BertLayer(c, i)).ToArray());
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        var h = x.alias();
        foreach (var l in layer)
        {
            var next = l.call(h, additiveMask);
            h.Dispose();
            h = next;
        }
        return h;
    }
}

/// <summary>The [CLS] pooler: tanh(dense(h[:, 0])).</summary>
public sealed class BertPooler : Module<Tensor, Tensor>
{
    /// <summary>Submodule <c>dense</c> (field name = state-dict key segment).</summary>
    public readonly Linear dense;

    internal BertPooler(BertConfig c) : base("pooler")
    {
        dense = Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden)
    {
        using var cls = hidden.select(1, 0);
        using var d = dense.call(cls);
        return d.tanh();
    }
}

/// <summary>
/// A BERT-family encoder (BERT, RoBERTa, MiniLM) as a TorchSharp module with Hugging Face's state-dict keys
/// (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>, ...,
/// <c>pooler.dense.weight</c>). <c>call(ids, mask)</c> gives <c>last_hidden_state</c> [B, T, H]; <see cref="Encode"/>
/// also gives the pooler output. Dropout is not applied (the encoder is used frozen, in eval mode).
/// </summary>
public sealed class BertModel : Module<Tensor, Tensor, Tensor>, ITextEncoderModule
{
    /// <summary>Submodule <c>embeddings</c> (field name = state-dict key segment).</summary>
    public readonly BertEmbeddings embeddings;
    /// <summary>Submodule <c>encoder</c> (field name = state-dict key segment).</summary>
    public readonly BertEncoder encoder;
    /// <summary>Submodule <c>pooler</c> (field name = state-dict key segment).</summary>
    public readonly BertPooler? pooler;

    /// <summary>A randomly initialised model of <paramref name="config"/> (load weights next).</summary>
    public BertModel(BertConfig config) : base("bert")
    {
        Config = config.Validate("BertConfig");
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        if (config.AddPoolingLayer) pooler = new BertPooler(config);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public BertConfig Config { get; }
    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;
    /// <inheritdoc />
    public int MaxInputLength => Config.MaxInputLength;
    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <summary><c>last_hidden_state</c> [B, T, H] of ids and mask [B, T] (int64; segment ids all 0).</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask) => Hidden(inputIds, attentionMask, null);

    /// <summary><c>last_hidden_state</c> [B, T, H] and, when the model has a pooler, the pooler output [B, H].</summary>
    public (Tensor LastHiddenState, Tensor? PoolerOutput) Encode(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        var h = Hidden(inputIds, attentionMask, tokenTypeIds);
        return (h, pooler?.call(h));
    }

    private Tensor Hidden(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds)
    {
        TextModules.CheckInputs(inputIds, attentionMask, MaxInputLength, Config.ModelType);
        TextModules.CheckIds(inputIds, VocabSize, Config.ModelType);
        using var scope = NewDisposeScope();
        var types = tokenTypeIds ?? zeros_like(inputIds);
        var x = embeddings.call(inputIds, attentionMask, types);
        var mask = TextModules.ExtendedMask(attentionMask, x.dtype);
        return encoder.call(x, mask).MoveToOuterDisposeScope();
    }

    /// <summary>Eval mode and no gradients for every parameter (how the text side is used); returns this.</summary>
    public BertModel Freeze()
    {
        eval();
        foreach (var p in parameters()) p.requires_grad = false;
        return this;
    }

    /// <summary>Keys of a Hugging Face checkpoint that are dropped when loading the bare encoder: heads of task models
    /// and the <c>position_ids</c> buffer older versions saved.</summary>
    public static IReadOnlyList<string> IgnoredKeyPrefixes { get; } =
        ["cls.", "lm_head.", "classifier.", "qa_outputs.", "embeddings.position_ids", "embeddings.token_type_ids"];

    /// <summary>
    /// Loads a Hugging Face model folder: <c>config.json</c> and <c>model.safetensors</c> or <c>pytorch_model.bin</c>
    /// (through Thorax's readers). A checkpoint of a task model (keys under <c>bert.</c>/<c>roberta.</c>) loses the
    /// prefix and its heads; legacy <c>gamma</c>/<c>beta</c> LayerNorm names are renamed; the pooler is built only when
    /// the checkpoint has one. Every remaining key must fit (strict). The model is frozen (eval, no gradients).
    /// </summary>
    /// <exception cref="TextFormatException">config.json or the folder is wrong (file and field named).</exception>
    /// <exception cref="Thorax.Models.Weights.StateDictException">Missing, unexpected or mis-shaped keys (all named).</exception>
    public static BertModel FromPretrained(string folder)
    {
        var config = BertConfig.Read(Path.Combine(folder, "config.json"));
        var weights = HuggingFaceFolder.WeightsFile(folder);
        var sd = HuggingFaceFolder.ReadStateDict(weights, config.ModelType + ".", IgnoredKeyPrefixes, out _,
            k => k.Replace("LayerNorm.gamma", "LayerNorm.weight").Replace("LayerNorm.beta", "LayerNorm.bias"));
        try
        {
            var model = new BertModel(config with { AddPoolingLayer = sd.ContainsKey("pooler.dense.weight") });
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
