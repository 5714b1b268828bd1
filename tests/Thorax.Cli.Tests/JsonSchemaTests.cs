using System.Text.Json.Nodes;
using Thorax.Cli.Bench;
using Thorax.Cli.Commands;

namespace Thorax.Cli.Tests;

/// <summary>One convention for every <c>--json</c> output (snake_case keys, <c>version</c>, a JSON Schema per verb under
/// docs/schemas). The outputs themselves are checked where the verbs run in the other test classes (CliSchemas.AssertValid);
/// here: every verb with --json has a schema, every schema is well-formed and used, and the formatter's rules.</summary>
public class JsonSchemaTests
{
    [Fact]
    public void EveryVerbWithJson_HasASchema()
    {
        var verbs = CliSchemas.JsonVerbs();
        Assert.NotEmpty(verbs);
        var missing = verbs.Select(CliSchemas.NameFor).Distinct()
            .Where(n => !File.Exists(Path.Combine(CliSchemas.Directory, n + ".schema.json"))).ToList();
        Assert.True(missing.Count == 0, "verbs with --json but no docs/schemas/NAME.schema.json: " + string.Join(", ", missing));
    }

    [Fact]
    public void EverySchema_IsUsedByAVerb_Parses_AndRequiresVersionOne()
    {
        var used = CliSchemas.JsonVerbs().Select(CliSchemas.NameFor).ToHashSet();
        foreach (var file in Directory.GetFiles(CliSchemas.Directory, "*.schema.json"))
        {
            var name = Path.GetFileName(file)[..^".schema.json".Length];
            Assert.True(used.Contains(name), $"{file}: no verb prints this schema's JSON");
            var node = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)node["$schema"]);
            Assert.Contains("version", node["required"]!.AsArray().Select(v => (string?)v));
            Assert.Equal(1, (int)node["properties"]!["version"]!["const"]!);
            CliSchemas.Load(name);
        }
    }

    [Fact]
    public void Schemas_RejectCamelCaseKeys_AndAMissingVersion()
    {
        CliSchemas.AssertValid("info", CliJson.Format(new Dictionary<string, object>
            { ["libtorch"] = "2", ["torchsharp"] = "0", ["threads"] = 1, ["cores"] = 1, ["cuda_devices"] = 0, ["dotnet"] = "10" }));
        Assert.ThrowsAny<Exception>(() => CliSchemas.AssertValid("info",
            """{"version":1,"libtorch":"2","torchsharp":"0","threads":1,"cores":1,"cudaDevices":0,"cuda_devices":0,"dotnet":"10"}"""));
        Assert.ThrowsAny<Exception>(() => CliSchemas.AssertValid("info",
            """{"libtorch":"2","torchsharp":"0","threads":1,"cores":1,"cuda_devices":0,"dotnet":"10"}"""));
    }

    [Fact]
    public void Format_PutsVersionFirst_SnakeCasesProperties_KeepsIoUOneWord_AndKeepsDictionaryKeys()
    {
        var json = CliJson.Format(new { MeanIoU = 0.5, SampleCount = 3, ByGroup = new Dictionary<string, int> { ["CHNCXR_0001_0"] = 1 }, version = 7 });
        var o = JsonNode.Parse(json)!.AsObject();
        Assert.Equal("version", o.First().Key);
        Assert.Equal(1, (int)o["version"]!);
        Assert.Equal(0.5, (double)o["mean_iou"]!);
        Assert.Equal(3, (int)o["sample_count"]!);
        Assert.Equal(1, (int)o["by_group"]!["CHNCXR_0001_0"]!);
        Assert.Throws<InvalidOperationException>(() => CliJson.Format(new[] { 1, 2 }));
    }

    [Fact]
    public void Fuzz_Json_MatchesItsSchema()
    {
        var (code, output, err) = CliRunner.Run("fuzz", "--format", "png", "--cases", "20", "--seed", "1", "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("fuzz", output);
    }

    [Fact]
    public void BenchRows_MatchTheBenchSchema()
    {
        var rows = new List<BenchResult>
        {
            new("conv 3x3 (fwd)", 1.25, 1.5, "ms"),
            new("resize 1024->512", 0.05, null, "ms"),
        };
        var o = new StringWriter();
        var prev = Console.Out;
        Console.SetOut(o);
        try { BenchCommand.Print(rows, json: true, "engine"); }
        finally { Console.SetOut(prev); }
        CliSchemas.AssertValid("bench", o.ToString());
        Assert.Contains("\"pytorch\": null", o.ToString());
    }
}
