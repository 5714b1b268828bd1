using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using Thorax.Dicom;

namespace Thorax.Synthetic.Internal;

/// <summary>Builds a DX (For Presentation) DICOM data set for a study and writes it with
/// <see cref="DicomWriter"/>: Part 10, Explicit VR Little Endian (12- or 8-bit) or JPEG Baseline (8-bit, compressed
/// by <see cref="DicomJpegBaseline"/>), per <see cref="SyntheticStudy.Encoding"/>.</summary>
internal static class DicomExport
{
    /// <summary>Digital X-Ray Image Storage - For Presentation.</summary>
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.1.1";

    /// <summary>Writes the study's DICOM file; nothing for <see cref="StudyEncoding.None"/>. Returns the number of
    /// files written (0 or 1).</summary>
    public static int Write(SyntheticStudy st, string path, int jpegQuality)
    {
        if (st.Encoding == StudyEncoding.None) return 0;
        var (ds, syntax) = Encode(st, jpegQuality);
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        DicomWriter.Write(fs, new DicomDataset(), ds, syntax);
        return 1;
    }

    /// <summary>The data set as written and its transfer syntax.</summary>
    public static (DicomDataset Dataset, TransferSyntax Syntax) Encode(SyntheticStudy st, int jpegQuality)
    {
        var ds = Build(st);
        return st.Encoding == StudyEncoding.JpegBaseline8
            ? (DicomJpegBaseline.Encode(ds, jpegQuality), TransferSyntax.JPEGBaseline8Bit)
            : (ds, TransferSyntax.ExplicitVRLittleEndian);
    }

    /// <summary>The data set with native pixel data (8-bit for JPEG Baseline studies, before compression).</summary>
    public static DicomDataset Build(SyntheticStudy st)
    {
        if (st.Encoding == StudyEncoding.None)
            throw new InvalidOperationException($"Study {st.Index} has no DICOM encoding (--dicom none).");
        bool twelve = st.Encoding == StudyEncoding.Uncompressed12;
        int max = twelve ? 4095 : 255;
        string spacing = st.PixelSpacingMm.ToString("0.######", CultureInfo.InvariantCulture);
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, SopClassUid)
            .AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, st.SopInstanceUid)
            .AddOrUpdate(DicomTag.StudyDate, DicomVR.DA, "20200101")
            .AddOrUpdate(DicomTag.Modality, DicomVR.CS, "DX")
            .AddOrUpdate(DicomTag.Manufacturer, DicomVR.LO, "Thorax.Synthetic")
            .AddOrUpdate(DicomTag.PatientName, DicomVR.PN, "SYNTHETIC^" + st.PatientId)
            .AddOrUpdate(DicomTag.PatientID, DicomVR.LO, st.PatientId)
            .AddOrUpdate(DicomTag.PatientSex, DicomVR.CS, st.Sex)
            .AddOrUpdate(DicomTag.PatientAge, DicomVR.AS, st.Age.ToString("000", CultureInfo.InvariantCulture) + "Y")
            .AddOrUpdate(DicomTag.BodyPartExamined, DicomVR.CS, "CHEST")
            .AddOrUpdate(DicomTag.ViewPosition, DicomVR.CS, "PA")
            .AddOrUpdate(DicomTag.StudyInstanceUID, DicomVR.UI, st.StudyInstanceUid)
            .AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, st.StudyInstanceUid + ".1")
            .AddOrUpdate(DicomTag.StudyID, DicomVR.SH, (st.Index + 1).ToString(CultureInfo.InvariantCulture))
            .AddOrUpdate(DicomTag.SeriesNumber, DicomVR.IS, "1")
            .AddOrUpdate(DicomTag.InstanceNumber, DicomVR.IS, "1")
            .AddOrUpdate(DicomTag.SamplesPerPixel, DicomVR.US, 1)
            .AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, st.Monochrome1 ? "MONOCHROME1" : "MONOCHROME2")
            .AddOrUpdate(DicomTag.Rows, DicomVR.US, st.Height)
            .AddOrUpdate(DicomTag.Columns, DicomVR.US, st.Width)
            .AddOrUpdate(DicomTag.ImagerPixelSpacing, DicomVR.DS, spacing + "\\" + spacing)
            .AddOrUpdate(DicomTag.PixelSpacing, DicomVR.DS, spacing + "\\" + spacing)
            .AddOrUpdate(DicomTag.BitsAllocated, DicomVR.US, twelve ? 16 : 8)
            .AddOrUpdate(DicomTag.BitsStored, DicomVR.US, twelve ? 12 : 8)
            .AddOrUpdate(DicomTag.HighBit, DicomVR.US, twelve ? 11 : 7)
            .AddOrUpdate(DicomTag.PixelRepresentation, DicomVR.US, 0)
            .AddOrUpdate(DicomTag.WindowCenter, DicomVR.DS, twelve ? "2048" : "128")
            .AddOrUpdate(DicomTag.WindowWidth, DicomVR.DS, twelve ? "4096" : "256");

        byte[] pixels;
        if (twelve)
        {
            // Little-endian 16-bit words; MONOCHROME1 stores max - v.
            pixels = new byte[st.Image12.Length * 2];
            var words = MemoryMarshal.Cast<byte, ushort>(pixels.AsSpan());
            if (st.Monochrome1) Invert<ushort>(st.Image12, (ushort)max, words);
            else st.Image12.AsSpan().CopyTo(words);
            if (!BitConverter.IsLittleEndian)
                for (int i = 0; i < words.Length; i++) words[i] = BinaryPrimitives.ReverseEndianness(words[i]);
        }
        else
        {
            pixels = new byte[(st.Image8.Length + 1) & ~1];
            if (st.Monochrome1) Invert<byte>(st.Image8, (byte)max, pixels);
            else st.Image8.AsSpan().CopyTo(pixels);
        }
        ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, twelve ? DicomVR.OW : DicomVR.OB, pixels));
        return ds;
    }

    /// <summary>dst[i] = max - src[i] (values never exceed max).</summary>
    private static void Invert<T>(ReadOnlySpan<T> src, T max, Span<T> dst) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = new Vector<T>(max);
            for (; i <= src.Length - Vector<T>.Count; i += Vector<T>.Count)
                (vm - new Vector<T>(src[i..])).CopyTo(dst[i..]);
        }
        for (; i < src.Length; i++) dst[i] = max - src[i];
    }
}
