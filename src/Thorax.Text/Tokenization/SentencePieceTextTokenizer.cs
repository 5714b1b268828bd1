using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace Thorax.Text.Tokenization;

/// <summary>What a SentencePiece model file (<c>spiece.model</c>, protobuf <c>sentencepiece.ModelProto</c>) holds that
/// tokenisation needs.</summary>
/// <param name="Pieces">Pieces and scores in id order.</param>
/// <param name="Types">Piece types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).</param>
/// <param name="ModelType">1 Unigram, 2 BPE, 3 word, 4 char.</param>
/// <param name="UnkId">Unknown id (trainer_spec.unk_id, default 0).</param>
/// <param name="BosId">Beginning-of-sentence id, -1 when disabled.</param>
/// <param name="EosId">End-of-sentence id, -1 when disabled.</param>
/// <param name="PadId">Padding id, -1 when disabled.</param>
/// <param name="ByteFallback">Unknown characters become byte pieces.</param>
/// <param name="PrecompiledCharsMap">The normaliser's compiled character map (NFKC-like), may be empty.</param>
/// <param name="AddDummyPrefix">A U+2581 is put before the text.</param>
/// <param name="RemoveExtraWhitespaces">Runs of whitespace become one, leading/trailing removed.</param>
/// <param name="EscapeWhitespaces">Spaces become U+2581.</param>
public sealed record SentencePieceModelData(IReadOnlyList<(string Piece, float Score)> Pieces, IReadOnlyList<int> Types,
    int ModelType, int UnkId, int BosId, int EosId, int PadId, bool ByteFallback, byte[] PrecompiledCharsMap,
    bool AddDummyPrefix, bool RemoveExtraWhitespaces, bool EscapeWhitespaces)
{
    /// <summary>Reads the protobuf fields of a SentencePiece model file.</summary>
    /// <exception cref="TextFormatException">Not a SentencePiece model (names the file and the field).</exception>
    public static SentencePieceModelData Read(byte[] bytes, string source)
    {
        if (bytes.Length == 0) throw new TextFormatException(source, "the SentencePiece model is empty");
        var pieces = new List<(string, float)>();
        var types = new List<int>();
        int modelType = 1, unk = 0, bos = 1, eos = 2, pad = -1;
        bool byteFallback = false, dummy = true, removeWs = true, escapeWs = true;
        byte[] charsMap = [];
        try
        {
            var input = new CodedInputStream(bytes);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    {
                        var sub = new CodedInputStream(input.ReadBytes().ToByteArray());
                        string piece = ""; float score = 0; int type = 1;
                        uint t;
                        while ((t = sub.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 1: piece = sub.ReadString(); break;
                                case 2: score = sub.ReadFloat(); break;
                                case 3: type = sub.ReadEnum(); break;
                                default: sub.SkipLastField(); break;
                            }
                        }
                        pieces.Add((piece, score));
                        types.Add(type);
                        break;
                    }
                    case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    {
                        var sub = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = sub.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 3: modelType = sub.ReadEnum(); break;
                                case 35: byteFallback = sub.ReadBool(); break;
                                case 40: unk = sub.ReadInt32(); break;
                                case 41: bos = sub.ReadInt32(); break;
                                case 42: eos = sub.ReadInt32(); break;
                                case 43: pad = sub.ReadInt32(); break;
                                default: sub.SkipLastField(); break;
                            }
                        }
                        break;
                    }
                    case 3 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    {
                        var sub = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = sub.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 2: charsMap = sub.ReadBytes().ToByteArray(); break;
                                case 3: dummy = sub.ReadBool(); break;
                                case 4: removeWs = sub.ReadBool(); break;
                                case 5: escapeWs = sub.ReadBool(); break;
                                default: sub.SkipLastField(); break;
                            }
                        }
                        break;
                    }
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new TextFormatException(source, $"not a SentencePiece model (protobuf: {e.Message})", e);
        }
        if (pieces.Count == 0)
            throw new TextFormatException(source, "not a SentencePiece model: no pieces (field 1 of ModelProto)");
        foreach (var (name, id) in new[] { ("unk_id", unk), ("eos_id", eos), ("pad_id", pad), ("bos_id", bos) })
            if (id >= pieces.Count)
                throw new TextFormatException(source, $"trainer_spec.{name} = {id} is outside the {pieces.Count} pieces");
        if (unk < 0) throw new TextFormatException(source, "trainer_spec.unk_id is negative");
        return new SentencePieceModelData(pieces, types, modelType, unk, bos, eos, pad, byteFallback, charsMap, dummy,
            removeWs, escapeWs);
    }
}

