using System.Globalization;
using System.Text.RegularExpressions;

namespace Thorax.Training;

/// <summary>
/// A folder of per-epoch training checkpoints named <c>epoch-0007.ckpt.safetensors</c>: saves one per epoch
/// (atomically), optionally keeps only the newest few, and finds the latest one to resume from after a crash or kill.
/// </summary>
/// <remarks>
/// Only completed files are ever visible under their final names (writes go to a hidden temp file that is renamed),
/// so <see cref="LatestPath"/> never returns a half-written checkpoint; leftover temp files of a killed process
/// are ignored.
/// </remarks>
public sealed partial class CheckpointDirectory
{
    /// <summary>File name suffix of the checkpoints.</summary>
    public const string Extension = ".ckpt.safetensors";

    /// <summary>Creates the helper (the folder is created on the first save).</summary>
    /// <param name="path">The folder, e.g. <c>runs/ptx-001/checkpoints</c>.</param>
    /// <param name="keepLast">How many of the newest epoch files <see cref="Save"/> keeps; 0 keeps them all.</param>
    public CheckpointDirectory(string path, int keepLast = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(keepLast);
        Path = System.IO.Path.GetFullPath(path);
        KeepLast = keepLast;
    }

    /// <summary>The folder (absolute).</summary>
    public string Path { get; }

    /// <summary>Number of newest files kept by <see cref="Save"/> (0 = all).</summary>
    public int KeepLast { get; }

    /// <summary>The file name used for epoch <paramref name="epoch"/> (<c>epoch-0007.ckpt.safetensors</c>).</summary>
    public string FileFor(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return System.IO.Path.Combine(Path, "epoch-" + epoch.ToString("D4", CultureInfo.InvariantCulture) + Extension);
    }

    /// <summary>
    /// Writes <paramref name="checkpoint"/> to <see cref="FileFor"/>(<see cref="TrainingCheckpoint.Epoch"/>)
    /// atomically, then deletes the oldest epoch files beyond <see cref="KeepLast"/>.
    /// </summary>
    /// <returns>The path written.</returns>
    public string Save(TrainingCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var path = FileFor(checkpoint.Epoch);
        checkpoint.Save(path);
        if (KeepLast > 0)
        {
            var all = List();
            for (var i = 0; i < all.Count - KeepLast; i++) File.Delete(all[i].Path);
        }
        return path;
    }

    /// <summary>The epoch checkpoint files present, oldest epoch first.</summary>
    public IReadOnlyList<(int Epoch, string Path)> List()
    {
        if (!Directory.Exists(Path)) return Array.Empty<(int, string)>();
        var list = new List<(int, string)>();
        foreach (var f in Directory.EnumerateFiles(Path, "epoch-*" + Extension))
        {
            var m = FileName().Match(System.IO.Path.GetFileName(f));
            if (m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)) list.Add((epoch, f));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>The checkpoint of the highest epoch, or null when there is none.</summary>
    public string? LatestPath
    {
        get
        {
            var all = List();
            return all.Count == 0 ? null : all[^1].Path;
        }
    }

    /// <summary>Loads the checkpoint of the highest epoch, or returns null when the folder has none (a fresh run).</summary>
    /// <exception cref="TrainingCheckpointException">The latest file cannot be read.</exception>
    public TrainingCheckpoint? LoadLatest() => LatestPath is { } p ? TrainingCheckpoint.Load(p) : null;

    [GeneratedRegex(@"^epoch-(\d+)\.ckpt\.safetensors$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();
}
