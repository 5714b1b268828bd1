namespace Thorax.Text.Encoders;

/// <summary>
/// The architecture of a T5 encoder with Hugging Face's config.json field names (t5-small/base/large, T5 v1.1 and
/// FLAN-T5 with <c>feed_forward_proj</c> "gated-gelu").
/// </summary>
public sealed record T5Config
{
    /// <summary><c>vocab_size</c> (32128 for the released T5 models; the tokenizer has fewer pieces).</summary>
    public int VocabSize { get; init; } = 32128;
    /// <summary><c>d_model</c>.</summary>
    public int DModel { get; init; } = 512;
    /// <summary><c>d_kv</c>: width of one head (q, k, v project to num_heads * d_kv).</summary>
    public int DKv { get; init; } = 64;
    /// <summary><c>d_ff</c>.</summary>
    public int DFf { get; init; } = 2048;
    /// <summary><c>num_layers</c> (encoder blocks).</summary>
    public int NumLayers { get; init; } = 6;
    /// <summary><c>num_heads</c>.</summary>
    public int NumHeads { get; init; } = 8;
    /// <summary><c>relative_attention_num_buckets</c>.</summary>
    public int RelativeAttentionNumBuckets { get; init; } = 32;
    /// <summary><c>relative_attention_max_distance</c>.</summary>
    public int RelativeAttentionMaxDistance { get; init; } = 128;
    /// <summary><c>layer_norm_epsilon</c>.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-6;
    /// <summary><c>dropout_rate</c> (applied only when the module is asked to reproduce train-mode dropout).</summary>
    public double DropoutRate { get; init; } = 0.1;
    /// <summary><c>feed_forward_proj</c>: "relu" (T5), "gated-gelu" (T5 v1.1, FLAN-T5; gelu_new), "gated-relu",
    /// "gelu", "gated-silu".</summary>
    public string FeedForwardProj { get; init; } = "relu";
    /// <summary><c>pad_token_id</c>.</summary>
    public int PadTokenId { get; init; }

    /// <summary>True for the gated feed-forward (<c>wi_0</c>, <c>wi_1</c>).</summary>
    public bool IsGated => FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);

    /// <summary>The activation's name as <see cref="BertConfig.HiddenAct"/> spells it ("gated-gelu" uses gelu_new).</summary>
    public string Activation => FeedForwardProj switch
    {
        "relu" or "gated-relu" => "relu",
        "gated-gelu" => "gelu_new",
        "gelu" => "gelu",
        "gated-silu" or "silu" => "silu",
        _ => FeedForwardProj,
    };

    /// <summary>Checks the fields; throws <see cref="TextFormatException"/> naming <paramref name="source"/>.</summary>
    public T5Config Validate(string source)
    {
        if (FeedForwardProj is not ("relu" or "gated-relu" or "gated-gelu" or "gelu" or "gated-silu" or "silu"))
            throw new TextFormatException(source, $"feed_forward_proj '{FeedForwardProj}' is not supported (relu, gated-gelu, gated-relu, gelu, gated-silu)");
        if (RelativeAttentionNumBuckets < 4 || RelativeAttentionNumBuckets % 2 != 0)
            throw new TextFormatException(source, $"relative_attention_num_buckets {RelativeAttentionNumBuckets} must be even and at least 4");
        if (RelativeAttentionMaxDistance <= RelativeAttentionNumBuckets / 4)
            throw new TextFormatException(source,
                $"relative_attention_max_distance {RelativeAttentionMaxDistance} must exceed num_buckets / 4 = {RelativeAttentionNumBuckets / 4}");
        return this;
    }

    /// <summary>Reads a config.json.</summary>
    public static T5Config Read(string path)
    {
        var c = HfConfigJson.Read(path);
        var type = c.String("model_type", "t5");
        if (type is not ("t5" or "mt5"))
            throw new TextFormatException(path, $"model_type '{type}' is not a T5 model");
        return new T5Config
        {
            VocabSize = c.Int("vocab_size"),
            DModel = c.Int("d_model"),
            DKv = c.Int("d_kv"),
            DFf = c.Int("d_ff"),
            NumLayers = c.Int("num_layers"),
            NumHeads = c.Int("num_heads"),
            RelativeAttentionNumBuckets = c.Int("relative_attention_num_buckets", 32),
            RelativeAttentionMaxDistance = c.Int("relative_attention_max_distance", 128),
            LayerNormEpsilon = c.Double("layer_norm_epsilon", 1e-6),
            DropoutRate = c.Double("dropout_rate", 0.1),
            FeedForwardProj = c.String("feed_forward_proj", "relu"),
            PadTokenId = c.Int("pad_token_id", 0, min: 0),
        }.Validate(path);
    }
}
