using System.Buffers.Binary;
using System.Text;

namespace Thorax.Dicom;

/// <summary>
/// Writes Part 10 files: preamble, a rebuilt file meta group, then every element of the data set (private and unknown
/// ones included) in tag order, in Explicit VR Little Endian or in an encapsulated (compressed) transfer syntax, whose
/// data set encoding is also Explicit VR Little Endian. Encapsulated pixel data (PS3.5 A.4) is written as an
/// undefined-length OB element: a Basic Offset Table item, one item per fragment (odd fragments padded to even length
/// with a zero byte, offsets shifted to match), and a Sequence Delimitation Item. <see cref="WriteUncompressed"/>
/// decodes encapsulated pixel data to native values first; <see cref="WriteJpegBaseline"/> compresses 8-bit grey
/// images with <see cref="DicomJpegBaseline"/>. Files are written to a temporary file in the target folder and renamed
/// over the target.
/// </summary>
public static class DicomWriter
{
    /// <summary>Implementation Class UID written in the file meta group (a UUID-derived 2.25 UID).</summary>
    public const string ImplementationClassUid = "2.25.255226848236328937467036981012381519701";

    /// <summary>Implementation Version Name written in the file meta group.</summary>
    public const string ImplementationVersionName = "THORAX_DICOM_1";

    /// <summary>Writes <paramref name="file"/> uncompressed to <paramref name="path"/>.</summary>
    /// <param name="file">Source file (any transfer syntax this library reads).</param>
    /// <param name="path">Destination; replaced atomically when it exists.</param>
    /// <param name="codecs">Codecs for decoding encapsulated pixel data; <see cref="PixelCodecRegistry.Default"/> when null.</param>
    /// <exception cref="DicomException">Pixel data cannot be decoded.</exception>
    public static void WriteUncompressed(DicomFile file, string path, PixelCodecRegistry? codecs = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var dataset = ToNative(file, codecs);
        WriteAtomically(path, stream => Write(stream, file.FileMetaInfo, dataset));
    }

