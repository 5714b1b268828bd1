using static TorchSharp.torch;

namespace Thorax.Text.Tokenization;

/// <summary>How a batch is padded.</summary>
public enum PaddingMode
{
    /// <summary>To the longest sequence of the batch (the least work).</summary>
    Longest,
    /// <summary>To <see cref="TextTokenizer.MaxLength"/> (the reference's <c>padding='max_length'</c>).</summary>
    MaxLength,
}

/// <summary>One encoded text: ids with the model's special tokens, and whether it was truncated.</summary>
/// <param name="Ids">Token ids, special tokens included, at most <see cref="TextTokenizer.MaxLength"/>.</param>
/// <param name="UntruncatedLength">How many ids the text would have had without truncation (special tokens
/// included).</param>
/// <param name="UnknownCount">How many kept ids are the unknown token (many of them flag text in a script or language
/// the vocabulary does not cover; 0 for byte-level BPE, which has no unknowns).</param>
public sealed record EncodedText(IReadOnlyList<int> Ids, int UntruncatedLength, int UnknownCount = 0)
{
    /// <summary>True when tokens were dropped to fit the maximum length.</summary>
    public bool Truncated => UntruncatedLength > Ids.Count;
}

/// <summary>
/// A padded batch as int64 tensors on the CPU: <see cref="InputIds"/> and <see cref="AttentionMask"/> [B, T] (mask 1 on
/// real tokens, 0 on padding), <see cref="TokenTypeIds"/> [B, T] of zeros (one segment). Dispose to free the tensors.
/// </summary>
public sealed class TokenBatch : IDisposable
{
    internal TokenBatch(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, IReadOnlyList<EncodedText> items)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        Items = items;
    }

    /// <summary>Token ids [B, T] (int64), padded with the tokenizer's pad id.</summary>
    public Tensor InputIds { get; }
    /// <summary>[B, T] int64: 1 on tokens, 0 on padding.</summary>
    public Tensor AttentionMask { get; }
    /// <summary>[B, T] int64 zeros (BERT's segment ids; T5 ignores them).</summary>
    public Tensor TokenTypeIds { get; }
    /// <summary>The unpadded encodings, one per text.</summary>
    public IReadOnlyList<EncodedText> Items { get; }
    /// <summary>Indices of the texts that were truncated.</summary>
    public IReadOnlyList<int> TruncatedIndices => Enumerable.Range(0, Items.Count).Where(i => Items[i].Truncated).ToList();

    /// <summary>Frees the three tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
    }
}

/// <summary>
/// A tokenizer for report text: cleans the report (<see cref="ReportCleanup"/>, optional), adds the model's special
/// tokens, truncates to <see cref="MaxLength"/> (keeping the first tokens and the closing special token, as Hugging
/// Face's <c>truncation='longest_first'</c> does for one text) and pads batches into tensors.
/// </summary>
public abstract class TextTokenizer
{
    /// <summary>Creates the tokenizer.</summary>
    protected TextTokenizer(string source, int maxLength, bool cleanReports)
    {
        if (maxLength < MinimumLength)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength must be at least {MinimumLength}");
        Source = source;
        MaxLength = maxLength;
        CleanReports = cleanReports;
    }

    /// <summary>The reference's maximum sequence length (special tokens included).</summary>
    public const int DefaultMaxLength = 512;

    /// <summary>Where the vocabulary came from (file path or resource name).</summary>
    public string Source { get; }
    /// <summary>Maximum ids per text, special tokens included.</summary>
    public int MaxLength { get; }
    /// <summary>Whether <see cref="ReportCleanup.Clean"/> runs before tokenisation (default true).</summary>
    public bool CleanReports { get; }
    /// <summary>The padding id.</summary>
    public abstract int PadId { get; }
    /// <summary>Number of ids the vocabulary defines (highest id + 1).</summary>
    public abstract int VocabularySize { get; }
    /// <summary>Special tokens added around one text (2 for [CLS] ... [SEP], 1 for T5's &lt;/s&gt;).</summary>
    public abstract int SpecialTokenCount { get; }
    /// <summary>Ids that mark the vocabulary's special tokens, by name (used to check a vocabulary fits a model).</summary>
    public abstract IReadOnlyDictionary<string, int> SpecialTokenIds { get; }

    /// <summary>The unknown token's id, or -1 when the vocabulary has none.</summary>
    public virtual int UnknownId => -1;

    /// <summary>The smallest <see cref="MaxLength"/> that leaves room for one token.</summary>
    protected virtual int MinimumLength => 3;

    /// <summary>Content ids of a (cleaned) text, without special tokens.</summary>
    protected abstract IReadOnlyList<int> EncodeContent(string text);

    /// <summary>Wraps (already truncated) content ids with the special tokens.</summary>
    protected abstract IReadOnlyList<int> AddSpecialTokens(IReadOnlyList<int> content);

    /// <summary>
    /// Encodes one report. An empty report (nothing left after cleanup) throws <see cref="TextInputException"/> unless
    /// <paramref name="allowEmpty"/> is true, when it gives only the special tokens (the "empty report" ablation).
    /// </summary>
    public EncodedText Encode(string? text, bool allowEmpty = false)
    {
        var cleaned = CleanReports ? ReportCleanup.Clean(text) : (text ?? string.Empty);
        if (!allowEmpty && string.IsNullOrWhiteSpace(cleaned))
            throw new TextInputException(text is null || string.IsNullOrWhiteSpace(text)
                ? "the report is empty (pass allowEmpty to encode an empty report on purpose)"
                : $"the report is empty after removing placeholders and whitespace: \"{Shorten(text)}\" (pass allowEmpty to encode it anyway)");
        var content = string.IsNullOrWhiteSpace(cleaned) ? [] : EncodeContent(cleaned);
        var room = MaxLength - SpecialTokenCount;
        var kept = content.Count > room ? content.Take(room).ToList() : content;
        var unknown = UnknownId < 0 ? 0 : kept.Count(id => id == UnknownId);
        return new EncodedText(AddSpecialTokens(kept), content.Count + SpecialTokenCount, unknown);
    }

    /// <summary>Encodes a batch and pads it into tensors (see <see cref="TokenBatch"/>).</summary>
    public TokenBatch EncodeBatch(IReadOnlyList<string?> texts, PaddingMode padding = PaddingMode.Longest, bool allowEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("no texts to encode", nameof(texts));
        var items = new List<EncodedText>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            try { items.Add(Encode(texts[i], allowEmpty)); }
            catch (TextInputException e) { throw new TextInputException($"text {i}: {e.Message}"); }
        }
        return Pad(items, padding);
    }

    /// <summary>Pads encodings into a <see cref="TokenBatch"/>.</summary>
    public TokenBatch Pad(IReadOnlyList<EncodedText> items, PaddingMode padding = PaddingMode.Longest)
    {
        var b = items.Count;
        var t = padding == PaddingMode.MaxLength ? MaxLength : Math.Max(1, items.Max(e => e.Ids.Count));
        var ids = new long[b * t];
        var mask = new long[b * t];
        Array.Fill(ids, PadId);
        for (var i = 0; i < b; i++)
        {
            var row = items[i].Ids;
            if (row.Count > t) throw new ArgumentException($"item {i} has {row.Count} ids, more than the padded length {t}");
            for (var j = 0; j < row.Count; j++)
            {
                ids[i * t + j] = row[j];
                mask[i * t + j] = 1;
            }
        }
        return new TokenBatch(tensor(ids, [b, t]), tensor(mask, [b, t]), zeros([b, t], ScalarType.Int64), items);
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
