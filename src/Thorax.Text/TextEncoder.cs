using Thorax.Text.Encoders;
using Thorax.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Text;

/// <summary>Hidden states of a batch of reports with the batch they came from. Dispose to free the tensors.</summary>
public sealed class TextEncoding : IDisposable
{
    internal TextEncoding(TokenBatch batch, Tensor hidden)
    {
        Batch = batch;
        LastHiddenState = hidden;
    }

    /// <summary>The token ids, attention mask and per-text truncation.</summary>
    public TokenBatch Batch { get; }
    /// <summary>Token embeddings [B, T, H] (padding positions hold values too; mask them with the attention mask).</summary>
    public Tensor LastHiddenState { get; }

    /// <summary>Mean of the token embeddings over real tokens [B, H] (sentence-transformers' mean pooling).</summary>
    public Tensor MeanPooled()
    {
        using var scope = NewDisposeScope();
        var m = Batch.AttentionMask.to(LastHiddenState.device).to_type(LastHiddenState.dtype).unsqueeze(-1);
        var sum = (LastHiddenState * m).sum(1);
        return (sum / m.sum(1).clamp_min(1e-9)).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the hidden states and the batch.</summary>
    public void Dispose()
    {
        LastHiddenState.Dispose();
        Batch.Dispose();
    }
}

/// <summary>
/// A tokenizer and the encoder module it belongs to, checked to fit each other (vocabulary sizes, maximum length).
/// The module is frozen (eval mode, no gradients): the text side of report-guided models is not trained.
/// </summary>
public sealed class TextEncoder : IDisposable
{
    /// <summary>Pairs a tokenizer with an encoder module.</summary>
    /// <exception cref="TextFormatException">The tokenizer's vocabulary does not match the module's embedding table, or
    /// its maximum length exceeds the module's.</exception>
    public TextEncoder(string name, TextTokenizer tokenizer, nn.Module module)
    {
        if (module is not ITextEncoderModule enc)
            throw new ArgumentException($"{module.GetType().Name} is not a text encoder module", nameof(module));
        var exact = tokenizer is WordPieceTextTokenizer;
        if (exact ? tokenizer.VocabularySize != enc.VocabSize : tokenizer.VocabularySize > enc.VocabSize)
            throw new TextFormatException(tokenizer.Source,
                $"the tokenizer's vocabulary has {tokenizer.VocabularySize} tokens but the encoder '{name}' embeds " +
                $"{enc.VocabSize}: the tokenizer belongs to another model");
        var bad = tokenizer.SpecialTokenIds.Where(kv => kv.Value >= enc.VocabSize).Select(kv => $"{kv.Key}={kv.Value}").ToList();
        if (bad.Count > 0)
            throw new TextFormatException(tokenizer.Source, $"special tokens outside the encoder's {enc.VocabSize} ids: {string.Join(", ", bad)}");
        if (tokenizer.MaxLength > enc.MaxInputLength)
            throw new TextFormatException(tokenizer.Source,
                $"the tokenizer's maximum length {tokenizer.MaxLength} exceeds the encoder's {enc.MaxInputLength} positions");
        Name = name;
        Tokenizer = tokenizer;
        Module = module;
        Encoder = enc;
    }

    /// <summary>A short name of the encoder ("all-MiniLM-L6-v2", a folder name).</summary>
    public string Name { get; }
    /// <summary>The tokenizer.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>The module (a <see cref="BertModel"/> or <see cref="T5EncoderModel"/>).</summary>
    public nn.Module Module { get; }
    /// <summary>The module as a text encoder.</summary>
    public ITextEncoderModule Encoder { get; }
    /// <summary>Width of the token embeddings.</summary>
    public int HiddenSize => Encoder.HiddenSize;

    /// <summary>Tokenizes and encodes reports (no gradients). The batch stays on the CPU; hidden states are on the
    /// module's device.</summary>
    public TextEncoding Encode(IReadOnlyList<string?> reports, PaddingMode padding = PaddingMode.Longest, bool allowEmpty = false)
    {
        var batch = Tokenizer.EncodeBatch(reports, padding, allowEmpty);
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var device = Module.parameters().FirstOrDefault()?.device ?? CPU;
            var hidden = Encoder.call(batch.InputIds.to(device), batch.AttentionMask.to(device));
            return new TextEncoding(batch, hidden.MoveToOuterDisposeScope());
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the module.</summary>
    public void Dispose() => Module.Dispose();
}
