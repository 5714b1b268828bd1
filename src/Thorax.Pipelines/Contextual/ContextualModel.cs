using Thorax.Training;
using System.Text.Json.Nodes;
using Thorax.Data;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.Contextual;
using Thorax.Models.Weights;
using Thorax.Text;
using Thorax.Models.Runtime;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Contextual;

/// <summary>Attention of the four decoder gates over one report's tokens.</summary>
/// <param name="Tokens">The tokens (special tokens included; padding dropped).</param>
/// <param name="Levels">Per gate, coarsest first: the attention weight of each token averaged over the level's pixels.</param>
public sealed record TokenAttention(IReadOnlyList<string> Tokens, IReadOnlyList<double[]> Levels);

/// <summary>A trained ConTEXTual run loaded for prediction: the network, its settings and (for a language model) its text encoder.</summary>
public sealed class ContextualModel : IDisposable
{
    /// <summary>Weights file in a run folder.</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>Settings file in a run folder.</summary>
    public const string ConfigFile = "config.json";

    private readonly bool _ownsText;

    private ContextualModel(ContextualNet net, ContextualText? text, int size, string source, bool ownsText)
    {
        Net = net;
        Text = text;
        Size = size;
        Source = source;
        _ownsText = ownsText;
    }

    /// <summary>The network (eval mode).</summary>
    public ContextualNet Net { get; }
    /// <summary>The report encoder, or null for the U-Net baseline.</summary>
    public ContextualText? Text { get; }
    /// <summary>Input size in pixels.</summary>
    public int Size { get; }
    /// <summary>The run folder.</summary>
    public string Source { get; }

