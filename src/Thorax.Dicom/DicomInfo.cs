using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Thorax.Dicom;

/// <summary>
/// Summary of one DICOM file for <c>thorax dicom info</c>: main header values and statistics of frame 0's decoded
/// stored values (before any LUT or MONOCHROME1 inversion). <see cref="PixelSha256"/> is the SHA-256 of those values,
/// row-major, little endian, 1 byte per value when BitsAllocated is 1 or 8, 2 bytes when 16 and 4 when 32.
/// </summary>
public sealed record DicomInfo
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Path as given.</summary>
    public required string File { get; init; }
    /// <summary>Patient ID (0010,0020), or null.</summary>
    public string? PatientId { get; init; }
    /// <summary>Study Instance UID.</summary>
    public string? StudyInstanceUid { get; init; }
    /// <summary>Series Instance UID.</summary>
    public string? SeriesInstanceUid { get; init; }
    /// <summary>SOP Instance UID.</summary>
    public string? SopInstanceUid { get; init; }
    /// <summary>SOP Class UID.</summary>
    public string? SopClassUid { get; init; }
    /// <summary>Modality, e.g. "CR", "DX".</summary>
    public string? Modality { get; init; }
    /// <summary>View Position, e.g. "PA", "AP".</summary>
    public string? ViewPosition { get; init; }
    /// <summary>Body Part Examined.</summary>
    public string? BodyPartExamined { get; init; }
    /// <summary>Patient's Sex.</summary>
    public string? PatientSex { get; init; }
    /// <summary>Patient's Age as stored (SIIM stores e.g. "62", not "062Y").</summary>
    public string? PatientAge { get; init; }
    /// <summary>Transfer syntax UID.</summary>
    public required string TransferSyntaxUid { get; init; }
    /// <summary>Transfer syntax name.</summary>
    public required string TransferSyntaxName { get; init; }
    /// <summary>Image height, pixels.</summary>
    public int Rows { get; init; }
    /// <summary>Image width, pixels.</summary>
    public int Columns { get; init; }
    /// <summary>Frames in the pixel data.</summary>
    public int NumberOfFrames { get; init; }
    /// <summary>Samples per pixel (1 for grayscale).</summary>
    public int SamplesPerPixel { get; init; }
    /// <summary>Bits allocated per sample.</summary>
    public int BitsAllocated { get; init; }
    /// <summary>Bits stored per sample.</summary>
    public int BitsStored { get; init; }
    /// <summary>True for signed pixel representation.</summary>
    public bool Signed { get; init; }
    /// <summary>Photometric Interpretation, e.g. "MONOCHROME2".</summary>
    public string? PhotometricInterpretation { get; init; }
    /// <summary>Pixel Spacing (row, column) in mm, or null.</summary>
    public double[]? PixelSpacing { get; init; }
    /// <summary>Imager Pixel Spacing (row, column) in mm, or null.</summary>
    public double[]? ImagerPixelSpacing { get; init; }
    /// <summary>Minimum stored value of frame 0.</summary>
    public long Min { get; init; }
    /// <summary>Maximum stored value of frame 0.</summary>
    public long Max { get; init; }
    /// <summary>Mean stored value of frame 0.</summary>
    public double Mean { get; init; }
    /// <summary>Lower-case hex SHA-256 of frame 0's stored values (see type remarks).</summary>
    public required string PixelSha256 { get; init; }
    /// <summary>What the reader tolerated (<see cref="DicomFile.Warnings"/>); empty for conforming files.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Reads <paramref name="path"/>, decodes frame 0 and summarises it.</summary>
    /// <exception cref="DicomException">The file is not valid DICOM or its pixels cannot be decoded.</exception>
    public static DicomInfo Read(string path, PixelCodecRegistry? codecs = null)
    {
        var file = DicomFile.Open(path);
        return FromFile(file, path, codecs);
    }

    /// <summary>Summarises an opened file (decodes frame 0).</summary>
    public static DicomInfo FromFile(DicomFile file, string displayPath, PixelCodecRegistry? codecs = null)
    {
        var ds = file.Dataset;
        var pixels = DicomPixelData.Create(file);
        var frame = pixels.DecodeFrame(0, codecs);
        var (min, max, mean) = frame.Statistics();
        var info = pixels.Info;
        return new DicomInfo
        {
            File = displayPath,
            PatientId = ds.GetStringOrDefault(DicomTag.PatientID),
            StudyInstanceUid = ds.GetStringOrDefault(DicomTag.StudyInstanceUID),
            SeriesInstanceUid = ds.GetStringOrDefault(DicomTag.SeriesInstanceUID),
            SopInstanceUid = ds.GetStringOrDefault(DicomTag.SOPInstanceUID),
            SopClassUid = ds.GetStringOrDefault(DicomTag.SOPClassUID),
            Modality = ds.GetStringOrDefault(DicomTag.Modality),
            ViewPosition = ds.GetStringOrDefault(DicomTag.ViewPosition),
            BodyPartExamined = ds.GetStringOrDefault(DicomTag.BodyPartExamined),
            PatientSex = ds.GetStringOrDefault(DicomTag.PatientSex),
            PatientAge = ds.GetStringOrDefault(DicomTag.PatientAge),
            TransferSyntaxUid = file.TransferSyntax.Uid,
            TransferSyntaxName = file.TransferSyntax.Name,
            Rows = info.Rows,
            Columns = info.Columns,
            NumberOfFrames = info.NumberOfFrames,
            SamplesPerPixel = info.SamplesPerPixel,
            BitsAllocated = info.BitsAllocated,
            BitsStored = info.BitsStored,
            Signed = info.IsSigned,
            PhotometricInterpretation = info.PhotometricInterpretation,
            PixelSpacing = ds.TryGetDoubles(DicomTag.PixelSpacing, out var ps) ? ps : null,
            ImagerPixelSpacing = ds.TryGetDoubles(DicomTag.ImagerPixelSpacing, out var ips) ? ips : null,
            Min = min,
            Max = max,
            Mean = mean,
            PixelSha256 = frame.Sha256(),
            Warnings = file.Warnings,
        };
    }

    /// <summary>JSON with snake_case keys (e.g. "pixel_sha256", "bits_allocated"), indented.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Human-readable multi-line rendering ("Key: value" lines).</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        void Line(string key, object? value) => sb.Append(key.PadRight(22)).Append(": ").AppendLine(Format(value));
        Line("File", File);
        Line("Patient ID", PatientId);
        Line("Study Instance UID", StudyInstanceUid);
        Line("Series Instance UID", SeriesInstanceUid);
        Line("SOP Instance UID", SopInstanceUid);
        Line("SOP Class UID", SopClassUid);
        Line("Modality", Modality);
        Line("View Position", ViewPosition);
        Line("Body Part Examined", BodyPartExamined);
        Line("Patient Sex / Age", $"{PatientSex} / {PatientAge}");
        Line("Transfer Syntax", $"{TransferSyntaxName} [{TransferSyntaxUid}]");
        Line("Size", $"{Columns} x {Rows} px, {NumberOfFrames} frame(s), {SamplesPerPixel} sample(s)/px");
        Line("Bits", $"allocated {BitsAllocated}, stored {BitsStored}, {(Signed ? "signed" : "unsigned")}");
        Line("Photometric", PhotometricInterpretation);
        Line("Pixel Spacing (mm)", PixelSpacing);
        Line("Imager Spacing (mm)", ImagerPixelSpacing);
        Line("Stored min/max/mean", $"{Min} / {Max} / {Mean.ToString("F4", CultureInfo.InvariantCulture)}");
        Line("Pixel SHA-256", PixelSha256);
        foreach (var warning in Warnings) Line("Warning", warning);
        return sb.ToString();
    }

    private static string Format(object? value) => value switch
    {
        null => "-",
        double[] a => string.Join(" \\ ", a.Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        string s when s.Length == 0 => "-",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "-",
    };
}
