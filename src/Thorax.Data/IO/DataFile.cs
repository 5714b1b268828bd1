using System.IO.Compression;
using System.Text;

namespace Thorax.Data.IO;

/// <summary>File helpers shared by the readers and writers: transparent gzip input and atomic output.</summary>
public static class DataFile
{
    /// <summary>
    /// Opens a text file for reading. Gzip input (detected by its magic bytes 1F 8B, whatever the extension)
    /// is decompressed on the fly. A UTF-8 byte-order mark is removed.
    /// </summary>
    /// <param name="path">Path of a plain or gzip-compressed text file.</param>
    /// <returns>A reader owned by the caller.</returns>
    public static TextReader OpenText(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int n = stream.Read(magic);
            stream.Position = 0;
            Stream input = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B
                ? new GZipStream(stream, CompressionMode.Decompress)
                : stream;
            return new StreamReader(input, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, 1 << 16);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole (possibly gzip-compressed) text file; a BOM is removed.</summary>
    public static string ReadAllText(string path)
    {
        using var reader = OpenText(path);
        string text = reader.ReadToEnd();
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    /// <summary>
    /// Writes a file atomically: the content goes to a temporary file in the same folder, which then replaces
    /// <paramref name="path"/> by rename. A reader never sees a half-written file; on failure the temporary file
    /// is deleted and the original (if any) is left untouched. Output ending in <c>.gz</c> is gzip-compressed.
    /// </summary>
    /// <param name="path">Destination path.</param>
    /// <param name="write">Writes the content (UTF-8, no BOM, '\n' line ends are the caller's choice).</param>
    public static void WriteAtomic(string path, Action<TextWriter> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Stream output = full.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                    ? new GZipStream(fs, CompressionLevel.Optimal, leaveOpen: true)
                    : fs;
                using (var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                {
                    writer.NewLine = "\n";
                    write(writer);
                }
                if (!ReferenceEquals(output, fs)) output.Dispose();
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
