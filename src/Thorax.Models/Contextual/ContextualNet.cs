using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Models.Contextual;

/// <summary>Settings of a <see cref="ContextualNet"/>.</summary>
public sealed record ContextualNetOptions
{
    /// <summary>Input channels; the reference feeds the grey image replicated to 3 (default 3).</summary>
    public long InChannels { get; init; } = 3;

    /// <summary>Output channels (1: pneumothorax logits).</summary>
    public long Classes { get; init; } = 1;

    /// <summary>Channels per level, top to bottom, five levels; the reference's 64, 128, 256, 512, 1024.</summary>
    public long[] Widths { get; init; } = [64, 128, 256, 512, 1024];

    /// <summary>Width of the text encoder's token embeddings (T5-Large 1024, MiniLM 384).</summary>
    public long TextDim { get; init; } = 1024;

    /// <summary>False gives the reference's plain U-Net baseline (<c>Unet_Baseline</c>: same keys, no language modules).</summary>
    public bool Language { get; init; } = true;

    /// <summary>
    /// True (the reference): the attention ignores the text mask and attends to padding tokens too. False: padding
    /// positions are masked out of every gate's softmax.
    /// </summary>
    public bool AttendToPadding { get; init; } = true;

    /// <summary>
    /// Keep the reference's unused bottleneck gate <c>lang_attn</c> (<c>LangCrossAtt(1024)</c>, never called) so its
    /// checkpoints load strictly (default true; its width is the bottleneck's).
    /// </summary>
    public bool UnusedBottleneckGate { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (Widths is null || Widths.Length != 5) throw new ArgumentException($"ContextualNet needs five widths (4 decoder levels), got {Widths?.Length ?? 0}");
        if (Widths.Any(w => w < 1) || InChannels < 1 || Classes < 1) throw new ArgumentException("channel counts must be positive");
        for (var i = 1; i < 5; i++)
            if (Widths[i] != 2 * Widths[i - 1]) throw new ArgumentException($"widths must double per level (ConvTranspose C -> C/2 feeds a skip of C/2), got {string.Join(",", Widths)}");
        if (Language && TextDim < 1) throw new ArgumentException($"text dimension must be positive, got {TextDim}");
    }
}

/// <summary>
/// ConTEXTual Net (Huemann et al. 2023; zhuemann/ConTEXTualSegmentation <c>ConTEXTual_model</c>): a U-Net
/// (<see cref="DoubleConv"/> without conv bias, max-pool down, ConvTranspose 2x2 up, skip-first concatenation with the
/// decoder padded to the skip) whose four decoder levels are gated by the report through
/// <see cref="LanguageCrossAttention"/>, after the up-sampling and before the concatenation. With
/// <see cref="ContextualNetOptions.Language"/> off it is the paper's plain U-Net (<c>Unet_Baseline</c>).
/// </summary>
/// <remarks>
/// <para>Inputs: image (B, InChannels, H, W) float32 (the reference: 0-255, no normalisation); report token
/// embeddings (B, T, TextDim) of a frozen encoder and their mask (B, T). Output: (B, Classes, H, W) logits.</para>
/// <para>Keys equal the reference's: <c>inc.double_conv.*</c>, <c>down{1-4}.maxpool_conv.1.double_conv.*</c>,
/// <c>up{1-4}.up.*</c>, <c>up_conv{1-4}.double_conv.*</c>, <c>outc.conv.*</c>, <c>lang_proj{1-4}.*</c>,
/// <c>lang_attn{1-4}.multihead_attn.*</c> and the unused <c>lang_attn.multihead_attn.*</c>. The reference's
/// checkpoints also hold its text encoder under <c>lang_encoder.*</c>: load those into the text encoder, the rest here
/// (<see cref="SplitReferenceStateDict"/>).</para>
/// </remarks>
public sealed class ContextualNet : nn.Module<Tensor, Tensor>
{
    private readonly DoubleConv _inc;
    private readonly Sequential[] _downs = new Sequential[4];
    private readonly UpSample[] _ups = new UpSample[4];
    private readonly DoubleConv[] _upConvs = new DoubleConv[4];
    private readonly Linear[] _projections = new Linear[4];
    private readonly LanguageCrossAttention[] _gates = new LanguageCrossAttention[4];
    private readonly OutConvolution _out;

