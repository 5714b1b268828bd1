namespace Thorax.Nn;

/// <summary>
/// Multi-head scaled dot-product attention with packed input projection, as PyTorch 1.13 computes it (reference
/// path). Parameters <c>in_proj_weight</c> (3E, E, Xavier uniform), <c>in_proj_bias</c> (3E, zeros) and the
/// submodule <c>out_proj</c> (Linear E → E, bias zeroed), so state-dict keys equal PyTorch's. Output (L, N, E)
/// (or (N, L, E) when batch_first) and, when requested, the attention weights (N, L, S) averaged over heads.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.MultiheadAttention</c> with kdim = vdim = embed_dim and no bias_k/add_zero_attn.</remarks>
public sealed class MultiheadAttention : Module<AttentionInput, (Tensor Output, Tensor? Weights)>
{
    private readonly Linear _outProj;

    /// <summary>Creates the layer.</summary>
    /// <param name="embedDim">Model dimension E.</param>
    /// <param name="numHeads">Heads; must divide E.</param>
    /// <param name="dropout">Dropout probability on the attention weights (training only).</param>
    /// <param name="bias">Whether the projections have biases.</param>
    /// <param name="batchFirst">Inputs and output are (N, L, E) instead of (L, N, E).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="generator">Optional seeded generator; draws happen in PyTorch's order (out_proj first, then in_proj).</param>
    public MultiheadAttention(long embedDim, long numHeads, double dropout = 0, bool bias = true, bool batchFirst = false, DType dtype = DType.Float32,
                              Generator? generator = null)
    {
        if (numHeads <= 0 || embedDim % numHeads != 0) throw new ArgumentException($"embed_dim ({embedDim}) must be divisible by num_heads ({numHeads})");
        EmbedDim = embedDim;
        NumHeads = numHeads;
        Dropout = dropout;
        BatchFirst = batchFirst;
        var w = Torch.Empty(new[] { 3 * embedDim, embedDim }, dtype);
        var b = bias ? Torch.Zeros(new[] { 3 * embedDim }, dtype) : null;
        RegisterParameter("in_proj_weight", w);
        RegisterParameter("in_proj_bias", b);
        _outProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, dtype, generator));
        Init.XavierUniform_(w, generator: generator);
        if (_outProj.Bias is { } ob) Init.Zeros_(ob);
    }

    /// <summary>Model dimension E.</summary>
    public long EmbedDim { get; }

    /// <summary>Number of heads.</summary>
    public long NumHeads { get; }

    /// <summary>Per-head dimension E / heads.</summary>
    public long HeadDim => EmbedDim / NumHeads;

    /// <summary>Attention-weight dropout probability.</summary>
    public double Dropout { get; }

    /// <summary>Whether tensors are (N, L, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>Packed q/k/v projection weight (3E, E).</summary>
    public Tensor InProjWeight => GetParameter("in_proj_weight")!;

    /// <summary>Packed q/k/v projection bias (3E) or null.</summary>
    public Tensor? InProjBias => GetParameter("in_proj_bias");

    /// <summary>The output projection.</summary>
    public Linear OutProj => _outProj;

    /// <summary>Convenience overload of <see cref="Module{TIn,TOut}.Forward"/>.</summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
                                                    Tensor? attnMask = null, bool averageAttnWeights = true) =>
        Forward(new AttentionInput(query, key, value, keyPaddingMask, attnMask, needWeights, averageAttnWeights));

    /// <inheritdoc/>
    protected override (Tensor Output, Tensor? Weights) ForwardCore(AttentionInput a)
    {
        Tensor output;
        Tensor? weights = null;
        using (var scope = Torch.NewScope())
        {
            var (q0, k0, v0) = BatchFirst ? (a.Query.Transpose(0, 1), a.Key.Transpose(0, 1), a.Value.Transpose(0, 1)) : (a.Query, a.Key, a.Value);
            if (q0.Dim != 3) throw new TorchException("multi_head_attention", $"expected a 3-D query, got {q0.ShapeString}");
            long tgtLen = q0.Size(0), bsz = q0.Size(1), e = q0.Size(2), srcLen = k0.Size(0);
            if (e != EmbedDim) throw new TorchException("multi_head_attention", $"query embedding size {e} differs from embed_dim {EmbedDim}");
            long h = NumHeads, hd = HeadDim;

            var ws = InProjWeight.Chunk(3, 0);
            var bs = InProjBias?.Chunk(3, 0);
            var q = Functional.Linear(q0, ws[0], bs?[0]);
            var k = Functional.Linear(k0, ws[1], bs?[1]);
            var v = Functional.Linear(v0, ws[2], bs?[2]);

            q = q.Contiguous().View(tgtLen, bsz * h, hd).Transpose(0, 1);
            k = k.Contiguous().View(srcLen, bsz * h, hd).Transpose(0, 1);
            v = v.Contiguous().View(srcLen, bsz * h, hd).Transpose(0, 1);

            var mask = BuildMask(a.AttnMask, a.KeyPaddingMask, bsz, h, tgtLen, srcLen, q.DType);

            q = q.Div(Math.Sqrt(hd));
            var scores = Torch.Bmm(q, k.Transpose(-2, -1));
            if (mask is not null) scores = scores.Add(mask);
            var attn = Functional.Softmax(scores, -1);
            var attnDropped = IsTraining && Dropout > 0 ? Functional.Dropout(attn, Dropout, true) : attn;
            var ctx = Torch.Bmm(attnDropped, v);
            ctx = ctx.Transpose(0, 1).Contiguous().View(tgtLen * bsz, e);
            var o = Functional.Linear(ctx, _outProj.Weight, _outProj.Bias).View(tgtLen, bsz, e);
            output = BatchFirst ? o.Transpose(0, 1) : o;
            output.MoveToOuterScope();
            if (a.NeedWeights)
            {
                var aw = attn.View(bsz, h, tgtLen, srcLen);
                weights = a.AverageAttnWeights ? aw.Sum(1).Div(h) : aw;
                weights.MoveToOuterScope();
            }
        }
        return (output, weights);
    }

    private static Tensor? BuildMask(Tensor? attnMask, Tensor? keyPadding, long bsz, long h, long tgtLen, long srcLen, DType dtype)
    {
        Tensor? mask = null;
        if (attnMask is not null)
        {
            var m = attnMask.DType == DType.UInt8 ? attnMask.Bool() : attnMask;
            if (m.Dim == 2)
            {
                if (m.Size(0) != tgtLen || m.Size(1) != srcLen)
                    throw new TorchException("multi_head_attention", $"the shape of the 2D attn_mask is {m.ShapeString}, but should be [{tgtLen}, {srcLen}]");
                m = m.Unsqueeze(0);
            }
            else if (m.Dim != 3 || m.Size(0) != bsz * h || m.Size(1) != tgtLen || m.Size(2) != srcLen)
            {
                throw new TorchException("multi_head_attention", $"the shape of the attn_mask is {m.ShapeString}, but should be [{bsz * h}, {tgtLen}, {srcLen}]");
            }
            mask = m;
        }
        if (keyPadding is not null)
        {
            if (keyPadding.Dim != 2 || keyPadding.Size(0) != bsz || keyPadding.Size(1) != srcLen)
                throw new TorchException("multi_head_attention", $"expected key_padding_mask of shape [{bsz}, {srcLen}], got {keyPadding.ShapeString}");
            var kp = (keyPadding.DType == DType.UInt8 ? keyPadding.Bool() : keyPadding)
                .View(bsz, 1, 1, srcLen).Expand(bsz, h, 1, srcLen).Reshape(bsz * h, 1, srcLen);
            if (mask is null) mask = kp;
            else if (mask.DType == DType.Bool && kp.DType == DType.Bool) mask = mask.LogicalOr(kp);
            else mask = ToAdditive(mask, dtype).Add(ToAdditive(kp, dtype));
        }
        return mask is null ? null : ToAdditive(mask, dtype);
    }

    private static Tensor ToAdditive(Tensor m, DType dtype) =>
        m.DType == DType.Bool ? Torch.Zeros(m.Shape, dtype, m.Device).MaskedFill(m, double.NegativeInfinity) : m;

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"embed_dim={EmbedDim}, num_heads={NumHeads}, dropout={Dropout}, batch_first={BatchFirst}";
}
