using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Weights;

/// <summary>
/// Reads files written by <c>torch.save</c> (the zip format, default since PyTorch 1.6) without Python: the zip
/// container's <c>&lt;prefix&gt;/data.pkl</c> is run by a restricted unpickler and tensors are rebuilt from
/// <c>&lt;prefix&gt;/data/&lt;key&gt;</c> storages (views become dense copies). Only plain data is accepted: dicts,
/// OrderedDicts, lists, tuples, numbers, strings, bools, None, tensors and parameters; any other class is refused
/// with a <see cref="WeightFileException"/> naming it, and no code from the file runs.
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>Reads a checkpoint as a tree (e.g. <c>{"model": state_dict, "optimizer": ..., "epoch": 3}</c>).</summary>
    /// <returns>The root node; the caller owns it and disposes it to free the tensors.</returns>
    /// <exception cref="WeightFileException">
    /// Not a zip checkpoint (legacy format: re-save with <c>_use_new_zipfile_serialization=True</c>), a missing or
    /// short storage, an unsupported class or opcode.
    /// </exception>
    public static CheckpointValue Load(string path)
    {
        byte[] head = new byte[4];
        int got;
        try
        {
            using var fs = File.OpenRead(path);
            got = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, "cannot read the file: " + e.Message, inner: e);
        }
        if (got < 4 || head[0] != (byte)'P' || head[1] != (byte)'K')
        {
            if (got >= 2 && head[0] == 0x80)
                throw new WeightFileException(path, "this is a legacy (pre-1.6, non-zip) torch.save file, which is not supported; " +
                                                    "re-save it in Python with torch.save(obj, path, _use_new_zipfile_serialization=True)");
            throw new WeightFileException(path, "not a PyTorch zip checkpoint (no zip signature)", byteOffset: 0);
        }
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) &&
                                                      e.FullName.Count(c => c == '/') == 1 && e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                      ?? zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl")
                      ?? throw new WeightFileException(path, "zip archive has no data.pkl entry; it is not a torch.save checkpoint");
            var prefix = pkl.FullName[..^"data.pkl".Length];
            var byteOrder = zip.GetEntry(prefix + "byteorder");
            if (byteOrder is not null && ReadAll(byteOrder, path).AsSpan().SequenceEqual("big"u8))
                throw new WeightFileException(path, "big-endian checkpoints are not supported");
            var unpickler = new RestrictedUnpickler(ReadAll(pkl, path), path, (key, need) =>
            {
                var entry = zip.GetEntry(prefix + "data/" + key)
                            ?? throw new WeightFileException(path, $"storage '{prefix}data/{key}' is missing from the archive", key);
                var bytes = ReadAll(entry, path);
                if (bytes.Length < need)
                    throw new WeightFileException(path, $"storage '{prefix}data/{key}' has {bytes.Length} bytes but {need} are needed; the file may be truncated", key);
                return bytes;
            }, new FileInfo(path).Length);
            return unpickler.Load();
        }
        catch (InvalidDataException e)
        {
            throw new WeightFileException(path, "corrupt zip archive: " + e.Message, inner: e);
        }
    }

    /// <summary>
    /// Reads a state dict: the root of the checkpoint, or the dict under <paramref name="key"/> (e.g. <c>"model"</c>
    /// or <c>"state_dict"</c>) when given.
    /// </summary>
    /// <returns>A new state dict owned by the caller.</returns>
    /// <exception cref="WeightFileException">The file is unreadable, or the selected node is not a dict of tensors.</exception>
    public static Dictionary<string, Tensor> LoadStateDict(string path, string? key = null)
    {
        using var root = Load(path);
        var node = root;
        if (key is not null)
        {
            if (root.Kind != CheckpointValueKind.Dict || !root.TryGet(key, out var sub))
                throw new WeightFileException(path, $"the checkpoint has no top-level key '{key}'");
            node = sub;
        }
        try
        {
            return node.ToStateDict();
        }
        catch (InvalidOperationException e)
        {
            throw new WeightFileException(path, (key is null ? "the checkpoint root" : $"entry '{key}'") + " is not a state dict: " + e.Message, inner: e);
        }
    }

    private static byte[] ReadAll(ZipArchiveEntry e, string path)
    {
        // The sizes come from the file: check them before allocating (deflate expands at most ~1032:1; torch.save stores).
        if (e.Length > Array.MaxLength || e.Length > e.CompressedLength * 1032 + 1024)
            throw new WeightFileException(path, $"zip entry '{e.FullName}' declares {e.Length} bytes ({e.CompressedLength} stored); the archive is corrupt");
        var buf = new byte[e.Length];
        try
        {
            using var s = e.Open();
            s.ReadExactly(buf);
        }
        catch (EndOfStreamException ex)
        {
            throw new WeightFileException(path, $"zip entry '{e.FullName}' ends before its declared {e.Length} bytes; the file may be truncated", inner: ex);
        }
        return buf;
    }
}
