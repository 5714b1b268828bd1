using System.CommandLine;
using System.Text.Json;
using Json.Schema;

namespace Thorax.Cli.Tests;

/// <summary>The JSON Schemas of the verbs' <c>--json</c> outputs (docs/schemas) and the check of an output against one.</summary>
internal static class CliSchemas
{
    /// <summary>Verbs that share a schema (every bench verb prints the same rows; classify train prints its test metrics
    /// as classify eval does); every other verb's schema is its command path joined by '-'.</summary>
    private static readonly Dictionary<string, string> Shared = new(StringComparer.Ordinal)
    {
        ["classify-train"] = "classify-eval",
        ["ptx-train-classifier"] = "classify-eval",
    };

    public static string Directory
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "docs", "schemas");
                if (System.IO.Directory.Exists(p) && File.Exists(Path.Combine(d.FullName, "Thorax.slnx"))) return p;
            }
            throw new DirectoryNotFoundException("docs/schemas not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The schema name for a command path such as ["lungs", "eval"].</summary>
    public static string NameFor(IReadOnlyList<string> path)
    {
        var name = string.Join('-', path);
        if (path.Count > 0 && path[0] == "bench") return "bench";
        return Shared.TryGetValue(name, out var s) ? s : name;
    }

    /// <summary>Every verb (command path) that has a <c>--json</c> option.</summary>
    public static List<string[]> JsonVerbs()
    {
        var list = new List<string[]>();
        void Walk(Command c, List<string> path)
        {
            if (c.Options.Any(o => o.Name == "--json")) list.Add([.. path]);
            foreach (var sub in c.Subcommands) Walk(sub, [.. path, sub.Name]);
        }
        Walk(Program.CreateRoot(), []);
        return list;
    }

    private static readonly Dictionary<string, JsonSchema> Loaded = new(StringComparer.Ordinal);

    /// <summary>The schema, built once per test run (the library's registry refuses a second build of the same $id).</summary>
    public static JsonSchema Load(string name)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var cached)) return cached;
            var path = Path.Combine(Directory, name + ".schema.json");
            Assert.True(File.Exists(path), $"no schema {path}");
            return Loaded[name] = JsonSchema.FromText(File.ReadAllText(path));
        }
    }

    /// <summary>Asserts that <paramref name="output"/> (the whole stdout of a --json run) is one JSON document, or with
    /// <paramref name="lines"/> one document per non-empty line, valid against the schema.</summary>
    public static void AssertValid(string name, string output, bool lines = false)
    {
        var schema = Load(name);
        var docs = lines
            ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [output];
        Assert.NotEmpty(docs);
        foreach (var text in docs)
        {
            using var doc = JsonDocument.Parse(text); // throws unless stdout is pure JSON
            var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{name}: output does not match docs/schemas/{name}.schema.json:\n"
                + string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                    .SelectMany(d => d.Errors!.Select(e => $"  {d.InstanceLocation}: {e.Key}: {e.Value}")))
                + "\n" + text[..Math.Min(text.Length, 2000)]);
        }
    }
}
