using System.Text;
using Microsoft.ML.Tokenizers;

namespace Thorax.Text.Tokenization;

/// <summary>
/// BERT-family WordPiece (BERT, MiniLM; vocab.txt, one token a line, id = line number) over
/// <c>Microsoft.ML.Tokenizers</c>' <see cref="BertTokenizer"/>: basic tokenisation (punctuation split, CJK), optional
/// lower-casing and accent stripping (both on for uncased models, as bert-base-uncased; the library leaves accent
/// stripping off unless asked, and its stripping needs ICU, which Thorax's invariant globalization lacks, so Thorax
/// strips accents itself with <c>AccentFolding</c>), then greedy longest-match-first WordPiece with <c>##</c> continuations.
/// One text encodes as <c>[CLS] tokens [SEP]</c>.
/// </summary>
public sealed class WordPieceTextTokenizer : TextTokenizer
{
    private static readonly string[] Required = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"];
    private readonly BertTokenizer _bert;
    private readonly Dictionary<string, int> _special;

    private WordPieceTextTokenizer(string source, BertTokenizer bert, int vocabSize, Dictionary<string, int> special,
        int maxLength, bool cleanReports, bool lowerCase, bool stripAccents)
        : base(source, maxLength, cleanReports)
    {
        _bert = bert;
        _special = special;
        VocabularySize = vocabSize;
        LowerCase = lowerCase;
        StripAccents = stripAccents;
    }

    /// <summary>Whether text is lower-cased before WordPiece (uncased models).</summary>
    public bool LowerCase { get; }
    /// <summary>Whether accents (Unicode non-spacing marks after NFD) are removed.</summary>
    public bool StripAccents { get; }
    /// <inheritdoc />
    public override int PadId => _special["[PAD]"];
    /// <inheritdoc />
    public override int VocabularySize { get; }
    /// <inheritdoc />
    public override int SpecialTokenCount => 2;
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, int> SpecialTokenIds => _special;
    /// <summary>The [CLS] id.</summary>
    public int ClsId => _special["[CLS]"];
    /// <summary>The [SEP] id.</summary>
    public int SepId => _special["[SEP]"];
    /// <summary>The [UNK] id.</summary>
    public int UnkId => _special["[UNK]"];
    /// <inheritdoc />
    public override int UnknownId => UnkId;

    /// <summary>Reads a vocab.txt file. <paramref name="stripAccents"/> defaults to <paramref name="lowerCase"/>
    /// (Hugging Face's BertTokenizer default).</summary>
    /// <exception cref="TextFormatException">Missing file, not a WordPiece vocabulary (binary, empty), or a required
    /// special token ([PAD], [UNK], [CLS], [SEP]) absent; the message names the file.</exception>
    public static WordPieceTextTokenizer FromFile(string vocabPath, bool lowerCase = true, bool? stripAccents = null,
        int maxLength = DefaultMaxLength, bool cleanReports = true)
    {
        if (!File.Exists(vocabPath)) throw new TextFormatException(vocabPath, "vocabulary file not found");
        return FromBytes(File.ReadAllBytes(vocabPath), vocabPath, lowerCase, stripAccents, maxLength, cleanReports);
    }

    /// <summary>Reads a vocab.txt held in memory; <paramref name="source"/> names it in errors.</summary>
    public static WordPieceTextTokenizer FromBytes(byte[] vocab, string source, bool lowerCase = true, bool? stripAccents = null,
        int maxLength = DefaultMaxLength, bool cleanReports = true)
    {
        if (vocab.Length == 0) throw new TextFormatException(source, "the vocabulary is empty");
        if (Array.IndexOf(vocab, (byte)0) >= 0)
            throw new TextFormatException(source, "not a WordPiece vocab.txt (binary data; a SentencePiece .model needs SentencePieceTextTokenizer)");
        string text;
        try { text = new UTF8Encoding(false, true).GetString(vocab); }
        catch (DecoderFallbackException e) { throw new TextFormatException(source, "not UTF-8 text", e); }
        var lines = text.Split('\n');
        var count = lines.Length;
        if (count > 0 && lines[^1].Length == 0) count--;   // trailing newline
        var special = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var tok = lines[i].TrimEnd('\r');
            if (Array.IndexOf(Required, tok) >= 0 && !special.ContainsKey(tok)) special[tok] = i;
            else if (tok == "[MASK]" && !special.ContainsKey(tok)) special[tok] = i;
        }
        var missing = Required.Where(r => !special.ContainsKey(r)).ToList();
        if (missing.Count > 0)
            throw new TextFormatException(source,
                $"not a BERT WordPiece vocabulary: {string.Join(", ", missing)} missing among its {count} lines");
        var opts = new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            RemoveNonSpacingMarks = stripAccents ?? lowerCase,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = true,
        };
        // Microsoft.ML.Tokenizers insists on a masking token in the vocabulary; [MASK] is never produced for reports, so a
        // vocabulary without it gets [UNK] in that role.
        opts.MaskingToken = special.ContainsKey("[MASK]") ? "[MASK]" : "[UNK]";
        using var ms = new MemoryStream(vocab, writable: false);
        var bert = BertTokenizer.Create(ms, opts);
        return new WordPieceTextTokenizer(source, bert, count, special, maxLength, cleanReports, lowerCase, stripAccents ?? lowerCase);
    }

    /// <inheritdoc />
    protected override IReadOnlyList<int> EncodeContent(string text) =>
        _bert.EncodeToIds(StripAccents ? AccentFolding.Strip(text) : text, addSpecialTokens: false);

    /// <inheritdoc />
    protected override IReadOnlyList<int> AddSpecialTokens(IReadOnlyList<int> content)
    {
        var ids = new List<int>(content.Count + 2) { ClsId };
        ids.AddRange(content);
        ids.Add(SepId);
        return ids;
    }

    /// <summary>The tokens of ids (for display and checks).</summary>
    public string Decode(IEnumerable<int> ids) => _bert.Decode(ids) ?? string.Empty;
}