/// <summary>
/// SentencePiece Unigram tokenisation for T5 (<c>spiece.model</c>) over <c>Microsoft.ML.Tokenizers</c>. The library's
/// <c>SentencePieceTokenizer.Create(Stream)</c> fails on T5's models (pad 0, eos 1, unk 2, no BOS); this class reads the
/// pieces and the normaliser from the file itself and uses the in-memory <c>Create</c>, which matches
/// <c>spm_encode</c>. One text encodes as <c>tokens &lt;/s&gt;</c> (T5 adds no BOS); padding uses pad_id (0 for T5).
/// </summary>
public sealed partial class SentencePieceTextTokenizer : TextTokenizer
{
    private readonly SentencePieceTokenizer _spm;
    private readonly Dictionary<string, int> _special;

    private SentencePieceTextTokenizer(string source, SentencePieceModelData model, SentencePieceTokenizer spm,
        int maxLength, bool cleanReports) : base(source, maxLength, cleanReports)
    {
        Model = model;
        _spm = spm;
        _special = new Dictionary<string, int> { ["<unk>"] = model.UnkId };
        if (model.EosId >= 0) _special["</s>"] = model.EosId;
        if (model.PadId >= 0) _special["<pad>"] = model.PadId;
    }

    /// <summary>The model file's contents.</summary>
    public SentencePieceModelData Model { get; }
    /// <inheritdoc />
    public override int PadId => Model.PadId >= 0 ? Model.PadId : 0;
    /// <inheritdoc />
    public override int UnknownId => Model.UnkId;
    /// <summary>The end-of-sentence id appended to every text.</summary>
    public int EosId => Model.EosId;
    /// <inheritdoc />
    public override int VocabularySize => Model.Pieces.Count;
    /// <inheritdoc />
    public override int SpecialTokenCount => 1;
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, int> SpecialTokenIds => _special;
    /// <inheritdoc />
    protected override int MinimumLength => 2;

    /// <summary>Reads a SentencePiece Unigram model file (T5's spiece.model).</summary>
    /// <exception cref="TextFormatException">Missing file, not a SentencePiece model, not Unigram, or no &lt;/s&gt;.</exception>
    public static SentencePieceTextTokenizer FromFile(string modelPath, int maxLength = DefaultMaxLength, bool cleanReports = true)
    {
        if (!File.Exists(modelPath)) throw new TextFormatException(modelPath, "SentencePiece model file not found");
        return FromBytes(File.ReadAllBytes(modelPath), modelPath, maxLength, cleanReports);
    }

    /// <summary>Reads a SentencePiece model held in memory; <paramref name="source"/> names it in errors.</summary>
    public static SentencePieceTextTokenizer FromBytes(byte[] bytes, string source, int maxLength = DefaultMaxLength,
        bool cleanReports = true)
    {
        var model = SentencePieceModelData.Read(bytes, source);
        if (model.ModelType != 1)
            throw new TextFormatException(source, $"trainer_spec.model_type = {model.ModelType}; only Unigram (1, T5's) is supported");
        if (model.EosId < 0) throw new TextFormatException(source, "trainer_spec.eos_id is disabled; T5 ends every text with </s>");
        SentencePieceTokenizer spm;
        try
        {
            spm = SentencePieceTokenizer.Create(model.Pieces.Select(p => (p.Piece, p.Score)), model.UnkId,
                addBeginningOfSentence: false, addEndOfSentence: false, model.PrecompiledCharsMap,
                model.AddDummyPrefix, model.EscapeWhitespaces, treatWhitespaceAsSuffix: false, model.ByteFallback,
                specialTokens: null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new TextFormatException(source, $"the SentencePiece model does not load: {e.Message}", e);
        }
        return new SentencePieceTextTokenizer(source, model, spm, maxLength, cleanReports);
    }

    /// <inheritdoc />
    protected override IReadOnlyList<int> EncodeContent(string text)
    {
        if (Model.RemoveExtraWhitespaces) text = Whitespace().Replace(text, " ").Trim(' ');
        if (text.Length == 0) return [];
        var ids = _spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        // SentencePiece merges a run of unknown characters into one <unk>; Microsoft.ML.Tokenizers 3.0.0 gives one
        // <unk> per character. Merge them, as spm_encode does.
        var merged = new List<int>(ids.Count);
        foreach (var id in ids)
            if (id != Model.UnkId || merged.Count == 0 || merged[^1] != Model.UnkId) merged.Add(id);
        return merged;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<int> AddSpecialTokens(IReadOnlyList<int> content)
    {
        var ids = new List<int>(content.Count + 1);
        ids.AddRange(content);
        ids.Add(EosId);
        return ids;
    }

    /// <summary>The pieces of ids, joined (for display and checks).</summary>
    public string Decode(IEnumerable<int> ids) => _spm.Decode(ids) ?? string.Empty;

    [GeneratedRegex(" +")]
    private static partial Regex Whitespace();
}
