using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Thorax.Training;

/// <summary>Atomic writes for run folders: write a temp file beside the target, then rename over it.</summary>
/// <remarks>A process killed while writing leaves its temp file (<c>.NAME.HEX.tmp</c>, hidden) and the previous target
/// intact; <see cref="IsTemporary"/> recognises such files and <see cref="DeleteStaleTemporaries"/> removes them (the
/// shared epoch loop does so when a run starts or resumes).</remarks>
public static partial class RunFiles
{
    /// <summary>
    /// True for a temp file name of <see cref="Write"/> (<c>.model.safetensors.1a2b3c4d.tmp</c>), of the imaging codecs'
    /// and <c>SafeTensors.Save</c>'s atomic writes (32 hex digits) or of older builds' <c>SafeTensors.Save</c>
    /// (<c>model.safetensors.tmp-</c> and 32 hex digits).
    /// </summary>
    public static bool IsTemporary(string fileName) => TemporaryName().IsMatch(Path.GetFileName(fileName));

    /// <summary>
    /// Deletes the temp files of interrupted atomic writes under <paramref name="directory"/> and its sub-folders
    /// (nothing when it does not exist). Only call it when no other process writes into the folder.
    /// </summary>
    /// <returns>The number of files deleted.</returns>
    public static int DeleteStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var n = 0;
        foreach (var f in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            if (!IsTemporary(f)) continue;
            try
            {
                File.Delete(f);
                n++;
            }
            catch (FileNotFoundException)
            {
            }
        }
        return n;
    }

    // .NAME.HEX.tmp (8 or 32 hex digits), and NAME.tmp-HEX32 of SafeTensors.Save before it took the same convention.
    [GeneratedRegex(@"^(?:\..+\.[0-9a-f]{8}(?:[0-9a-f]{24})?\.tmp|.+\.tmp-[0-9a-f]{32})$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));

    /// <summary>Writes <paramref name="node"/> to <paramref name="path"/> atomically as indented JSON with a final newline.</summary>
    public static void WriteJson(string path, JsonNode node) => WriteText(path, node.ToJsonString(Indented) + "\n");

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteBytes(string path, byte[] bytes) => Write(path, tmp => File.WriteAllBytes(tmp, bytes));

    /// <summary>Runs <paramref name="writer"/> on a temp path and renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> writer)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            writer(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
