using System.Runtime.CompilerServices;
using System.Globalization;
using Thorax.Dicom;

namespace Thorax.Synthetic.Internal;

/// <summary>Builds a DX (For Presentation) DICOM data set for a study and writes it with
/// <see cref="DicomWriter"/> (Part 10, Explicit VR Little Endian).</summary>
internal static class DicomExport
{
    /// <summary>Digital X-Ray Image Storage - For Presentation.</summary>
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.1.1";

    public static void Write(SyntheticStudy st, string path)
    {
        var ds = Build(st);
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        DicomWriter.Write(fs, new DicomDataset(), ds);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    public static DicomDataset Build(SyntheticStudy st)
    {
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
            pixels = new byte[st.Image12.Length * 2];
            for (int i = 0; i < st.Image12.Length; i++)
            {
                int v = st.Monochrome1 ? max - st.Image12[i] : st.Image12[i];
                pixels[2 * i] = (byte)v;
                pixels[2 * i + 1] = (byte)(v >> 8);
            }
        }
        else
        {
            pixels = new byte[(st.Image8.Length + 1) & ~1];
            for (int i = 0; i < st.Image8.Length; i++) pixels[i] = (byte)(st.Monochrome1 ? max - st.Image8[i] : st.Image8[i]);
        }
        ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, twelve ? DicomVR.OW : DicomVR.OB, pixels));
        return ds;
    }
}
