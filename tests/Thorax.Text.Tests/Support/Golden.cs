using System.Text.Json;

namespace Thorax.Text.Tests.Support;

/// <summary>Locates the golden files under tests/data/golden/text (made by the scripts under tools/golden/text).</summary>
internal static class Golden
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "golden", "text");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException("tests/data/golden/text not found above " + AppContext.BaseDirectory);
    });

    public static string File(string name) => Path.Combine(Root.Value, name);

    public static JsonElement Json(string name) => JsonDocument.Parse(System.IO.File.ReadAllText(File(name))).RootElement;

    /// <summary>Texts and ids of a tokenizer golden.</summary>
    public static IEnumerable<(string Text, int[] Ids)> Cases(string name) =>
        Json(name).GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()))
            .ToList();
}
