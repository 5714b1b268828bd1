namespace Thorax.Pipelines.Lungs;

/// <summary>
/// The builder's output files: written to a hidden temporary sibling and renamed into place, so a file that exists
/// under its final name is complete; a run killed mid-write leaves at most a <c>.NAME.*.tmp</c> file, which readers
/// and the merge ignore and the next write to that name replaces.
/// </summary>
public static class CxlSegOutputFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically (temporary file + rename; folders are created).</summary>
    /// <exception cref="IOException">The file cannot be written (the temporary file is removed).</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var dir = Path.GetDirectoryName(path) ?? ".";
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096))
                fs.Write(bytes);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> is a complete JPEG: it exists, is at least 4 bytes long and ends with the EOI
    /// marker FF D9. Besides the rename guarantee this also rejects a file truncated by a crash of the machine before
    /// the data reached the disk (the builder does not fsync each image, for speed).
    /// </summary>
    public static bool IsCompleteJpeg(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            if (fs.Length < 4) return false;
            Span<byte> head = stackalloc byte[2];
            if (fs.Read(head) != 2 || head[0] != 0xFF || head[1] != 0xD8) return false;
            fs.Seek(-2, SeekOrigin.End);
            Span<byte> tail = stackalloc byte[2];
            return fs.Read(tail) == 2 && tail[0] == 0xFF && tail[1] == 0xD9;
        }
        catch (FileNotFoundException) { return false; }
        catch (DirectoryNotFoundException) { return false; }
    }
}
