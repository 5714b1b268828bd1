using Thorax.Models.Weights;
using Thorax.Text.Encoders;
using Thorax.Text.Tests.Support;
using Xunit.Abstractions;

namespace Thorax.Text.Tests.Encoders;

/// <summary>The T5 encoder against tools/golden/text/make_t5_golden.py (a T5 encoder written from the paper).</summary>
public class T5EncoderModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("relu")]
    [InlineData("gated")]
    public void Hidden_states_equal_the_paper_reference(string name)
    {
        using var model = T5EncoderModel.FromPretrained(Golden.File("t5_" + name));
        var io = SafeTensors.Load(Golden.File($"t5_{name}_io.safetensors"));
        try
        {
            using var hidden = model.call(io["input_ids"], io["attention_mask"]);
            var expected = io["last_hidden_state"];
            Assert.Equal(expected.shape, hidden.shape);
            // Padded positions are compared too: they attend to the real tokens only.
            var diff = (hidden - expected).abs().max().item<float>();
            output.WriteLine($"t5_{name}: max |thorax - reference| = {diff:E2} over [{string.Join(",", hidden.shape)}]");
            Assert.True(diff < 1e-5, $"differs by {diff}");
            Assert.True(expected.abs().max().item<float>() > 0.5f);   // not a trivially small output
        }
        finally { io.DisposeAll(); }
    }

    [Theory]
    [InlineData(32, 128)]
    [InlineData(16, 20)]
    public void Relative_position_buckets_follow_the_paper(int buckets, int maxDistance)
    {
        var g = Golden.Json("t5_buckets.json").GetProperty($"{buckets}_{maxDistance}");
        var offsets = g.GetProperty("offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var expected = g.GetProperty("buckets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        using var rel = tensor(offsets);
        using var got = T5Attention.RelativePositionBucket(rel, buckets, maxDistance);
        Assert.Equal(expected, got.data<long>().ToArray());
        Assert.Equal(buckets - 1, got.max().item<long>());
    }

    [Fact]
    public void Keys_are_t5_encoder_keys_without_biases()
    {
        using var model = T5EncoderModel.FromPretrained(Golden.File("t5_relu"));
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("shared.weight", keys);
        Assert.Contains("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", keys);
        Assert.DoesNotContain("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight", keys);
        Assert.Contains("encoder.block.1.layer.1.DenseReluDense.wi.weight", keys);
        Assert.Contains("encoder.final_layer_norm.weight", keys);
        Assert.DoesNotContain(keys, k => k.EndsWith(".bias", StringComparison.Ordinal));
        Assert.Equal(1 + 2 * 8 + 1 + 1, keys.Count);   // shared, 8 per block, block 0's bias table, final norm
        Assert.False(model.training);
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Train_mode_dropout_only_behind_the_option()
    {
        using var model = T5EncoderModel.FromPretrained(Golden.File("t5_relu"));
        var io = SafeTensors.Load(Golden.File("t5_relu_io.safetensors"));
        try
        {
            using var a = model.call(io["input_ids"], io["attention_mask"]);
            using var b = model.call(io["input_ids"], io["attention_mask"]);
            Assert.True(a.equal(b).all().item<bool>());
            model.TrainModeDropout = true;
            using var c = model.call(io["input_ids"], io["attention_mask"]);
            Assert.True((c - a).abs().max().item<float>() > 1e-2f);
            model.TrainModeDropout = false;
            using var d = model.call(io["input_ids"], io["attention_mask"]);
            Assert.True(d.equal(a).all().item<bool>());
        }
        finally { io.DisposeAll(); }
    }

    [Fact]
    public void A_full_t5_checkpoint_loads_its_encoder_and_a_tied_embedding_copy_is_accepted()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-t5-");
        try
        {
            File.Copy(Golden.File("t5_gated/config.json"), Path.Combine(dir.FullName, "config.json"));
            var sd = SafeTensors.Load(Golden.File("t5_gated/model.safetensors"));
            sd["encoder.embed_tokens.weight"] = sd["shared.weight"].clone();
            sd["decoder.block.0.layer.0.SelfAttention.q.weight"] = zeros(16, 32);
            sd["lm_head.weight"] = zeros(100, 32);
            SafeTensors.Save(Path.Combine(dir.FullName, "model.safetensors"), sd);
            sd.DisposeAll();
            using var full = T5EncoderModel.FromPretrained(dir.FullName);
            using var golden = T5EncoderModel.FromPretrained(Golden.File("t5_gated"));
            Assert.True(full.shared.weight!.equal(golden.shared.weight!).all().item<bool>());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Bad_folders_name_the_file_and_the_field_or_key()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-t5-");
        try
        {
            var cfg = File.ReadAllText(Golden.File("t5_relu/config.json")).Replace("\"d_model\"", "\"d_model_x\"");
            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), cfg);
            File.Copy(Golden.File("t5_relu/model.safetensors"), Path.Combine(dir.FullName, "model.safetensors"));
            var e = Assert.Throws<TextFormatException>(() => T5EncoderModel.FromPretrained(dir.FullName));
            Assert.Contains("config.json", e.Message);
            Assert.Contains("field 'd_model' is missing", e.Message);

            // The gated config over relu weights: wi_0/wi_1 missing, wi unexpected, shapes off.
            File.Copy(Golden.File("t5_gated/config.json"), Path.Combine(dir.FullName, "config.json"), overwrite: true);
            var s = Assert.Throws<StateDictException>(() => T5EncoderModel.FromPretrained(dir.FullName));
            Assert.Contains("model.safetensors", s.Message);
            Assert.Contains("encoder.block.0.layer.1.DenseReluDense.wi_0.weight", s.Message);
            Assert.Contains("encoder.block.0.layer.1.DenseReluDense.wi.weight", s.Message);

            File.Delete(Path.Combine(dir.FullName, "model.safetensors"));
            Assert.Contains("expected model.safetensors or pytorch_model.bin",
                Assert.Throws<TextFormatException>(() => T5EncoderModel.FromPretrained(dir.FullName)).Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_t5_folder_with_its_sentencepiece_model_encodes_reports()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-t5-");
        try
        {
            foreach (var f in new[] { "config.json", "model.safetensors" })
                File.Copy(Golden.File("t5_relu/" + f), Path.Combine(dir.FullName, f));
            File.Copy(Golden.File("spm_tiny.model"), Path.Combine(dir.FullName, "spiece.model"));
            using var enc = TextEncoders.Load(dir.FullName);
            Assert.IsType<T5EncoderModel>(enc.Module);
            Assert.Equal(64, enc.HiddenSize);
            using var e = enc.Encode(["Small right apical pneumothorax on [DATE].", "No pneumothorax."]);
            Assert.Equal(new long[] { 2, e.Batch.Items[0].Ids.Count, 64 }, e.LastHiddenState.shape);
            Assert.Equal(1, e.Batch.Items[0].Ids[^1]);   // </s>
            using var pooled = e.MeanPooled();
            Assert.Equal(new long[] { 2, 64 }, pooled.shape);
            Assert.False(pooled.isnan().any().item<bool>());
        }
        finally { dir.Delete(true); }
    }
}

public class T5PytorchBinTests
{
    [Fact]
    public void A_torch_save_full_checkpoint_gives_the_same_encoder()
    {
        // t5_gated_bin/pytorch_model.bin: torch.save of the golden weights with a tied encoder.embed_tokens (shared
        // storage), decoder and lm_head entries, as Hugging Face writes a T5ForConditionalGeneration.
        using var bin = T5EncoderModel.FromPretrained(Golden.File("t5_gated_bin"));
        var io = SafeTensors.Load(Golden.File("t5_gated_io.safetensors"));
        try
        {
            using var hidden = bin.call(io["input_ids"], io["attention_mask"]);
            Assert.True((hidden - io["last_hidden_state"]).abs().max().item<float>() < 1e-5f);
        }
        finally { io.DisposeAll(); }
    }
}
