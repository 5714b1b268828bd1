using Thorax.Text;
using TorchSharp;
using Thorax.Models.Runtime;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Contextual;

/// <summary>
/// The frozen report encoder of a ConTEXTual run: token embeddings computed once per distinct report and cached
/// (<see cref="TextEmbeddingCache"/>); augmented reports (shuffle, synonyms), which rarely repeat, are encoded per
/// step without filling the cache. When the model attends to padding (the reference), every batch is padded with zero
/// vectors to one fixed length, so a report's output does not depend on the other reports of its batch (the reference
/// pads every report to 512 tokens with T5's outputs at the padding positions).
/// </summary>
public sealed class ContextualText : IDisposable
{
    private readonly TextEmbeddingCache _cache;
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _foreign = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="encoder"/> (owned: disposed with this object) and moves its module to
    /// <paramref name="device"/> (default: where it is). The cached embeddings are kept on the CPU; the trainer moves each
    /// batch to the network's device.</summary>
    public ContextualText(TextEncoder encoder, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (device is not null) encoder.Module.MoveTo(device);
        Encoder = encoder;
        _cache = new TextEmbeddingCache(encoder, batchSize: 16);
    }

    /// <summary>The encoder.</summary>
    public TextEncoder Encoder { get; }
    /// <summary>Distinct reports encoded into the cache.</summary>
    public int Cached => _cache.Count;
    /// <summary>Encoder calls that missed the cache (each distinct report once) plus uncached augmented reports.</summary>
    public long Encoded { get; private set; }
    /// <summary>Fixed batch length in tokens when padding is attended to (0 = pad to the longest of the batch).</summary>
    public int PadLength { get; set; }

    /// <summary>Called once per distinct report that was cut to the encoder's maximum length.</summary>
    public event Action<string>? Truncated;

    /// <summary>Called once per distinct report of which over a quarter of the tokens are unknown to the encoder's
    /// vocabulary (text in another script or language than the encoder was trained on).</summary>
    public event Action<string>? ForeignText;

    /// <summary>Encodes the reports not cached yet; returns the longest token count among them.</summary>
    public int Precompute(IEnumerable<string> reports)
    {
        var list = reports.Distinct(StringComparer.Ordinal).ToList();
        var before = _cache.Misses;
        _cache.Precompute(list, allowEmpty: true);
        Encoded += _cache.Misses - before;
        var longest = 0;
        foreach (var r in list)
        {
            var e = _cache.Encoding(r)!;
            longest = Math.Max(longest, e.Ids.Count);
            if (e.Truncated && _warned.Add(r))
                Truncated?.Invoke($"a report of {e.UntruncatedLength} tokens was truncated to the encoder's {e.Ids.Count} (\"{Shorten(r)}\")");
            if (e.UnknownCount * 4 > e.Ids.Count && _foreign.Add(r))
                ForeignText?.Invoke($"{e.UnknownCount} of {e.Ids.Count} tokens of a report are unknown to the encoder '{Encoder.Name}' (another language or script?): \"{Shorten(r)}\"");
        }
        return longest;
    }

    /// <summary>Token embeddings (B, T, H) and mask (B, T) of the reports; <paramref name="cache"/> false encodes without caching;
    /// <paramref name="encoderDropout"/> (uncached only) runs a T5 encoder with its train-mode dropout (<see cref="Thorax.Text.Encoders.T5EncoderModel.TrainModeDropout"/>).</summary>
    public (Tensor Hidden, Tensor Mask) Batch(IReadOnlyList<string> reports, bool cache = true, bool encoderDropout = false)
    {
        if (encoderDropout && cache) throw new ArgumentException("encoder dropout gives another embedding at every call: it cannot be cached", nameof(encoderDropout));
        var t5 = Encoder.Module as Thorax.Text.Encoders.T5EncoderModel;
        if (encoderDropout && t5 is null) throw new ArgumentException($"encoder dropout is the reference's T5 quirk; the encoder '{Encoder.Name}' is not a T5", nameof(encoderDropout));
        Tensor hidden, mask;
        if (cache)
        {
            Precompute(reports);
            (hidden, mask) = _cache.Batch(reports.Cast<string?>().ToList(), allowEmpty: true);
        }
        else
        {
            TextEncoding enc;
            if (encoderDropout) t5!.TrainModeDropout = true;
            try { enc = Encoder.Encode(reports.Cast<string?>().ToList(), Thorax.Text.Tokenization.PaddingMode.Longest, allowEmpty: true); }
            finally { if (encoderDropout) t5!.TrainModeDropout = false; }
            using var _ = enc;
            Encoded += reports.Count;
            var m = enc.Batch.AttentionMask.to_type(ScalarType.Int64);
            hidden = (enc.LastHiddenState.cpu() * m.unsqueeze(-1).to_type(enc.LastHiddenState.dtype)).detach();
            mask = m.clone();
        }
        if (PadLength > hidden.shape[1])
        {
            var extra = PadLength - hidden.shape[1];
            var h2 = nn.functional.pad(hidden, new long[] { 0, 0, 0, extra });
            var m2 = nn.functional.pad(mask, new long[] { 0, extra });
            hidden.Dispose();
            mask.Dispose();
            (hidden, mask) = (h2, m2);
        }
        return (hidden, mask);
    }

    /// <summary>Token strings of a report as the encoder's tokenizer splits it (special tokens included).</summary>
    public IReadOnlyList<string> Tokens(string report)
    {
        var ids = Encoder.Tokenizer.Encode(report, allowEmpty: true).Ids;
        var special = Encoder.Tokenizer.SpecialTokenIds.ToDictionary(kv => kv.Value, kv => kv.Key);
        return ids.Select(id => special.TryGetValue(id, out var name) ? name
            : Encoder.Tokenizer is Thorax.Text.Tokenization.WordPieceTextTokenizer wp && wp.Decode([id]) is { Length: > 0 } t ? t : $"#{id}").ToList();
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    /// <summary>Frees the cache and the encoder.</summary>
    public void Dispose()
    {
        _cache.Dispose();
        Encoder.Dispose();
    }
}
