using System.Text.Json.Nodes;

namespace Thorax.Training;

/// <summary>
/// A run folder's <c>config.json</c>: the settings a trained model is read back with, written atomically (indented,
/// newline-terminated), either after training (<see cref="Write"/>) or once before it, refusing a folder that holds a run
/// of other settings (<see cref="WriteOrCheck"/>).
/// </summary>
public static class RunConfig
{
    /// <summary>The file name in the run folder.</summary>
    public const string FileName = "config.json";

    /// <summary>The config file of <paramref name="runDir"/>.</summary>
    public static string PathOf(string runDir) => Path.Combine(runDir, FileName);

    /// <summary>Writes <paramref name="config"/> to <c>RUN/config.json</c> atomically (the folder is created when absent).</summary>
    public static void Write(string runDir, JsonObject config) => RunFiles.WriteJson(PathOf(runDir), config);

    /// <summary>
    /// When <c>RUN/config.json</c> exists, parses it and hands it with its path to <paramref name="check"/>, which throws
    /// (<see cref="InvalidDataException"/> naming the file and the setting) when the folder holds a run of other settings;
    /// the file is left as it is. Otherwise writes <paramref name="create"/>'s config atomically.
    /// </summary>
    /// <exception cref="InvalidDataException">The existing file is not JSON (named), or <paramref name="check"/> refused it.</exception>
    public static void WriteOrCheck(string runDir, Func<JsonObject> create, Action<JsonNode?, string> check)
    {
        var path = PathOf(runDir);
        if (File.Exists(path))
        {
            JsonNode? existing;
            try
            {
                existing = JsonNode.Parse(File.ReadAllText(path));
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
            }
            check(existing, path);
            return;
        }
        Write(runDir, create());
    }
}
