using Thorax.Models.Weights;
using Thorax.Text.Encoders;
using Thorax.Text.Tests.Support;
using Xunit.Abstractions;

namespace Thorax.Text.Tests.Encoders;

public class BertModelTests(ITestOutputHelper output)
{
    /// <summary>
    /// A BERT (with pooler, right padding) and a RoBERTa masked-LM checkpoint (keys under <c>roberta.</c>, lm_head, no
    /// pooler, right and left padding) against tools/golden/text/make_bert_golden.py, a BERT-family encoder written
    /// in python3-torch from the BERT and RoBERTa papers (float64): last_hidden_state of every position, padding included.
    /// </summary>
    [Theory]
    [InlineData("bert_tiny")]
    [InlineData("roberta_mlm_tiny")]
    public void Hidden_states_equal_the_paper_reference(string name)
    {
        using var model = BertModel.FromPretrained(Golden.File(name));
        var io = SafeTensors.Load(Golden.File(name + "_io.safetensors"));
        try
        {
            var (hidden, pooled) = model.Encode(io["input_ids"], io["attention_mask"]);
            using var h = hidden;
            using var p = pooled;
            var expected = io["last_hidden_state"];
            Assert.Equal(expected.shape, h.shape);
            var diff = (h - expected).abs().max().item<float>();
            output.WriteLine($"{name}: max |thorax - reference| = {diff:E2} over [{string.Join(",", h.shape)}]");
            Assert.True(diff < 2e-5, $"last_hidden_state differs by {diff}");
            Assert.True(expected.abs().max().item<float>() > 0.5f);   // not a trivially small output
            Assert.Equal(io.ContainsKey("pooler_output"), p is not null);
            if (p is not null)
            {
                var pd = (p - io["pooler_output"]).abs().max().item<float>();
                output.WriteLine($"{name}: pooler max diff {pd:E2}");
                Assert.True(pd < 2e-5, $"pooler differs by {pd}");
            }
        }
        finally { io.DisposeAll(); }
    }

    private static BertConfig Small(string type = "bert") => new()
    {
        ModelType = type, VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4,
        IntermediateSize = 64, MaxPositionEmbeddings = 40, TypeVocabSize = type == "bert" ? 2 : 1,
        PadTokenId = type == "bert" ? 0 : 1,
    };

    private static void WriteFolder(string dir, BertModel model, string configJson, string prefix, bool withHead)
    {
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson);
        var sd = model.state_dict().ToDictionary(kv => prefix + kv.Key, kv => kv.Value);
        if (withHead)
        {
            sd["cls.predictions.bias"] = zeros(50);
            sd[prefix + "embeddings.position_ids"] = arange(40, ScalarType.Int64).unsqueeze(0);   // saved by older versions
        }
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), sd);
    }

    private const string BertJson = """
        {"model_type": "bert", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 64, "max_position_embeddings": 40, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
         "hidden_act": "gelu", "pad_token_id": 0}
        """;

    [Fact]
    public void A_hugging_face_folder_with_a_task_head_loads_strictly_under_its_prefix()
    {
        manual_seed(3);
        using var source = new BertModel(Small());
        var dir = Directory.CreateTempSubdirectory("thorax-bert-");
        try
        {
            WriteFolder(dir.FullName, source, BertJson, "bert.", withHead: true);
            using var loaded = BertModel.FromPretrained(dir.FullName);
            Assert.Equal(Small() with { LayerNormEps = 1e-12 }, loaded.Config);
            Assert.NotNull(loaded.pooler);
            using var ids = tensor(new long[] { 2, 7, 9, 3, 0, 0 }, [1, 6]);
            using var mask = tensor(new long[] { 1, 1, 1, 1, 0, 0 }, [1, 6]);
            source.eval();
            using var a = source.call(ids, mask);
            using var b = loaded.call(ids, mask);
            Assert.Equal(0f, (a - b).abs().max().item<float>());
            Assert.False(loaded.training);

            // A key the module lacks (a renamed layer) is named with the file.
            var sd = SafeTensors.Load(Path.Combine(dir.FullName, "model.safetensors"));
            sd["bert.encoder.layer.0.attention.self.query_x.weight"] = sd["bert.encoder.layer.0.attention.self.query.weight"];
            sd.Remove("bert.encoder.layer.0.attention.self.query.weight");
            SafeTensors.Save(Path.Combine(dir.FullName, "model.safetensors"), sd);
            sd.DisposeAll();
            var e = Assert.Throws<StateDictException>(() => BertModel.FromPretrained(dir.FullName));
            Assert.Contains("encoder.layer.0.attention.self.query.weight", e.Message);
            Assert.Contains("query_x", e.Message);
            Assert.Contains("model.safetensors", e.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Config_errors_name_the_file_and_field()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-bert-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllText(path, BertJson.Replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"));
            var e = Assert.Throws<TextFormatException>(() => BertConfig.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("hidden_size 32 is not a multiple of num_attention_heads 5", e.Message);
            File.WriteAllText(path, BertJson.Replace("\"hidden_size\": 32", "\"hidden_size\": \"32\""));
            Assert.Contains("field 'hidden_size' must be an integer", Assert.Throws<TextFormatException>(() => BertConfig.Read(path)).Message);
            File.WriteAllText(path, BertJson.Replace("\"gelu\"", "\"swish\""));
            Assert.Contains("hidden_act 'swish'", Assert.Throws<TextFormatException>(() => BertConfig.Read(path)).Message);
            File.WriteAllText(path, "{ not json");
            Assert.Contains("not valid JSON", Assert.Throws<TextFormatException>(() => BertConfig.Read(path)).Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Roberta_positions_start_after_the_pad_id_and_skip_padding()
    {
        // create_position_ids_from_input_ids: cumsum of non-pad tokens, pad positions = padding_idx. Left padding
        // therefore leaves the real tokens' hidden states unchanged (BERT's absolute positions would shift them).
        manual_seed(5);
        using var roberta = new BertModel(Small("roberta")).Freeze();
        Assert.Equal(38, roberta.MaxInputLength);
        using var ids = tensor(new long[] { 0, 7, 9, 2 }, [1, 4]);
        using var mask = ones_like(ids);
        using var left = tensor(new long[] { 1, 1, 0, 7, 9, 2 }, [1, 6]);
        using var leftMask = tensor(new long[] { 0, 0, 1, 1, 1, 1 }, [1, 6]);
        using var a = roberta.call(ids, mask);
        using var b = roberta.call(left, leftMask);
        using var bReal = b.narrow(1, 2, 4);
        Assert.True((a - bReal).abs().max().item<float>() < 1e-5f);

        manual_seed(5);
        using var bert = new BertModel(Small()).Freeze();
        using var c = bert.call(ids, mask);
        using var d = bert.call(left.where(left.ne(1), zeros_like(left)), leftMask).narrow(1, 2, 4);
        Assert.True((c - d).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Padding_does_not_change_the_real_tokens()
    {
        manual_seed(11);
        using var bert = new BertModel(Small()).Freeze();
        using var ids = tensor(new long[] { 2, 7, 9, 3 }, [1, 4]);
        using var padded = tensor(new long[] { 2, 7, 9, 3, 0, 0, 0 }, [1, 7]);
        using var pmask = tensor(new long[] { 1, 1, 1, 1, 0, 0, 0 }, [1, 7]);
        using var a = bert.call(ids, ones_like(ids));
        using var b = bert.call(padded, pmask).narrow(1, 0, 4);
        Assert.True((a - b).abs().max().item<float>() < 1e-5f);
    }
}
