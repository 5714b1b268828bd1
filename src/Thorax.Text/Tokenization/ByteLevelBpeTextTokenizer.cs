using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Thorax.Text.Tokenization;

/// <summary>
/// RoBERTa's tokenizer: GPT-2 byte-level BPE (<c>vocab.json</c> + <c>merges.txt</c>) over
/// <c>Microsoft.ML.Tokenizers</c>' <see cref="BpeTokenizer"/> with byte-level symbols and GPT-2's pre-tokenisation
/// pattern, no prefix space (RoBERTa's default). One text encodes as <c>&lt;s&gt; tokens &lt;/s&gt;</c>; padding uses
/// <c>&lt;pad&gt;</c>.
/// </summary>
public sealed partial class ByteLevelBpeTextTokenizer : TextTokenizer
{
    private static readonly string[] Required = ["<s>", "</s>", "<pad>"];
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _special;

    private ByteLevelBpeTextTokenizer(string source, BpeTokenizer bpe, int vocabSize, Dictionary<string, int> special,
        int maxLength, bool cleanReports) : base(source, maxLength, cleanReports)
    {
        _bpe = bpe;
        _special = special;
        VocabularySize = vocabSize;
    }

    /// <inheritdoc />
    public override int PadId => _special["<pad>"];
    /// <inheritdoc />
    public override int VocabularySize { get; }
    /// <inheritdoc />
    public override int SpecialTokenCount => 2;
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, int> SpecialTokenIds => _special;

    /// <summary>Reads <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    /// <exception cref="TextFormatException">A missing or malformed file, or &lt;s&gt;, &lt;/s&gt;, &lt;pad&gt; absent
    /// from the vocabulary (the file and entry are named).</exception>
    public static ByteLevelBpeTextTokenizer FromFiles(string vocabJson, string mergesTxt, int maxLength = DefaultMaxLength,
        bool cleanReports = true)
    {
        if (!File.Exists(vocabJson)) throw new TextFormatException(vocabJson, "vocabulary file not found");
        if (!File.Exists(mergesTxt)) throw new TextFormatException(mergesTxt, "merges file not found");
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabJson))
                    ?? throw new TextFormatException(vocabJson, "the vocabulary is null");
        }
        catch (JsonException e)
        {
            throw new TextFormatException(vocabJson, $"not a BPE vocab.json (a JSON object of token -> id): {e.Message}", e);
        }
        if (vocab.Count == 0) throw new TextFormatException(vocabJson, "the vocabulary is empty");
        var missing = Required.Where(r => !vocab.ContainsKey(r)).ToList();
        if (missing.Count > 0)
            throw new TextFormatException(vocabJson, $"not a RoBERTa vocabulary: {string.Join(", ", missing)} missing");
        var merges = new List<string>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(mergesTxt))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || (lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new TextFormatException(mergesTxt, $"line {lineNo}: expected two symbols separated by one space, found \"{line}\"");
            if (!vocab.ContainsKey(parts[0] + parts[1]))
                throw new TextFormatException(mergesTxt, $"line {lineNo}: the merge \"{line}\" makes a token that vocab.json lacks (files of different models?)");
            merges.Add(line);
        }
        var special = Required.Concat(["<unk>", "<mask>"]).Where(vocab.ContainsKey).ToDictionary(t => t, t => vocab[t]);
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(Gpt2Pattern(), null),
        };
        if (vocab.ContainsKey("<unk>")) options.UnknownToken = "<unk>";
        BpeTokenizer bpe;
        try { bpe = BpeTokenizer.Create(options); }
        catch (ArgumentException e) { throw new TextFormatException(vocabJson, $"the BPE files do not load: {e.Message}", e); }
        return new ByteLevelBpeTextTokenizer(vocabJson, bpe, vocab.Values.Max() + 1, special, maxLength, cleanReports);
    }

    /// <inheritdoc />
    protected override IReadOnlyList<int> EncodeContent(string text) => _bpe.EncodeToIds(text);

    /// <inheritdoc />
    protected override IReadOnlyList<int> AddSpecialTokens(IReadOnlyList<int> content)
    {
        var ids = new List<int>(content.Count + 2) { _special["<s>"] };
        ids.AddRange(content);
        ids.Add(_special["</s>"]);
        return ids;
    }

    /// <summary>GPT-2's pre-tokenisation pattern (contractions, letters, numbers, other symbols, whitespace).</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();
}
