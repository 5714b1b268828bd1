using System.Globalization;
using System.Text;

namespace Thorax.Synthetic.Internal;

/// <summary>Dataset-level tables, written after all studies in index order.</summary>
internal static class DatasetTables
{
    /// <summary>Display geometry of the simulated reading station (EGD-CXR): 1920x1080 screen, image scaled to
    /// the screen height and centred horizontally.</summary>
    public const int ScreenWidth = 1920, ScreenHeight = 1080;

    /// <summary>Studies read per simulated eye-tracking session.</summary>
    public const int StudiesPerSession = 20;

    public static int Write(DatasetLayout layout, IReadOnlyList<StudyRecord> records, SynthOptions options)
    {
        int files = 0;
        files += WriteStudies(layout, records);
        files += WriteSplits(layout, records);
        files += WriteSiim(layout, records);
        if (options.WriteGaze) files += WriteEgd(layout, records) + WriteReflacxMetadata(layout, records);
        if (options.WriteReports) files += WriteCandid(layout, records);
        return files;
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static int WriteStudies(DatasetLayout layout, IReadOnlyList<StudyRecord> records)
    {
        var sb = new StringBuilder();
        Csv.Line(sb, [.. Thorax.Data.Datasets.StudyTableColumns.Names]);
        foreach (var r in records)
        {
            var p = r.Pneumothorax;
            Csv.Line(sb, r.Id, I(r.Index), r.PatientId, Name(r.Split), Name(r.Class), p is null ? "0" : "1",
                p is null ? "" : Lower(p.Side), p is null ? "" : Lower(p.Location), p is null ? "" : Lower(p.Size),
                I(r.PneumothoraxPixels), (r.Devices & SupportDevices.ChestTube) != 0 ? "1" : "0",
                (r.Devices & SupportDevices.EcgLeads) != 0 ? "1" : "0", r.ShortcutCue ? "1" : "0",
                r.Monochrome1 ? "MONOCHROME1" : "MONOCHROME2", Name(r.Encoding), I(r.Age), r.Sex,
                r.StudyInstanceUid, r.SopInstanceUid, I(r.Width), I(r.Height), r.Report, p is { Tension: true } ? "1" : "0",
                r.Background ?? "", r.ReportSource ?? "");
        }
        Csv.Write(Path.Combine(layout.Root, "studies.csv"), sb);
        return 1;
    }

    private static int WriteSplits(DatasetLayout layout, IReadOnlyList<StudyRecord> records)
    {
        foreach (var split in Enum.GetValues<DatasetSplit>())
        {
            var sb = new StringBuilder();
            foreach (var r in records) if (r.Split == split) sb.Append(r.Id).Append('\n');
            Csv.Write(Path.Combine(layout.Splits, Name(split) + ".txt"), sb);
        }
        return 3;
    }

    private static int WriteSiim(DatasetLayout layout, IReadOnlyList<StudyRecord> records)
    {
        var sb = new StringBuilder();
        sb.Append("ImageId, EncodedPixels\n");
        foreach (var r in records) sb.Append(r.SopInstanceUid).Append(", ").Append(r.SiimRle == "-1" ? "-1" : r.SiimRle).Append('\n');
        Csv.Write(Path.Combine(layout.Siim, "train-rle.csv"), sb);
        return 1;
    }

    private static int WriteEgd(DatasetLayout layout, IReadOnlyList<StudyRecord> records)
    {
        var master = new StringBuilder();
        Csv.Line(master, "dicom_id", "path", "patient_id", "study_id", "gender", "anchor_age", "image_top_pad",
            "image_bottom_pad", "image_left_pad", "image_right_pad", "Normal", "CHF", "pneumonia", "split");
        var fix = new StringBuilder();
        Csv.Line(fix, "DICOM_ID", "SESSION_ID", "Time (in secs)", "FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV",
            "X_ORIGINAL", "Y_ORIGINAL");
        double sessionClock = 0;
        int fixId = 0;
        foreach (var r in records)
        {
            // Image scaled to the screen height, centred: pads in screen pixels.
            double scale = (double)ScreenHeight / Math.Max(r.Width, r.Height);
            int dispW = (int)Math.Round(r.Width * scale), dispH = (int)Math.Round(r.Height * scale);
            int left = (ScreenWidth - dispW) / 2, right = ScreenWidth - dispW - left;
            int top = (ScreenHeight - dispH) / 2, bottom = ScreenHeight - dispH - top;
            Csv.Line(master, r.Id, r.MimicPath, I(r.SubjectId), I(r.StudyId), r.Sex, I(r.Age), I(top), I(bottom), I(left), I(right),
                r.Class == FindingClass.Normal ? "1" : "0", r.Class == FindingClass.HeartFailure ? "1" : "0",
                r.Class == FindingClass.Pneumonia ? "1" : "0", Name(r.Split));

            int session = r.Index / StudiesPerSession + 1;
            if (r.Index % StudiesPerSession == 0) { sessionClock = 2.0; fixId = 0; }
            double caseStart = sessionClock;
            foreach (var f in r.Fixations)
            {
                double ex = left + f.X * dispW / r.Width, ey = top + f.Y * dispH / r.Height;
                double t = caseStart + f.StartSeconds;
                // X/Y_ORIGINAL follow EGD-CXR's mapping: int(img_w / (1920 - left - right) * (eyeX - left)).
                int xo = (int)((double)r.Width / (ScreenWidth - left - right) * (ex - left));
                int yo = (int)((double)r.Height / (ScreenHeight - top - bottom) * (ey - top));
                Csv.Line(fix, r.Id, I(session), Csv.F(t + f.DurationSeconds, "0.####"), Csv.F(ex / ScreenWidth, "0.######"),
                    Csv.F(ey / ScreenHeight, "0.######"), Csv.F(t, "0.####"), Csv.F(f.DurationSeconds, "0.####"),
                    I(++fixId), "1", I(xo), I(yo));
            }
            var lastFix = r.Fixations.Count > 0 ? r.Fixations[^1] : default;
            sessionClock = caseStart + lastFix.StartSeconds + lastFix.DurationSeconds + 3.0;
        }
        Csv.Write(Path.Combine(layout.Egd, "master_sheet.csv"), master);
        Csv.Write(Path.Combine(layout.Egd, "fixations.csv"), fix);
        return 2;
    }

    private static int WriteReflacxMetadata(DatasetLayout layout, IReadOnlyList<StudyRecord> records)
    {
        var sb = new StringBuilder();
        Csv.Line(sb, "id", "dicom_id", "subject_id", "image_size_x", "image_size_y", "split", "pneumothorax");
        foreach (var r in records)
            Csv.Line(sb, StudyRecord.ReflacxIdOf(r.Index), r.Id, I(r.SubjectId), I(r.Width), I(r.Height), Name(r.Split),
                r.Pneumothorax is null ? "0" : "1");
        Csv.Write(Path.Combine(layout.Reflacx, "metadata.csv"), sb);
        return 1;
    }

    private static int WriteCandid(DatasetLayout layout, IReadOnlyList<StudyRecord> records)
    {
        var reports = new StringBuilder();
        Csv.Line(reports, "SOPInstanceUID", "EncodedPixels", "Report");
        var ctx = new StringBuilder();
        Csv.Line(ctx, "image_id", "text", "label");
        foreach (var r in records)
        {
            Csv.Line(reports, r.SopInstanceUid, r.StandardRle, r.Report);
            Csv.Line(ctx, r.Id + ".png", r.Report, r.StandardRle);
        }
        Csv.Write(Path.Combine(layout.Candid, "Pneumothorax_reports.csv"), reports);
        Csv.Write(Path.Combine(layout.Candid, "image_name_text_label.csv"), ctx);
        return 2;
    }

    public static string Name(DatasetSplit s) => s switch
    {
        DatasetSplit.Train => "train",
        DatasetSplit.Validation => "validation",
        _ => "test",
    };

    public static string Name(FindingClass c) => c switch
    {
        FindingClass.HeartFailure => "CHF",
        FindingClass.Pneumonia => "pneumonia",
        _ => "Normal",
    };

    /// <summary>studies.csv / manifest spelling: uncompressed12, uncompressed8, jpegbaseline8, none.</summary>
    public static string Name(StudyEncoding e) => Lower(e);

    private static string Lower<T>(T e) where T : struct, Enum => e.ToString().ToLowerInvariant();
}
