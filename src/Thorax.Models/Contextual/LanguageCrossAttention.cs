using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Models.Contextual;

/// <summary>
/// ConTEXTual Net's language cross-attention gate (zhuemann/ConTEXTualSegmentation <c>LangCrossAtt</c>): single-head
/// attention whose queries are the decoder's vision tokens (one per pixel, row-major over H then W) and whose keys and
/// values are the projected report tokens; the attention output A gates the vision features: <c>out = tanh(A) * Q</c>,
/// Q being the raw (not in-projected) vision features.
/// </summary>
/// <remarks>
/// <para>Keys: <c>multihead_attn.in_proj_weight</c> [3C, C], <c>multihead_attn.in_proj_bias</c> [3C],
/// <c>multihead_attn.out_proj.weight</c> [C, C], <c>multihead_attn.out_proj.bias</c> [C] (PyTorch's
/// <c>nn.MultiheadAttention(C, 1)</c>), so the reference's checkpoints load by name. The attention is written out
/// (in-projection, scaled dot product, softmax, out-projection) rather than through TorchSharp's MultiheadAttention,
/// so a key-padding mask can be passed and the attention weights returned for visualisation. When the weights are not
/// asked for, the same arithmetic runs through libtorch's fused <c>scaled_dot_product_attention</c>, which never
/// materialises the (B, H*W, T) score matrix: at 256 px the full-resolution gate is 65,536 queries per image, and its
/// score matrix and softmax were most of the gate's time (in bf16 especially).</para>
/// <para>The reference passes no key-padding mask: padding tokens take part in the attention. Pass
/// <c>keyMask = null</c> to do the same.</para>
/// </remarks>
public sealed class LanguageCrossAttention : nn.Module
{
    private readonly CrossAttentionHead _head;

    /// <summary>A gate over <paramref name="channels"/> vision channels (= the projected text width).</summary>
    public LanguageCrossAttention(long channels) : base(nameof(LanguageCrossAttention))
    {
        if (channels < 1) throw new ArgumentException($"channels must be positive, got {channels}", nameof(channels));
        Channels = channels;
        _head = new CrossAttentionHead(channels);
        register_module("multihead_attn", _head);
    }

    /// <summary>Embedding width C.</summary>
    public long Channels { get; }