    /// <summary>Writes <paramref name="file"/> as JPEG Baseline (Process 1, transfer syntax 1.2.840.10008.1.2.4.50)
    /// to <paramref name="path"/>: the pixel data is decoded to native values when encapsulated, then every frame is
    /// compressed by <see cref="DicomJpegBaseline.Encode"/>, which also sets the Lossy Image Compression attributes.</summary>
    /// <param name="file">Source file: 8-bit (BitsAllocated 8), unsigned, one sample per pixel (MONOCHROME1 or MONOCHROME2).</param>
    /// <param name="path">Destination; replaced atomically when it exists.</param>
    /// <param name="quality">libjpeg quality 1..100 (default <see cref="DicomJpegBaseline.DefaultQuality"/>).</param>
    /// <param name="codecs">Codecs for decoding encapsulated source pixel data; <see cref="PixelCodecRegistry.Default"/> when null.</param>
    /// <exception cref="DicomDataException">The image is not 8-bit unsigned single-sample data.</exception>
    /// <exception cref="DicomCodecException">libturbojpeg is not installed, or the source cannot be decoded.</exception>
    public static void WriteJpegBaseline(DicomFile file, string path, int quality = DicomJpegBaseline.DefaultQuality, PixelCodecRegistry? codecs = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var dataset = DicomJpegBaseline.Encode(ToNative(file, codecs), quality);
        WriteAtomically(path, stream => Write(stream, file.FileMetaInfo, dataset, TransferSyntax.JPEGBaseline8Bit));
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                write(stream);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes a Part 10 stream (preamble, meta group, data set) in Explicit VR Little Endian.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="sourceMeta">Meta group of the source (SOP class/instance fall back to the data set's).</param>
    /// <param name="dataset">Data set with native (non-encapsulated) pixel data.</param>
    public static void Write(Stream stream, DicomDataset sourceMeta, DicomDataset dataset) =>
        Write(stream, sourceMeta, dataset, TransferSyntax.ExplicitVRLittleEndian);

    /// <summary>Writes a Part 10 stream (preamble, meta group, data set) in <paramref name="transferSyntax"/>.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="sourceMeta">Meta group of the source (SOP class/instance fall back to the data set's).</param>
    /// <param name="dataset">Data set to write. Its Pixel Data must be native (a <see cref="DicomElement"/>) for Explicit
    /// VR Little Endian and encapsulated (a <see cref="DicomFragmentSequence"/>, e.g. from <see cref="Encapsulate"/>)
    /// for an encapsulated syntax; the fragments must already be compressed in that syntax.</param>
    /// <param name="transferSyntax">Explicit VR Little Endian or any encapsulated syntax; written as the meta group's
    /// TransferSyntaxUID.</param>
    /// <exception cref="ArgumentException">The syntax is implicit VR, big endian or deflated, or the pixel data's form
    /// does not match the syntax, or a Basic Offset Table entry does not point at a fragment.</exception>
    public static void Write(Stream stream, DicomDataset sourceMeta, DicomDataset dataset, TransferSyntax transferSyntax)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceMeta);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transferSyntax);
        if (!transferSyntax.IsEncapsulated && transferSyntax != TransferSyntax.ExplicitVRLittleEndian)
            throw new ArgumentException(
                $"DicomWriter writes Explicit VR Little Endian or an encapsulated syntax, not {transferSyntax.Name} ({transferSyntax.Uid}).",
                nameof(transferSyntax));
        if (dataset.TryGetItem(DicomTag.PixelData, out var pixelItem))
        {
            if (transferSyntax.IsEncapsulated && pixelItem is not DicomFragmentSequence)
                throw new ArgumentException(
                    $"{transferSyntax.Name} needs encapsulated Pixel Data (7FE0,0010); the data set holds native pixel values. Compress the frames and use DicomWriter.Encapsulate.",
                    nameof(dataset));
            if (!transferSyntax.IsEncapsulated && pixelItem is DicomFragmentSequence)
                throw new ArgumentException(
                    "Pixel Data (7FE0,0010) is encapsulated; decode it to native values before writing Explicit VR Little Endian (see WriteUncompressed).",
                    nameof(dataset));
        }
        var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
        w.Write(new byte[128]);
        w.Write("DICM"u8);
        var meta = new DicomDataset()
            .AddOrUpdate(new DicomElement(DicomTag.FileMetaInformationVersion, DicomVR.OB, new byte[] { 0, 1 }))
            .AddOrUpdate(DicomTag.MediaStorageSOPClassUID, DicomVR.UI,
                sourceMeta.GetStringOrDefault(DicomTag.MediaStorageSOPClassUID) ?? dataset.GetStringOrDefault(DicomTag.SOPClassUID, "")!)
            .AddOrUpdate(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI,
                sourceMeta.GetStringOrDefault(DicomTag.MediaStorageSOPInstanceUID) ?? dataset.GetStringOrDefault(DicomTag.SOPInstanceUID, "")!)
            .AddOrUpdate(DicomTag.TransferSyntaxUID, DicomVR.UI, transferSyntax.Uid)
            .AddOrUpdate(DicomTag.ImplementationClassUID, DicomVR.UI, ImplementationClassUid)
            .AddOrUpdate(DicomTag.ImplementationVersionName, DicomVR.SH, ImplementationVersionName);
        using var metaBody = new MemoryStream();
        var mw = new BinaryWriter(metaBody);
        foreach (var item in meta) WriteItem(mw, item);
        mw.Flush();
        WriteElement(w, new DicomElement(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, BitConverter.GetBytes((uint)metaBody.Length)));
        w.Write(metaBody.GetBuffer(), 0, (int)metaBody.Length);
        foreach (var item in dataset)
            if (item.Tag.Group != 0x0002) WriteItem(w, item);
        w.Flush();
    }

    /// <summary>A copy of the data set whose pixel data is native (decoded when encapsulated).</summary>
    private static DicomDataset ToNative(DicomFile file, PixelCodecRegistry? codecs)
    {
        var copy = new DicomDataset();
        foreach (var item in file.Dataset) copy.AddOrUpdate(item);
        if (!file.Dataset.TryGetItem(DicomTag.PixelData, out var pixelItem)) return copy;
        // Native data is copied byte for byte: the reader already swapped big endian OW words to little endian ones
        // (8-bit and 1-bit OW data included), so the value is the little endian encoding of the same pixels.
        if (pixelItem is not DicomFragmentSequence) return copy;
        var pixels = DicomPixelData.Create(file);
        var info = pixels.Info;
        var all = new byte[info.FrameSizeBytes * info.NumberOfFrames];
        for (int f = 0; f < info.NumberOfFrames; f++)
            pixels.DecodeFrame(f, codecs).Data.CopyTo(all, f * info.FrameSizeBytes);
        copy.AddOrUpdate(new DicomElement(DicomTag.PixelData, info.BitsAllocated == 8 ? DicomVR.OB : DicomVR.OW, Pad(all)));
        if (info.SamplesPerPixel > 1)
        {
            // Codecs output interleaved RGB.
            copy.AddOrUpdate(DicomTag.PlanarConfiguration, DicomVR.US, 0);
            if (info.PhotometricInterpretation.StartsWith("YBR", StringComparison.Ordinal) && file.TransferSyntax.IsEncapsulated)
                copy.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "RGB");
        }
        return copy;
    }

    private static byte[] Pad(byte[] data)
    {
        if ((data.Length & 1) == 0) return data;
        Array.Resize(ref data, data.Length + 1);
        return data;
    }

    private static void WriteItem(BinaryWriter w, DicomItem item)
    {
        switch (item)
        {
            case DicomElement e: WriteElement(w, e); break;
            case DicomSequence s:
                WriteHeader(w, s.Tag, DicomVR.SQ, 0xFFFFFFFF);
                foreach (var child in s.Items)
                {
                    WriteTag(w, 0xFFFE, 0xE000);
                    w.Write(0xFFFFFFFFu);
                    foreach (var ci in child) WriteItem(w, ci);
                    WriteTag(w, 0xFFFE, 0xE00D);
                    w.Write(0u);
                }
                WriteTag(w, 0xFFFE, 0xE0DD);
                w.Write(0u);
                break;
            case DicomFragmentSequence f: WriteEncapsulated(w, f); break;
        }
    }

    /// <summary>Builds encapsulated pixel data with one fragment per frame and a Basic Offset Table, padding odd-length
    /// frames with a trailing zero byte (allowed after a JPEG EOI marker, PS3.5 A.4).</summary>
    /// <param name="frames">Each frame's complete compressed stream, in frame order.</param>
    /// <returns>A fragment sequence for <see cref="DicomTag.PixelData"/>.</returns>
    /// <exception cref="ArgumentException">No frames, an empty frame, or more than 4 GiB in total.</exception>
    public static DicomFragmentSequence Encapsulate(IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("Encapsulated pixel data needs at least one frame.", nameof(frames));
        var offsets = new uint[frames.Count];
        var fragments = new ReadOnlyMemory<byte>[frames.Count];
        long position = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.IsEmpty) throw new ArgumentException($"Frame {i} is empty.", nameof(frames));
            if ((frame.Length & 1) == 1)
            {
                var padded = new byte[frame.Length + 1];
                frame.Span.CopyTo(padded);
                frame = padded;
            }
            if (position > uint.MaxValue)
                throw new ArgumentException("Encapsulated pixel data larger than 4 GiB cannot be indexed by a Basic Offset Table.", nameof(frames));
            offsets[i] = (uint)position;
            fragments[i] = frame;
            position += 8 + frame.Length;
        }
        return new DicomFragmentSequence(DicomTag.PixelData, offsets, fragments);
    }

    private static void WriteEncapsulated(BinaryWriter w, DicomFragmentSequence f)
    {
        // Fragment item positions (relative to the first fragment item) before and after padding odd fragments.
        var oldStart = new Dictionary<long, long>(f.Fragments.Count);
        long oldPos = 0, newPos = 0;
        foreach (var fragment in f.Fragments)
        {
            oldStart[oldPos] = newPos;
            oldPos += 8 + fragment.Length;
            newPos += 8 + fragment.Length + (fragment.Length & 1);
        }
        var table = new uint[f.OffsetTable.Count];
        for (int i = 0; i < table.Length; i++)
        {
            if (!oldStart.TryGetValue(f.OffsetTable[i], out long moved))
                throw new ArgumentException(
                    $"Basic Offset Table entry {i} ({f.OffsetTable[i]}) does not point at the start of a fragment item.", nameof(f));
            table[i] = checked((uint)moved);
        }
        WriteHeader(w, f.Tag, DicomVR.OB, 0xFFFFFFFF);
        WriteTag(w, 0xFFFE, 0xE000);
        w.Write((uint)(table.Length * 4));
        foreach (uint offset in table) w.Write(offset);
        foreach (var fragment in f.Fragments)
        {
            bool pad = (fragment.Length & 1) == 1;
            WriteTag(w, 0xFFFE, 0xE000);
            w.Write((uint)(fragment.Length + (pad ? 1 : 0)));
            w.Write(fragment.Span);
            if (pad) w.Write((byte)0);
        }
        WriteTag(w, 0xFFFE, 0xE0DD);
        w.Write(0u);
    }

    private static void WriteElement(BinaryWriter w, DicomElement e)
    {
        var data = e.Data.Span;
        bool pad = (data.Length & 1) == 1;
        int length = data.Length + (pad ? 1 : 0);
        var vr = e.VR;
        // Explicit VR short-length VRs cannot hold values over 65534 bytes; write those as UN.
        if (!vr.HasLongLength && length > 0xFFFE) vr = DicomVR.UN;
        WriteHeader(w, e.Tag, vr, (uint)length);
        w.Write(data);
        if (pad) w.Write(e.VR.PaddingByte);
    }

    private static void WriteHeader(BinaryWriter w, DicomTag tag, DicomVR vr, uint length)
    {
        WriteTag(w, tag.Group, tag.Element);
        Span<byte> code = [(byte)vr.Code[0], (byte)vr.Code[1]];
        w.Write(code);
        if (vr.HasLongLength)
        {
            w.Write((ushort)0);
            w.Write(length);
        }
        else
        {
            w.Write((ushort)length);
        }
    }

    private static void WriteTag(BinaryWriter w, ushort group, ushort element)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(b, group);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], element);
        w.Write(b);
    }
}
