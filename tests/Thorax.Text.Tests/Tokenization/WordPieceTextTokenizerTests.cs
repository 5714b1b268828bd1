using System.Text;
using Thorax.Text.Encoders;
using Thorax.Text.Tests.Support;
using Thorax.Text.Tokenization;

namespace Thorax.Text.Tests.Tokenization;

public class WordPieceTextTokenizerTests
{
    private static readonly Lazy<byte[]> Vocab = new(() => MiniLmPackage.ReadVocab());

    private static WordPieceTextTokenizer MiniLm(int maxLength = 512) =>
        WordPieceTextTokenizer.FromBytes(Vocab.Value, MiniLmPackage.VocabResource, maxLength: maxLength);

    [Fact]
    public void Ids_equal_a_pure_python_wordpiece_on_the_minilm_vocabulary()
    {
        // tools/golden/text/make_tokenizer_golden.py: BERT basic tokenisation + greedy longest-match-first WordPiece
        // written from the published algorithm (accents, punctuation, CJK, [UNK], placeholders removed).
        var tok = MiniLm();
        Assert.Equal(30522, tok.VocabularySize);
        foreach (var (text, ids) in Golden.Cases("wordpiece_minilm.json"))
        {
            var enc = tok.Encode(text);
            Assert.False(enc.Truncated);
            Assert.True(ids.SequenceEqual(enc.Ids), $"{text}\nexpected {string.Join(",", ids)}\nactual   {string.Join(",", enc.Ids)}");
        }
    }

    [Fact]
    public void Hand_checked_ids_from_vocab_lines()
    {
        // vocab.txt lines (0-based): [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, "no" 2053, "." 1012, "lungs" 8948.
        var lines = Encoding.UTF8.GetString(Vocab.Value).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var tok = MiniLm();
        var ids = tok.Encode("NO.  Lungs").Ids;
        Assert.Equal(new[] { "[CLS]", "no", ".", "lungs", "[SEP]" }, ids.Select(i => lines[i]));
        Assert.Equal(101, tok.ClsId);
        Assert.Equal(102, tok.SepId);
        Assert.Equal(0, tok.PadId);
        Assert.Equal(100, tok.UnkId);
    }

    [Fact]
    public void Long_reports_are_truncated_to_max_length_keeping_sep_and_reporting_it()
    {
        var tok = MiniLm();
        var text = string.Join(" ", Enumerable.Repeat("lungs are clear.", 200));   // 4 tokens each: 800 + 2
        var enc = tok.Encode(text);
        Assert.True(enc.Truncated);
        Assert.Equal(802, enc.UntruncatedLength);
        Assert.Equal(512, enc.Ids.Count);
        Assert.Equal(tok.ClsId, enc.Ids[0]);
        Assert.Equal(tok.SepId, enc.Ids[^1]);
        Assert.Equal(tok.Encode("lungs are clear. lungs").Ids.Skip(1).Take(4), enc.Ids.Skip(1).Take(4));

        var small = MiniLm(maxLength: 6);
        Assert.Equal(new[] { 101, 8948, 2024, 3154, 1012, 102 }, small.Encode("lungs are clear. heart").Ids);
    }

    [Fact]
    public void Batch_pads_with_attention_masks()
    {
        var tok = MiniLm();
        using var batch = tok.EncodeBatch(["no pneumothorax", "lungs"]);
        Assert.Equal(new long[] { 2, 9 }, batch.InputIds.shape);   // [CLS] no p ##ne ##um ##otho ##ra ##x [SEP]
        var ids = batch.InputIds.data<long>().ToArray();
        var mask = batch.AttentionMask.data<long>().ToArray();
        var n0 = batch.Items[0].Ids.Count;
        Assert.Equal(9, n0);
        Assert.Equal(new long[] { 101, 8948, 102, 0, 0, 0, 0, 0, 0 }, ids[9..]);
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 0, 0, 0, 0 }, mask[9..]);
        Assert.All(mask[..9], m => Assert.Equal(1, m));
        Assert.Equal(ScalarType.Int64, batch.InputIds.dtype);
        Assert.Equal(0, batch.TokenTypeIds.sum().item<long>());
        Assert.Empty(batch.TruncatedIndices);

        using var full = tok.EncodeBatch(["lungs"], PaddingMode.MaxLength);
        Assert.Equal(new long[] { 1, 512 }, full.InputIds.shape);
        Assert.Equal(3, full.AttentionMask.sum().item<long>());
    }

    [Fact]
    public void Unknown_tokens_are_counted_to_flag_text_the_vocabulary_does_not_cover()
    {
        var tok = MiniLm();
        Assert.Equal(0, tok.Encode("No pneumothorax.").UnknownCount);
        var cjk = tok.Encode("右侧气胸 pneumothorax");   // CJK ideographs become [UNK] each
        Assert.Equal(4, cjk.UnknownCount);
        Assert.Equal(tok.UnkId, cjk.Ids[1]);
    }

    [Fact]
    public void Empty_report_is_refused_unless_asked_for()
    {
        var tok = MiniLm();
        var e = Assert.Throws<TextInputException>(() => tok.Encode("  [DATE] \n [PERSONALNAME] "));
        Assert.Contains("empty after removing placeholders", e.Message);
        Assert.Throws<TextInputException>(() => tok.Encode(""));
        var b = Assert.Throws<TextInputException>(() => tok.EncodeBatch(["fine", " "]));
        Assert.StartsWith("text 1:", b.Message);
        Assert.Equal(new[] { 101, 102 }, tok.Encode("", allowEmpty: true).Ids);
    }

    [Fact]
    public void A_file_that_is_not_a_bert_vocabulary_is_named()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-vocab-");
        try
        {
            var noSpecial = Path.Combine(dir.FullName, "vocab.txt");
            File.WriteAllText(noSpecial, "hello\nworld\n");
            var e = Assert.Throws<TextFormatException>(() => WordPieceTextTokenizer.FromFile(noSpecial));
            Assert.Contains(noSpecial, e.Message);
            Assert.Contains("[PAD], [UNK], [CLS], [SEP] missing", e.Message);

            var spm = Golden.File("spm_tiny.model");
            var b = Assert.Throws<TextFormatException>(() => WordPieceTextTokenizer.FromFile(spm));
            Assert.Contains("SentencePiece", b.Message);

            var empty = Path.Combine(dir.FullName, "empty.txt");
            File.WriteAllText(empty, "");
            Assert.Contains("empty", Assert.Throws<TextFormatException>(() => WordPieceTextTokenizer.FromFile(empty)).Message);
            Assert.Contains("not found", Assert.Throws<TextFormatException>(
                () => WordPieceTextTokenizer.FromFile(Path.Combine(dir.FullName, "missing.txt"))).Message);
        }
        finally { dir.Delete(true); }
    }
}