    /// <summary>Builds the network (PyTorch's default initialisation).</summary>
    public ContextualNet(ContextualNetOptions? options = null) : base(nameof(ContextualNet))
    {
        Options = options ?? new ContextualNetOptions();
        Options.Validate();
        var w = Options.Widths;
        _inc = new DoubleConv(Options.InChannels, w[0]);
        register_module("inc", _inc);
        for (var i = 0; i < 4; i++)
        {
            _downs[i] = nn.Sequential(("0", nn.MaxPool2d(2)), ("1", new DoubleConv(w[i], w[i + 1])));
            register_module($"down{i + 1}", new Named("maxpool_conv", _downs[i]));
        }
        for (var k = 0; k < 4; k++)
        {
            var cin = w[4 - k];
            _ups[k] = new UpSample(cin);
            register_module($"up{k + 1}", _ups[k]);
            if (k == 0 && Options.Language && Options.UnusedBottleneckGate)
                register_module("lang_attn", new LanguageCrossAttention(w[4]));
            _upConvs[k] = new DoubleConv(cin, cin / 2);
            register_module($"up_conv{k + 1}", _upConvs[k]);
        }
        _out = new OutConvolution(w[0], Options.Classes);
        register_module("outc", _out);
        if (Options.Language)
        {
            for (var k = 0; k < 4; k++)
            {
                var c = w[3 - k];
                _projections[k] = nn.Linear(Options.TextDim, c);
                _gates[k] = new LanguageCrossAttention(c);
                register_module($"lang_proj{k + 1}", _projections[k]);
                register_module($"lang_attn{k + 1}", _gates[k]);
            }
        }
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>The settings.</summary>
    public ContextualNetOptions Options { get; }

    /// <summary>Whether the decoder is gated by the report.</summary>
    public bool UsesLanguage => Options.Language;

    /// <summary>Image-only forward: the U-Net baseline (throws for a language model, which needs the report).</summary>
    public override Tensor forward(Tensor image) => UsesLanguage
        ? throw new InvalidOperationException("ContextualNet with language gates needs the report embeddings: call Forward(image, text, mask)")
        : Forward(image, null, null);

    /// <summary>Segments a batch guided by its reports.</summary>
    /// <param name="image">(B, InChannels, H, W) float32.</param>
    /// <param name="text">(B, T, TextDim) token embeddings; ignored (may be null) for the baseline.</param>
    /// <param name="textMask">(B, T) 1 = token, 0 = padding; used only when <see cref="ContextualNetOptions.AttendToPadding"/> is false.</param>
    /// <param name="attention">When not null, receives the attention weights of the four gates, coarsest first, each (B, H_l*W_l, T).</param>
    /// <returns>(B, Classes, H, W) logits.</returns>
    public Tensor Forward(Tensor image, Tensor? text, Tensor? textMask, IList<Tensor>? attention = null)
    {
        if (image.dim() != 4 || image.shape[1] != Options.InChannels)
            throw new ArgumentException($"ContextualNet: image must be (B, {Options.InChannels}, H, W), got [{string.Join(", ", image.shape)}]", nameof(image));
        if (UsesLanguage)
        {
            if (text is null) throw new ArgumentException("ContextualNet: the report embeddings are required", nameof(text));
            if (text.dim() != 3 || text.shape[0] != image.shape[0] || text.shape[2] != Options.TextDim)
                throw new ArgumentException($"ContextualNet: text must be ({image.shape[0]}, T, {Options.TextDim}) (the encoder's width), got [{string.Join(", ", text.shape)}]", nameof(text));
            if (!Options.AttendToPadding && textMask is null)
                throw new ArgumentException("ContextualNet: padding is masked (AttendToPadding = false) but no text mask was given", nameof(textMask));
        }
        using var scope = NewDisposeScope();
        var x1 = _inc.call(image);
        var skips = new List<Tensor> { x1 };
        foreach (var d in _downs) skips.Add(d.call(skips[^1]));
        var x = skips[4];
        var mask = UsesLanguage && !Options.AttendToPadding ? textMask : null;
        for (var k = 0; k < 4; k++)
        {
            var up = _ups[k].call(x);
            if (UsesLanguage)
            {
                var lang = _projections[k].call(text!);
                up = _gates[k].Forward(up, lang, mask, attention is null ? null : a => attention.Add(a));
            }
            x = _upConvs[k].call(Concatenate(up, skips[3 - k]));
        }
        var logits = _out.call(x);
        if (attention is not null) foreach (var a in attention) a.MoveToOuterDisposeScope();
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The reference's <c>concatenate_layers</c>: pad the decoder tensor to the skip's size, then cat([skip, dec]).</summary>
    public static Tensor Concatenate(Tensor decoder, Tensor skip)
    {
        var dy = skip.shape[2] - decoder.shape[2];
        var dx = skip.shape[3] - decoder.shape[3];
        var d = dy != 0 || dx != 0 ? F.pad(decoder, new[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 }) : decoder;
        return torch.cat(new[] { skip, d }, 1);
    }

    /// <summary>
    /// Splits a state dict of the reference's whole model into the segmentation part (loaded into this module) and the
    /// text encoder's part (keys under <c>lang_encoder.</c>, the prefix removed).
    /// </summary>
    public static (Dictionary<string, Tensor> Network, Dictionary<string, Tensor> TextEncoder) SplitReferenceStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var net = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var text = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in stateDict)
        {
            var key = k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k;
            if (key.StartsWith("lang_encoder.", StringComparison.Ordinal)) text[key["lang_encoder.".Length..]] = v;
            else net[key] = v;
        }
        return (net, text);
    }

