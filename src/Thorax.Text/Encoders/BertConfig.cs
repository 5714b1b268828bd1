namespace Thorax.Text.Encoders;

/// <summary>
/// The architecture of a BERT-family encoder (BERT, RoBERTa, MiniLM), with Hugging Face's config.json field names.
/// RoBERTa (<c>model_type</c> "roberta", or "xlm-roberta"/"camembert") differs only in its position ids, which start at
/// <c>pad_token_id + 1</c> and skip padding.
/// </summary>
public sealed record BertConfig
{
    /// <summary>Hugging Face <c>model_type</c> ("bert", "roberta", ...).</summary>
    public string ModelType { get; init; } = "bert";
    /// <summary><c>vocab_size</c>.</summary>
    public int VocabSize { get; init; } = 30522;
    /// <summary><c>hidden_size</c>.</summary>
    public int HiddenSize { get; init; } = 768;
    /// <summary><c>num_hidden_layers</c>.</summary>
    public int NumHiddenLayers { get; init; } = 12;
    /// <summary><c>num_attention_heads</c> (must divide <see cref="HiddenSize"/>).</summary>
    public int NumAttentionHeads { get; init; } = 12;
    /// <summary><c>intermediate_size</c> (feed-forward width).</summary>
    public int IntermediateSize { get; init; } = 3072;
    /// <summary><c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary><c>type_vocab_size</c> (segment ids; 1 for RoBERTa).</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary><c>layer_norm_eps</c>.</summary>
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary><c>hidden_act</c>: "gelu" (erf), "gelu_new"/"gelu_pytorch_tanh" (tanh approximation) or "relu".</summary>
    public string HiddenAct { get; init; } = "gelu";
    /// <summary><c>pad_token_id</c>.</summary>
    public int PadTokenId { get; init; }
    /// <summary>Whether the model has the [CLS] tanh pooler (<c>pooler.dense</c>).</summary>
    public bool AddPoolingLayer { get; init; } = true;

    /// <summary>True for RoBERTa-style position ids.</summary>
    public bool RobertaPositions => ModelType is "roberta" or "xlm-roberta" or "camembert";

    /// <summary>Checks the sizes agree; throws <see cref="TextFormatException"/> naming <paramref name="source"/>.</summary>
    public BertConfig Validate(string source)
    {
        if (HiddenSize % NumAttentionHeads != 0)
            throw new TextFormatException(source, $"hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu"))
            throw new TextFormatException(source, $"hidden_act '{HiddenAct}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
        if (RobertaPositions && MaxPositionEmbeddings <= PadTokenId + 1)
            throw new TextFormatException(source, $"max_position_embeddings {MaxPositionEmbeddings} leaves no positions after pad_token_id + 1");
        return this;
    }

    /// <summary>The longest input the position table allows (RoBERTa loses pad_token_id + 1 positions).</summary>
    public int MaxInputLength => RobertaPositions ? MaxPositionEmbeddings - PadTokenId - 1 : MaxPositionEmbeddings;

    /// <summary>Reads a config.json.</summary>
    public static BertConfig Read(string path) => From(HfConfigJson.Read(path));

    /// <summary>From a parsed config.json.</summary>
    public static BertConfig From(HfConfigJson c)
    {
        var type = c.String("model_type", "bert");
        return new BertConfig
        {
            ModelType = type,
            VocabSize = c.Int("vocab_size"),
            HiddenSize = c.Int("hidden_size"),
            NumHiddenLayers = c.Int("num_hidden_layers"),
            NumAttentionHeads = c.Int("num_attention_heads"),
            IntermediateSize = c.Int("intermediate_size"),
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 512),
            TypeVocabSize = c.Int("type_vocab_size", 2),
            LayerNormEps = c.Double("layer_norm_eps", 1e-12),
            HiddenAct = c.String("hidden_act", "gelu"),
            PadTokenId = c.Int("pad_token_id", type is "roberta" or "xlm-roberta" or "camembert" ? 1 : 0, min: 0),
        }.Validate(c.Source);
    }
}
