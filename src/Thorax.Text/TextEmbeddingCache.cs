using Thorax.Text.Tokenization;
using static TorchSharp.torch;

namespace Thorax.Text;

/// <summary>
/// Token embeddings of a frozen <see cref="TextEncoder"/> computed once per distinct report and kept on the CPU, so a
/// training loop over many epochs encodes each report once. Reports are keyed by their cleaned text (two reports that
/// differ only in placeholders or whitespace share an entry). Not thread-safe.
/// </summary>
public sealed class TextEmbeddingCache : IDisposable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _batchSize;

    private sealed record Entry(Tensor Hidden, EncodedText Encoded);

    /// <summary>A cache over <paramref name="encoder"/>; misses are encoded <paramref name="batchSize"/> at a time.</summary>
    public TextEmbeddingCache(TextEncoder encoder, int batchSize = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Encoder = encoder;
        _batchSize = batchSize;
    }

    /// <summary>The encoder.</summary>
    public TextEncoder Encoder { get; }
    /// <summary>Distinct reports held.</summary>
    public int Count => _entries.Count;
    /// <summary>Look-ups answered from the cache.</summary>
    public long Hits { get; private set; }
    /// <summary>Reports that had to be encoded.</summary>
    public long Misses { get; private set; }

    private string Key(string? report) =>
        Encoder.Tokenizer.CleanReports ? ReportCleanup.Clean(report) : report ?? string.Empty;

    /// <summary>Encodes the reports not yet cached (in batches).</summary>
    public void Precompute(IEnumerable<string?> reports, bool allowEmpty = false)
    {
        var todo = new List<string?>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in reports)
        {
            var k = Key(r);
            if (_entries.ContainsKey(k) || !seen.Add(k)) continue;
            todo.Add(r);
        }
        for (var i = 0; i < todo.Count; i += _batchSize)
        {
            var chunk = todo.Skip(i).Take(_batchSize).ToList();
            using var enc = Encoder.Encode(chunk, PaddingMode.Longest, allowEmpty);
            using var cpu = enc.LastHiddenState.to(CPU);
            for (var j = 0; j < chunk.Count; j++)
            {
                var item = enc.Batch.Items[j];
                // Kept beyond any dispose scope the caller is in (a training step's): the cache owns it until Dispose.
                var hidden = cpu[j].narrow(0, 0, item.Ids.Count).clone().DetachFromDisposeScope();
                _entries[Key(chunk[j])] = new Entry(hidden, item);
                Misses++;
            }
        }
    }

    /// <summary>
    /// Padded token embeddings [B, T, H] (zeros on padding) and the attention mask [B, T] (int64) of the reports, from
    /// the cache (missing ones are encoded first). New tensors, owned by the caller.
    /// </summary>
    public (Tensor Hidden, Tensor Mask) Batch(IReadOnlyList<string?> reports, bool allowEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0) throw new ArgumentException("no reports", nameof(reports));
        var before = Misses;
        Precompute(reports, allowEmpty);
        Hits += reports.Count - (Misses - before);
        var entries = reports.Select(r => _entries[Key(r)]).ToList();
        var t = entries.Max(e => e.Hidden.shape[0]);
        var hidden = zeros([reports.Count, t, Encoder.HiddenSize], entries[0].Hidden.dtype);
        var mask = zeros([reports.Count, t], ScalarType.Int64);
        using (no_grad())
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var n = entries[i].Hidden.shape[0];
                using var dst = hidden[i].narrow(0, 0, n);
                dst.copy_(entries[i].Hidden);
                using var m = mask[i].narrow(0, 0, n);
                m.fill_(1);
            }
        }
        return (hidden, mask);
    }

    /// <summary>The encoding (ids, truncation) of a cached report, or null.</summary>
    public EncodedText? Encoding(string? report) => _entries.TryGetValue(Key(report), out var e) ? e.Encoded : null;

    /// <summary>Frees every cached tensor.</summary>
    public void Dispose()
    {
        foreach (var e in _entries.Values) e.Hidden.Dispose();
        _entries.Clear();
    }
}