    /// <summary>Gates <paramref name="vision"/> by the report.</summary>
    /// <param name="vision">(B, C, H, W) decoder features.</param>
    /// <param name="language">(B, T, C) projected report tokens.</param>
    /// <param name="keyMask">(B, T) 1 = real token, 0 = padding (ignored by the attention), or null to attend to all T tokens (the reference).</param>
    /// <param name="weights">When not null, receives the attention weights (B, H*W, T) (owned by the caller or the current dispose scope).</param>
    /// <returns>(B, C, H, W) gated features.</returns>
    public Tensor Forward(Tensor vision, Tensor language, Tensor? keyMask, Action<Tensor>? weights = null)
    {
        if (vision.dim() != 4 || vision.shape[1] != Channels)
            throw new ArgumentException($"LanguageCrossAttention({Channels}): vision must be (B, {Channels}, H, W), got [{string.Join(", ", vision.shape)}]", nameof(vision));
        if (language.dim() != 3 || language.shape[2] != Channels || language.shape[0] != vision.shape[0])
            throw new ArgumentException($"LanguageCrossAttention({Channels}): language must be ({vision.shape[0]}, T, {Channels}), got [{string.Join(", ", language.shape)}]", nameof(language));
        using var scope = NewDisposeScope();
        long b = vision.shape[0], c = vision.shape[1], h = vision.shape[2], w = vision.shape[3];
        var q = vision.flatten(2).transpose(1, 2); // (B, HW, C), row-major over H then W
        Tensor a;
        if (weights is null) a = _head.Attend(q, language, keyMask);
        else
        {
            (a, var attn) = _head.Forward(q, language, keyMask);
            weights(attn.detach().MoveToOuterDisposeScope());
        }
        var gated = torch.tanh(a) * q;
        return gated.transpose(1, 2).reshape(b, c, h, w).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under their PyTorch names.</summary>
    protected override void RegisterComponents() { }

    /// <summary>PyTorch's <c>nn.MultiheadAttention(C, num_heads=1)</c> parameters and arithmetic, batch-first.</summary>
    private sealed class CrossAttentionHead : nn.Module
    {
        // Field names = registered names: TorchSharp's Module.to(dtype/device) replaces a parameter and updates the
        // field of the same name; a differently named field would keep the disposed original.
#pragma warning disable IDE1006
        private Parameter in_proj_weight;
        private Parameter in_proj_bias;
#pragma warning restore IDE1006
        private readonly Linear _outProj;
        private readonly long _c;

        public CrossAttentionHead(long c) : base("MultiheadAttention")
        {
            _c = c;
            in_proj_weight = new Parameter(torch.empty(3 * c, c));
            in_proj_bias = new Parameter(torch.zeros(3 * c));
            _outProj = nn.Linear(c, c);
            using (torch.no_grad())
            {
                // PyTorch's _reset_parameters: xavier_uniform_ on in_proj_weight, zero biases; out_proj keeps Linear's weight init.
                var bound = Math.Sqrt(6.0 / (c + 3 * c));
                in_proj_weight.uniform_(-bound, bound);
                _outProj.bias!.zero_();
            }
            register_parameter("in_proj_weight", in_proj_weight);
            register_parameter("in_proj_bias", in_proj_bias);
            register_module("out_proj", _outProj);
        }

        /// <summary>Output (B, L, C) of queries (B, L, C) over keys = values (B, T, C), through the fused kernel (no weights).</summary>
        public Tensor Attend(Tensor query, Tensor kv, Tensor? keyMask)
        {
            var (q, k, v) = Project(query, kv, scaleQuery: false);
            Tensor? mask = null;
            if (keyMask is not null) mask = CheckMask(keyMask, kv).to(q.device).ne(0).view(kv.shape[0], 1, 1, kv.shape[1]); // true = attend
            var a = F.scaled_dot_product_attention(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1), mask).squeeze(1);
            return _outProj.call(a);
        }

        /// <summary>(output (B, L, C), weights (B, L, T)) of queries (B, L, C) over keys = values (B, T, C).</summary>
        public (Tensor Output, Tensor Weights) Forward(Tensor query, Tensor kv, Tensor? keyMask)
        {
            var (q, k, v) = Project(query, kv, scaleQuery: true);
            var scores = torch.bmm(q, k.transpose(1, 2)); // (B, L, T)
            if (keyMask is not null)
            {
                var pad = CheckMask(keyMask, kv).to(scores.device).eq(0).unsqueeze(1);
                scores = scores.masked_fill(pad, double.NegativeInfinity);
            }
            var weights = F.softmax(scores, -1);
            var output = _outProj.call(torch.bmm(weights, v));
            return (output, weights);
        }

        /// <summary>The in-projections; the query scaled by 1/sqrt(C) as PyTorch's MultiheadAttention does when asked.</summary>
        private (Tensor Q, Tensor K, Tensor V) Project(Tensor query, Tensor kv, bool scaleQuery)
        {
            var q = F.linear(query, in_proj_weight.narrow(0, 0, _c), in_proj_bias.narrow(0, 0, _c));
            if (scaleQuery) q = q * (1.0 / Math.Sqrt(_c));
            var k = F.linear(kv, in_proj_weight.narrow(0, _c, _c), in_proj_bias.narrow(0, _c, _c));
            var v = F.linear(kv, in_proj_weight.narrow(0, 2 * _c, _c), in_proj_bias.narrow(0, 2 * _c, _c));
            return (q, k, v);
        }

        private static Tensor CheckMask(Tensor keyMask, Tensor kv) =>
            keyMask.dim() == 2 && keyMask.shape[0] == kv.shape[0] && keyMask.shape[1] == kv.shape[1]
                ? keyMask
                : throw new ArgumentException($"key mask must be ({kv.shape[0]}, {kv.shape[1]}), got [{string.Join(", ", keyMask.shape)}]", nameof(keyMask));

        protected override void RegisterComponents() { }
    }
}