    /// <summary>The run's <c>config.json</c>.</summary>
    public static JsonObject Config(ContextualOptions o, ContextualNetOptions net, ContextualText? text) => new()
    {
        ["version"] = 1,
        ["method"] = "contextual",
        ["model"] = o.Language ? "contextual" : "unet",
        ["size"] = o.Size,
        ["in_channels"] = net.InChannels,
        ["input_scale"] = 255,
        ["widths"] = new JsonArray(net.Widths.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
        ["text_dim"] = net.TextDim,
        ["text_encoder"] = text?.Encoder.Name,
        ["max_tokens"] = o.MaxTokens,
        ["attend_to_padding"] = net.AttendToPadding,
        ["pad_length"] = text?.PadLength ?? 0,
        ["empty_reports"] = o.EmptyReports,
        ["flip"] = o.Flip.ToString(),
        ["image_augmentation"] = o.ImageAugmentation,
        ["shuffle_sentences"] = o.ShuffleSentences,
        ["synonym_probability"] = o.SynonymProbability,
        ["synonyms_last_only"] = o.SynonymLastReplacementOnly,
        ["encoder_dropout"] = o.EncoderDropout,
        ["seed"] = o.Seed,
        ["lr"] = o.LearningRate,
        ["weight_decay"] = o.WeightDecay,
        ["batch"] = o.BatchSize,
        ["loss"] = "bce-with-logits",
        ["optimizer"] = "adamw",
        ["selection"] = "val_dice (max; a tie keeps the later epoch, as the reference's >=)",
    };

    /// <summary>
    /// Loads a run folder. <paramref name="textEncoder"/>: null for the default MiniLM, else a Hugging Face folder; it must
    /// be the encoder the run was trained with (its width is checked).
    /// </summary>
    /// <exception cref="DataFormatException">A missing or malformed file, or an encoder of another width (both named).</exception>
    /// <remarks>The weights are read on the CPU; the network and the text encoder are then moved to
    /// <paramref name="device"/> (default CPU).</remarks>
    public static ContextualModel Load(string runDir, string? textEncoder = null, Device? device = null) =>
        Load(runDir, maxTokens => textEncoder is null ? TextEncoders.LoadDefault(maxTokens) : TextEncoders.Load(textEncoder, maxTokens), null, device);

    /// <summary>
    /// Loads a run folder with an encoder already open (the one the run was trained with, e.g. by
    /// <see cref="ContextualAblation"/>); <paramref name="text"/> is not disposed with the model, and its
    /// <see cref="ContextualText.PadLength"/> is set to the run's.
    /// </summary>
    /// <exception cref="DataFormatException">A missing or malformed file, or an encoder of another width (both named).</exception>
    /// <remarks>The network is moved to <paramref name="device"/> (default CPU); the shared encoder stays where it is.</remarks>
    public static ContextualModel Load(string runDir, ContextualText text, Device? device = null) => Load(runDir, null, text, device);

    private static ContextualModel Load(string runDir, Func<int, TextEncoder>? openEncoder, ContextualText? shared, Device? device)
    {
        var configPath = Path.Combine(runDir, ConfigFile);
        var weights = Path.Combine(runDir, WeightsFile);
        if (!File.Exists(configPath)) throw new DataFormatException("not a contextual run folder (no config.json)", configPath);
        if (!File.Exists(weights)) throw new DataFormatException("the run has no weights yet (training unfinished?)", weights);
        var c = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new DataFormatException("not a JSON object", configPath);
        if (c["method"]?.GetValue<string>() != "contextual") throw new DataFormatException("field 'method' is not 'contextual'", configPath);
        T Get<T>(string k) => c[k] is { } n ? n.GetValue<T>() : throw new DataFormatException($"field '{k}' is missing", configPath);
        var language = Get<string>("model") == "contextual";
        var size = Get<int>("size");
        var netOptions = new ContextualNetOptions
        {
            InChannels = Get<long>("in_channels"),
            Widths = (c["widths"] as JsonArray ?? throw new DataFormatException("field 'widths' is missing", configPath)).Select(n => n!.GetValue<long>()).ToArray(),
            TextDim = Get<long>("text_dim"),
            Language = language,
            AttendToPadding = Get<bool>("attend_to_padding"),
        };
        ContextualText? text = null;
        if (language)
        {
            var maxTokens = Get<int>("max_tokens");
            var encoder = shared?.Encoder ?? openEncoder!(maxTokens);
            if (encoder.HiddenSize != netOptions.TextDim)
            {
                var name = encoder.Name;
                var width = encoder.HiddenSize;
                if (shared is null) encoder.Dispose();
                throw new DataFormatException($"the run was trained on text embeddings of width {netOptions.TextDim} ({c["text_encoder"]}), but the encoder '{name}' gives {width}: pass the run's encoder with --text-encoder", configPath);
            }
            text = shared ?? new ContextualText(encoder, device);
            text.PadLength = c["pad_length"]?.GetValue<int>() ?? 0;
        }
        var net = new ContextualNet(netOptions);
        try
        {
            StateDicts.LoadFile(net, weights);
        }
        catch
        {
            net.Dispose();
            if (shared is null) text?.Dispose();
            throw;
        }
        net.eval();
        net.MoveTo(device);
        return new ContextualModel(net, text, size, Path.GetFullPath(runDir), ownsText: shared is null);
    }

    /// <summary>Logits (S*S) and the gates' attention over the report's tokens for one [0, 1] image of the model's size.</summary>
    public (float[] Logits, TokenAttention? Attention) Predict(float[] image, string report)
    {
        using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var device = Devices.DeviceOf(Net);
        var x = ContextualTrainer.Input([image], Size).MoveTo(device);
        Tensor? h = null, m = null;
        if (Net.UsesLanguage) (h, m) = Text!.Batch([report]);
        var attention = new List<Tensor>();
        var y = Net.Forward(x, h?.MoveTo(device), m?.MoveTo(device), Net.UsesLanguage ? attention : null).reshape(Size * Size).contiguous();
        var logits = y.OnCpu().data<float>().ToArray();
        if (!Net.UsesLanguage) return (logits, null);
        var tokens = Text!.Tokens(report);
        var levels = attention.Select(a =>
        {
            var mean = a[0].mean(new long[] { 0 }).contiguous();
            return mean.OnCpu().data<float>().ToArray().Take(tokens.Count).Select(v => (double)v).ToArray();
        }).ToList();
        return (logits, new TokenAttention(tokens, levels));
    }

    /// <summary>Frees the network and the encoder.</summary>
    public void Dispose()
    {
        Net.Dispose();
        if (_ownsText) Text?.Dispose();
    }
}
