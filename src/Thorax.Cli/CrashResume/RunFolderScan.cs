using System.Text.Json.Nodes;
using System.Xml.Linq;
using Thorax.Imaging.Codecs;
using Thorax.Models.Weights;
using Thorax.Training;

namespace Thorax.Cli.CrashResume;

/// <summary>What one look at a run folder found: temp files of interrupted atomic writes (allowed while a run is
/// stopped; removed when it resumes), files that do not parse (partial files: never allowed) and files of a kind the
/// scan cannot check.</summary>
internal sealed record RunFolderScan(IReadOnlyList<string> Temporary, IReadOnlyList<string> Broken, IReadOnlyList<string> Unchecked, int Checked)
{
    /// <summary>
    /// Parses every file under <paramref name="dir"/> by its kind: <c>*.ckpt.safetensors</c> as a training checkpoint,
    /// other <c>*.safetensors</c> as weights, JSON, SVG (XML), PNG, HTML (closing tag), CSV and Markdown (a final newline).
    /// Temp files (<see cref="RunFiles.IsTemporary"/>) are listed, not parsed.
    /// </summary>
    public static RunFolderScan Of(string dir)
    {
        var temporary = new List<string>();
        var broken = new List<string>();
        var unchecked_ = new List<string>();
        var n = 0;
        if (!Directory.Exists(dir)) return new RunFolderScan(temporary, broken, unchecked_, 0);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(dir, f);
            if (RunFiles.IsTemporary(f))
            {
                temporary.Add(rel);
                continue;
            }
            string? problem;
            try
            {
                problem = Check(f);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problem = $"{e.GetType().Name}: {e.Message}";
            }
            if (problem == Skip) unchecked_.Add(rel);
            else if (problem is not null) broken.Add($"{rel} ({problem})");
            else n++;
        }
        return new RunFolderScan(temporary, broken, unchecked_, n);
    }

    private const string Skip = "<unchecked>";

    private static string? Check(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(CheckpointDirectory.Extension, StringComparison.Ordinal))
        {
            TrainingCheckpoint.Load(path).Dispose();
            return null;
        }
        switch (Path.GetExtension(name))
        {
            case ".safetensors":
                SafeTensors.Load(path).DisposeAll();
                return null;
            case ".json":
                return JsonNode.Parse(File.ReadAllText(path)) is null ? "JSON null" : null;
            case ".svg":
                XDocument.Load(path);
                return null;
            case ".png":
                Png.Read(path);
                return null;
            case ".html":
                return File.ReadAllText(path).TrimEnd().EndsWith("</html>", StringComparison.OrdinalIgnoreCase) ? null : "no closing </html>";
            case ".csv" or ".md" or ".txt":
                var text = File.ReadAllText(path);
                return text.Length > 0 && text.EndsWith('\n') ? null : "empty or no final newline (truncated?)";
            default:
                return Skip;
        }
    }
}
