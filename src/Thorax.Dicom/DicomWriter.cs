using System.Buffers.Binary;
using System.Text;

namespace Thorax.Dicom;

/// <summary>
/// Writes Part 10 files in Explicit VR Little Endian: preamble, a rebuilt file meta group, then every element of the
/// data set (private and unknown ones included) in tag order. Encapsulated pixel data is decoded to native values
/// first. Files are written to a temporary file in the target folder and renamed over the target.
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
        var dataset = ToNative(file, codecs);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                Write(stream, file.FileMetaInfo, dataset);
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
    public static void Write(Stream stream, DicomDataset sourceMeta, DicomDataset dataset)
    {
        var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
        w.Write(new byte[128]);
        w.Write("DICM"u8);
        var meta = new DicomDataset()
            .AddOrUpdate(new DicomElement(DicomTag.FileMetaInformationVersion, DicomVR.OB, new byte[] { 0, 1 }))
            .AddOrUpdate(DicomTag.MediaStorageSOPClassUID, DicomVR.UI,
                sourceMeta.GetStringOrDefault(DicomTag.MediaStorageSOPClassUID) ?? dataset.GetStringOrDefault(DicomTag.SOPClassUID, "")!)
            .AddOrUpdate(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI,
                sourceMeta.GetStringOrDefault(DicomTag.MediaStorageSOPInstanceUID) ?? dataset.GetStringOrDefault(DicomTag.SOPInstanceUID, "")!)
            .AddOrUpdate(DicomTag.TransferSyntaxUID, DicomVR.UI, TransferSyntax.ExplicitVRLittleEndian.Uid)
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
        // Native data is copied byte for byte, except 8-bit words read from big endian files (bytes were swapped in pairs).
        bool byteWordsFromBigEndian = file.TransferSyntax.IsBigEndian && pixelItem.VR == DicomVR.OW &&
                                      file.Dataset.GetIntOrDefault(DicomTag.BitsAllocated, 16) == 8;
        if (pixelItem is not DicomFragmentSequence && !byteWordsFromBigEndian) return copy;
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
            case DicomFragmentSequence:
                throw new InvalidOperationException("Encapsulated pixel data must be decoded before writing Explicit VR Little Endian.");
        }
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
