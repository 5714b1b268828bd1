namespace Thorax.Synthetic.Internal;

/// <summary>The pixel-free part of a study kept for the dataset-level tables.</summary>
internal sealed record StudyRecord(
    int Index, string Id, string PatientId, string StudyInstanceUid, string SopInstanceUid, DatasetSplit Split,
    FindingClass Class, PneumothoraxFinding? Pneumothorax, int PneumothoraxPixels, SupportDevices Devices,
    bool ShortcutCue, bool Monochrome1, StudyEncoding Encoding, int Age, string Sex, int Width, int Height,
    IReadOnlyList<Fixation> Fixations, string Report, string SiimRle, string StandardRle, string? Background = null,
    string? ReportSource = null)
{
    public static StudyRecord From(SyntheticStudy s) => new(
        s.Index, s.Id, s.PatientId, s.StudyInstanceUid, s.SopInstanceUid, s.Split, s.Class, s.Pneumothorax,
        s.PneumothoraxPixels, s.Devices, s.ShortcutCue, s.Monochrome1, s.Encoding, s.Age, s.Sex, s.Width, s.Height,
        s.Fixations, s.Report, Thorax.Data.Siim.SiimRle.Encode(s.PneumothoraxMask, s.Width, s.Height),
        Thorax.Data.Siim.StandardRle.Encode(s.PneumothoraxMask, s.Width, s.Height), s.Background, s.ReportSource);

    /// <summary>REFLACX-style case id (P&lt;phase&gt;R&lt;6 digits&gt;), unique per index.</summary>
    public string ReflacxId => ReflacxIdOf(Index);

    public static string ReflacxIdOf(int index) => "P300R" + (100000 + index).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>MIMIC-style numeric subject and study ids.</summary>
    public long SubjectId => 10_000_000L + Index;
    public long StudyId => 50_000_000L + Index;

    /// <summary>Path relative to the mimic-cxr root: files/pNN/pNNNNNNNN/sNNNNNNNN/&lt;id&gt;.dcm.</summary>
    public string MimicPath => $"files/p{SubjectId / 1_000_000}/p{SubjectId}/s{StudyId}/{Id}.dcm";
}