    /// <summary>Sets training or evaluation mode.</summary>
    public override void train(bool on = true)
    {
        FusedTraining.ThrowIfFused(this, on);
        base.train(on);
    }

    /// <summary>Children are registered explicitly under their PyTorch names.</summary>
    protected override void RegisterComponents() { }

    /// <summary>A module holding one child under a given name (the reference's <c>Down.maxpool_conv</c>).</summary>
    private sealed class Named : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;

        public Named(string name, nn.Module<Tensor, Tensor> inner) : base("Down")
        {
            _inner = inner;
            register_module(name, inner);
        }

        public override Tensor forward(Tensor input) => _inner.call(input);

        protected override void RegisterComponents() { }
    }

    /// <summary>The reference's <c>Up</c> (bilinear = False): ConvTranspose2d(C, C/2, 2, stride 2) under <c>up</c>.</summary>
    private sealed class UpSample : nn.Module<Tensor, Tensor>
    {
        private readonly ConvTranspose2d _up;

        public UpSample(long channels) : base("Up")
        {
            _up = nn.ConvTranspose2d(channels, channels / 2, 2, stride: 2);
            register_module("up", _up);
        }

        public override Tensor forward(Tensor input) => _up.call(input);

        protected override void RegisterComponents() { }
    }

    /// <summary>The 1x1 logits convolution under <c>conv</c>.</summary>
    private sealed class OutConvolution : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d _conv;

        public OutConvolution(long inChannels, long classes) : base("OutConv")
        {
            _conv = nn.Conv2d(inChannels, classes, 1);
            register_module("conv", _conv);
        }

        public override Tensor forward(Tensor input) => _conv.call(input);

        protected override void RegisterComponents() { }
    }
}
