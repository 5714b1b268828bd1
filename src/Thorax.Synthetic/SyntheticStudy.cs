using System.Numerics;

namespace Thorax.Synthetic;

/// <summary>One generated frontal (PA) chest radiograph with its pixel truth, labels, simulated gaze and
/// report. Images and masks are row-major, <see cref="Height"/> x <see cref="Width"/>; masks hold 0 or 255.
/// Pixel values are MONOCHROME2 (bright = dense) in memory regardless of <see cref="Monochrome1"/>.</summary>
public sealed class SyntheticStudy
{
    /// <summary>Study index within the dataset, 0-based.</summary>
    public required int Index { get; init; }

    /// <summary>44-character MIMIC-style identifier (five dash-separated 8-hex groups), used as file stem,
    /// EGD-CXR DICOM_ID and REFLACX case id.</summary>
    public required string Id { get; init; }

    /// <summary>Patient identifier (one study per patient), e.g. <c>P00000042</c>.</summary>
    public required string PatientId { get; init; }

    /// <summary>DICOM UIDs (2.25 form, derived from seed and index).</summary>
    public required string StudyInstanceUid { get; init; }

    /// <summary>SOP instance UID; also the SIIM <c>ImageId</c>.</summary>
    public required string SopInstanceUid { get; init; }

    /// <summary>Patient age in years, 20..80.</summary>
    public required int Age { get; init; }

    /// <summary>"M" or "F".</summary>
    public required string Sex { get; init; }

    /// <summary>Split this study belongs to.</summary>
    public required DatasetSplit Split { get; init; }

    /// <summary>Image width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Image height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Pixel spacing in mm (square pixels); a 1024 px image spans about 360 mm.</summary>
    public required double PixelSpacingMm { get; init; }

    /// <summary>12-bit image (values 0..4095), MONOCHROME2.</summary>
    public required ushort[] Image12 { get; init; }

    /// <summary>8-bit image (Image12 &gt;&gt; 4), MONOCHROME2.</summary>
    public required byte[] Image8 { get; init; }

    /// <summary>Whether the DICOM copy is stored MONOCHROME1 (inverted on write).</summary>
    public required bool Monochrome1 { get; init; }

    /// <summary>How the DICOM copy is encoded.</summary>
    public required StudyEncoding Encoding { get; init; }

    /// <summary>Patient's right lung field (image left), 0/255. Excludes the heart shadow.</summary>
    public required byte[] RightLungMask { get; init; }

    /// <summary>Patient's left lung field (image right), 0/255. Excludes the heart shadow.</summary>
    public required byte[] LeftLungMask { get; init; }

    /// <summary>Heart silhouette, 0/255.</summary>
    public required byte[] HeartMask { get; init; }

    /// <summary>Pneumothorax (pleural air), 0/255; all zero when there is none. Always inside the lung field.</summary>
    public required byte[] PneumothoraxMask { get; init; }

    /// <summary>Where a chest tube is drawn (its wall and radio-opaque stripe, anti-aliased coverage &gt;= 0.5), 0/255; all
    /// zero without a tube (<see cref="Devices"/>). With the <see cref="ShortcutKind.Device"/> shortcut this is the cue's region.</summary>
    public byte[] ChestTubeMask { get; init; } = [];

    /// <summary>Number of 255 pixels in <see cref="PneumothoraxMask"/>.</summary>
    public required int PneumothoraxPixels { get; init; }

    /// <summary>Image-level class.</summary>
    public required FindingClass Class { get; init; }

    /// <summary>The planted pneumothorax, or null.</summary>
    public required PneumothoraxFinding? Pneumothorax { get; init; }

    /// <summary>Support devices drawn on the image (including a planted device cue).</summary>
    public required SupportDevices Devices { get; init; }

    /// <summary>Whether the shortcut cue of <see cref="SynthOptions.Shortcut"/> is present on this image.</summary>
    public required bool ShortcutCue { get; init; }

    /// <summary>Simulated reading: fixations in time order, image pixel coordinates.</summary>
    public required IReadOnlyList<Fixation> Fixations { get; init; }

    /// <summary>Templated radiology report (FINDINGS and IMPRESSION sections) consistent with the labels.</summary>
    public required string Report { get; init; }

    /// <summary>Where the evidence of a heart-failure or pneumonia class is (enlarged cardiac silhouette, perihilar haze,
    /// effusion; airspace opacity), 0/255; null for procedural studies, all zero for a normal class.</summary>
    public byte[]? EvidenceMask { get; init; }

    /// <summary>The real background's name (file name) for studies made with
    /// <see cref="SynthOptions.BackgroundDirectory"/>; null for procedural studies.</summary>
    public string? Background { get; init; }

    /// <summary>Identifier of the real report the text was built from (Indiana uid) when
    /// <see cref="SynthOptions.ReportCorpus"/> is set; else null.</summary>
    public string? ReportSource { get; init; }

    /// <summary>Union of both lung masks, 0/255 (a new array).</summary>
    public byte[] LungMask() => LungMask(new byte[RightLungMask.Length]);

    /// <summary>Union of both lung masks, 0/255, written into <paramref name="m"/> (at least as long as a mask), which is returned.</summary>
    internal byte[] LungMask(byte[] m)
    {
        if (m.Length < RightLungMask.Length) throw new ArgumentException("Mask buffer too short.", nameof(m));
        var r = RightLungMask.AsSpan();
        var l = LeftLungMask.AsSpan(0, r.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= r.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                (new Vector<byte>(r[i..]) | new Vector<byte>(l[i..])).CopyTo(m.AsSpan(i));
        for (; i < r.Length; i++) m[i] = (byte)(r[i] | l[i]);
        return m;
    }
}
