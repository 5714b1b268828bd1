using Thorax.Text.Tests.Support;

namespace Thorax.Text.Tests;

public class TextEmbeddingCacheTests
{
    private static TextEncoder T5()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-t5-");
        foreach (var f in new[] { "config.json", "model.safetensors" })
            File.Copy(Golden.File("t5_relu/" + f), Path.Combine(dir.FullName, f));
        File.Copy(Golden.File("spm_tiny.model"), Path.Combine(dir.FullName, "spiece.model"));
        try { return TextEncoders.Load(dir.FullName); }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Cached_batches_equal_direct_encoding_and_each_report_is_encoded_once()
    {
        using var enc = T5();
        using var cache = new TextEmbeddingCache(enc, batchSize: 2);
        string[] reports = ["Small right apical pneumothorax.", "No pneumothorax.", "Left chest tube in place.",
                            "No  pneumothorax. [DATE]"];   // the last cleans to the second
        var (h, m) = cache.Batch(reports);
        using (h)
        using (m)
        using (var direct = enc.Encode(reports))
        {
            Assert.Equal(direct.LastHiddenState.shape, h.shape);
            Assert.True(m.equal(direct.Batch.AttentionMask).all().item<bool>());
            using var masked = direct.LastHiddenState * direct.Batch.AttentionMask.unsqueeze(-1);
            Assert.True((masked - h).abs().max().item<float>() < 1e-5f);
        }
        Assert.Equal(3, cache.Count);
        Assert.Equal(3, cache.Misses);
        Assert.Equal(1, cache.Hits);
        var (h2, m2) = cache.Batch(["No pneumothorax.", "Small right apical pneumothorax."]);
        h2.Dispose();
        m2.Dispose();
        Assert.Equal(3, cache.Misses);
        Assert.Equal(3, cache.Hits);
        Assert.False(cache.Encoding("No pneumothorax.")!.Truncated);
        Assert.Throws<TextInputException>(() => cache.Batch(["[DATE]"]));
    }

    [Fact]
    public void Entries_encoded_inside_a_dispose_scope_outlive_it()
    {
        // A training step runs in a dispose scope; reports first seen there must stay cached after the step.
        using var enc = T5();
        using var cache = new TextEmbeddingCache(enc);
        using (NewDisposeScope())
        {
            var (h, m) = cache.Batch(["Small right apical pneumothorax."]);
        }
        var (h2, m2) = cache.Batch(["Small right apical pneumothorax."]);
        using (h2)
        using (m2)
        using (var direct = enc.Encode(["Small right apical pneumothorax."]))
            Assert.True((direct.LastHiddenState - h2).abs().max().item<float>() < 1e-5f);
        Assert.Equal(1, cache.Misses);
    }
}
