using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Thorax.Data.Datasets;

/// <summary>
/// A cache of decoded, resized grey images, keyed by the source file's full path, length and last-write time plus
/// a variant string (target size, presentation). Either in memory (bounded by bytes) or on disk (one file per
/// entry, written atomically: temporary sibling then rename). Thread-safe.
/// </summary>
/// <remarks>A changed source file (new length or mtime) gets a new key, so stale entries are never returned; old
/// disk entries are left behind (delete the folder to reclaim space).</remarks>
public sealed class ImageCache
{
    private const uint Magic = 0x43584854; // "THXC"
    private readonly ConcurrentDictionary<string, GreyImage>? _memory;
    private readonly long _maxBytes;
    private long _bytes;
    private long _hits, _misses;

    private ImageCache(string? folder, long maxBytes)
    {
        Folder = folder;
        _maxBytes = maxBytes;
        if (folder is null) _memory = new ConcurrentDictionary<string, GreyImage>(StringComparer.Ordinal);
        else Directory.CreateDirectory(folder);
    }

    /// <summary>An in-memory cache that stops admitting entries once <paramref name="maxBytes"/> of pixels are held.</summary>
    /// <param name="maxBytes">Budget in bytes (4 per pixel); default 2 GiB.</param>
    public static ImageCache InMemory(long maxBytes = 2L << 30)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return new ImageCache(null, maxBytes);
    }

    /// <summary>An on-disk cache in <paramref name="folder"/> (created if missing); files are <c>&lt;sha256&gt;.thxc</c>
    /// holding a 12-byte header (magic, width, height, little-endian) and float32 pixels in the machine's (little-endian) order.</summary>
    public static ImageCache OnDisk(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return new ImageCache(Path.GetFullPath(folder), long.MaxValue);
    }

    /// <summary>The disk folder, or null for an in-memory cache.</summary>
    public string? Folder { get; }

    /// <summary>Lookups answered from the cache so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that had to decode so far.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Cache key for a source file and variant: full path | length | mtime ticks (UTC) | variant.</summary>
    /// <exception cref="FileNotFoundException">The source file does not exist.</exception>
    public static string KeyOf(string path, string variant)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"image file not found: {path}", path);
        return string.Join("|", info.FullName, info.Length.ToString(CultureInfo.InvariantCulture),
            info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), variant);
    }

    /// <summary>Returns the cached image for (<paramref name="path"/>, <paramref name="variant"/>) or decodes it with
    /// <paramref name="load"/> and stores it. The returned pixels must not be modified.</summary>
    public GreyImage GetOrAdd(string path, string variant, Func<GreyImage> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        string key = KeyOf(path, variant);
        if (_memory is not null)
        {
            if (_memory.TryGetValue(key, out var hit)) { Interlocked.Increment(ref _hits); return hit; }
            Interlocked.Increment(ref _misses);
            var img = load();
            long size = (long)img.Pixels.Length * sizeof(float);
            if (Interlocked.Add(ref _bytes, size) <= _maxBytes) { if (!_memory.TryAdd(key, img)) Interlocked.Add(ref _bytes, -size); }
            else Interlocked.Add(ref _bytes, -size);
            return img;
        }
        string file = Path.Combine(Folder!, Hash(key) + ".thxc");
        if (TryRead(file) is { } cached) { Interlocked.Increment(ref _hits); return cached; }
        Interlocked.Increment(ref _misses);
        var loaded = load();
        Write(file, loaded);
        return loaded;
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static GreyImage? TryRead(string file)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        if (bytes.Length < 12 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic) return null;
        int w = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)), h = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (w < 1 || h < 1 || bytes.Length != 12 + (long)w * h * sizeof(float)) return null; // torn or foreign file: decode again
        var px = new float[w * h];
        bytes.AsSpan(12).CopyTo(MemoryMarshal.AsBytes(px.AsSpan()));
        return new GreyImage(w, h, px);
    }

    private static void Write(string file, GreyImage img)
    {
        string tmp = $"{file}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> header = stackalloc byte[12];
                BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
                BinaryPrimitives.WriteInt32LittleEndian(header[4..], img.Width);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], img.Height);
                fs.Write(header);
                fs.Write(MemoryMarshal.AsBytes(img.Pixels.AsSpan()));
            }
            File.Move(tmp, file, overwrite: true);
        }
        catch (IOException)
        {
            // A concurrent writer of the same entry, or a full disk: the cache is an optimisation, keep going.
            TryDelete(tmp);
        }
        catch (UnauthorizedAccessException)
        {
            TryDelete(tmp);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
