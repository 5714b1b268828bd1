using Thorax.Text.Tests.Support;
using Thorax.Text.Tokenization;

namespace Thorax.Text.Tests.Tokenization;

public class SentencePieceTextTokenizerTests
{
    [Fact]
    public void Ids_equal_sentencepiece_on_a_t5_layout_model()
    {
        // tools/golden/text/make_tokenizer_golden.py: a tiny Unigram model with T5's ids (pad 0, eos 1, unk 2, no bos)
        // and nmt_nfkc; expected ids from python3-sentencepiece's encoder plus </s>.
        var tok = SentencePieceTextTokenizer.FromFile(Golden.File("spm_tiny.model"));
        Assert.Equal(0, tok.PadId);
        Assert.Equal(1, tok.EosId);
        Assert.Equal(2, tok.Model.UnkId);
        Assert.Equal(-1, tok.Model.BosId);
        Assert.Equal(100, tok.VocabularySize);
        foreach (var (text, ids) in Golden.Cases("spm_tiny.json"))
        {
            var enc = tok.Encode(text);
            Assert.True(ids.SequenceEqual(enc.Ids), $"{text}\nexpected {string.Join(",", ids)}\nactual   {string.Join(",", enc.Ids)}");
        }
    }

    [Fact]
    public void Truncation_keeps_eos_and_batches_pad_with_zero()
    {
        var tok = SentencePieceTextTokenizer.FromFile(Golden.File("spm_tiny.model"), maxLength: 5);
        var enc = tok.Encode("There is a small right apical pneumothorax.");
        Assert.True(enc.Truncated);
        Assert.Equal(21, enc.UntruncatedLength);
        Assert.Equal(new[] { 41, 21, 3, 23, 1 }, enc.Ids);
        using var batch = tok.EncodeBatch(["There is", "no"]);
        var n0 = batch.Items[0].Ids.Count;
        var n1 = batch.Items[1].Ids.Count;
        Assert.True(n1 < n0);
        Assert.Equal(n0, batch.InputIds.shape[1]);
        var row1 = batch.InputIds[1].data<long>().ToArray();
        Assert.All(row1[n1..], v => Assert.Equal(0, v));
        Assert.Equal(n0 + n1, batch.AttentionMask.sum().item<long>());
    }

    [Fact]
    public void Files_that_are_not_sentencepiece_models_are_named()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-spm-");
        try
        {
            var txt = Path.Combine(dir.FullName, "vocab.txt");
            File.WriteAllText(txt, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
            var e = Assert.Throws<TextFormatException>(() => SentencePieceTextTokenizer.FromFile(txt));
            Assert.Contains(txt, e.Message);
            var empty = Path.Combine(dir.FullName, "spiece.model");
            File.WriteAllBytes(empty, []);
            Assert.Contains("empty", Assert.Throws<TextFormatException>(() => SentencePieceTextTokenizer.FromFile(empty)).Message);
        }
        finally { dir.Delete(true); }
    }
}
