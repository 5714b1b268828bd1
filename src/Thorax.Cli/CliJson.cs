using System.Text.Json;
using System.Text.Json.Nodes;

namespace Thorax.Cli;

/// <summary>
/// The one convention of every <c>--json</c> output: a single JSON object (or, for verbs that stream one result per
/// input, one object per line), snake_case keys, and <c>"version"</c> first. A key's meaning never changes within a
/// version; a change of shape increments it. Each verb's shape is described by a JSON Schema under
/// <c>docs/schemas/</c>, checked by the tests against real outputs.
/// </summary>
public static class CliJson
{
    /// <summary>The current version of every verb's JSON output.</summary>
    public const int Version = 1;

    /// <summary>snake_case property names (with "IoU" as one word: <c>mean_iou</c>), enums as snake_case strings,
    /// NaN/Infinity as strings, indented.</summary>
    public static JsonSerializerOptions Options => Thorax.Metrics.ThoraxJson.Options;

    /// <summary>The payload (an object) as the verb's JSON document: <c>version</c> first, then its properties.</summary>
    public static string Format(object payload, bool indented = true) =>
        Format(JsonSerializer.SerializeToNode(payload, payload.GetType(), Options), indented);

    /// <summary>A JSON object written by a library (e.g. a report's <c>ToJson()</c>) as the verb's document.</summary>
    public static string FormatJson(string json, bool indented = true) => Format(JsonNode.Parse(json), indented);

    /// <summary>Prints <see cref="Format(object, bool)"/>.</summary>
    public static void Print(object payload) => Console.WriteLine(Format(payload));

    /// <summary>Prints <see cref="FormatJson"/>.</summary>
    public static void PrintJson(string json) => Console.WriteLine(FormatJson(json));

    private static string Format(JsonNode? node, bool indented)
    {
        if (node is not JsonObject o) throw new InvalidOperationException("a --json document must be a JSON object");
        var doc = new JsonObject { ["version"] = Version };
        foreach (var key in o.Select(p => p.Key).ToList())
        {
            var value = o[key];
            o.Remove(key);
            if (key != "version") doc[key] = value;
        }
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
    }
}
