using System.Text.Json;

namespace Thorax.Synthetic.Internal;

/// <summary>Writes <c>manifest.json</c>: format version, every option, counts, and the folder layout.
/// No timestamps or machine details, so the same options give identical bytes.</summary>
internal static class Manifest
{
    public const string Format = "thorax-synth/1";

    public static int Write(DatasetLayout layout, IReadOnlyList<StudyRecord> records, SynthOptions o, BackgroundSet? backgrounds = null,
        ReportCorpus? corpus = null)
    {
        using var fs = File.Create(Path.Combine(layout.Root, "manifest.json"));
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteString("generator", "Thorax.Synthetic");
        w.WriteStartObject("options");
        w.WriteNumber("count", o.Count);
        w.WriteNumber("seed", o.Seed);
        w.WriteNumber("imageSize", o.ImageSize);
        w.WriteNumber("pneumothoraxRate", o.PneumothoraxRate);
        w.WriteNumber("heartFailureRate", o.HeartFailureRate);
        w.WriteNumber("pneumoniaRate", o.PneumoniaRate);
        w.WriteNumber("deviceRate", o.DeviceRate);
        w.WriteString("shortcut", SynthOptions.ShortcutName(o.Shortcut));
        w.WriteNumber("shortcutRate", o.ShortcutRate);
        w.WriteString("shortcutTarget", o.ShortcutTarget == ShortcutTarget.Pneumothorax ? "pneumothorax" : "abnormal");
        w.WriteNumber("trainFraction", o.TrainFraction);
        w.WriteNumber("validationFraction", o.ValidationFraction);
        w.WriteNumber("monochrome1Rate", o.Monochrome1Rate);
        w.WriteString("dicom", SynthOptions.DicomName(o.Dicom));
        w.WriteNumber("jpegQuality", o.JpegQuality);
        w.WriteBoolean("write16BitPng", o.Write16BitPng);
        w.WriteBoolean("writeGaze", o.WriteGaze);
        w.WriteBoolean("writeReports", o.WriteReports);
        if (o.BackgroundDirectory is not null)
        {
            w.WriteNumber("tensionRate", o.TensionRate);
            // Written only when not the default, so datasets made without these options keep their bytes (absent = 1).
            if (o.PneumothoraxConspicuity != 1.0) w.WriteNumber("pneumothoraxConspicuity", o.PneumothoraxConspicuity);
            w.WriteString("background", Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(o.BackgroundDirectory))));
        }
        if (o.PneumothoraxSizeWeights is { } sizes)
        {
            // Absent = the default weights 0.4, 0.35, 0.25.
            w.WriteStartObject("pneumothoraxSizeWeights");
            w.WriteNumber("small", sizes[0]);
            w.WriteNumber("moderate", sizes[1]);
            w.WriteNumber("large", sizes[2]);
            w.WriteEndObject();
        }
        if (o.ReportCorpus is not null) w.WriteString("reportCorpus", Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(o.ReportCorpus))));
        w.WriteEndObject();
        if (corpus is not null)
        {
            w.WriteStartObject("reportCorpus");
            w.WriteNumber("reports", corpus.TotalReports);
            w.WriteNumber("normalReports", corpus.NormalReports);
            w.WriteNumber("eligibleNegativeReports", corpus.EligibleNegativeReports);
            w.WriteNumber("sentencePool", corpus.SentencePool);
            w.WriteNumber("droppedSentencesWithXxxx", corpus.DroppedXxxxSentences);
            w.WriteNumber("droppedDeviceSentences", corpus.DroppedDeviceSentences);
            w.WriteNumber("droppedAbnormalSentences", corpus.DroppedAbnormalSentences);
            w.WriteNumber("sourceReportsUsed", records.Select(r => r.ReportSource).Distinct().Count());
            w.WriteEndObject();
        }
        if (backgrounds is not null)
        {
            w.WriteStartObject("backgrounds");
            w.WriteNumber("usable", backgrounds.Backgrounds.Count);
            w.WriteNumber("used", records.Select(r => r.Background).Distinct().Count());
            w.WriteNumber("skipped", backgrounds.Skipped.Count);
            w.WriteStartArray("skippedFiles");
            foreach (var sk in backgrounds.Skipped)
            {
                w.WriteStartObject();
                w.WriteString("file", Path.GetRelativePath(backgrounds.Directory, sk.Path).Replace('\\', '/'));
                w.WriteString("reason", sk.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteStartObject("counts");
        w.WriteNumber("studies", records.Count);
        foreach (var split in Enum.GetValues<DatasetSplit>())
            w.WriteNumber(DatasetTables.Name(split), records.Count(r => r.Split == split));
        foreach (var c in Enum.GetValues<FindingClass>())
            w.WriteNumber(DatasetTables.Name(c), records.Count(r => r.Class == c));
        w.WriteNumber("pneumothorax", records.Count(r => r.Pneumothorax is not null));
        if (backgrounds is not null) w.WriteNumber("tension", records.Count(r => r.Pneumothorax is { Tension: true }));
        w.WriteNumber("shortcutCue", records.Count(r => r.ShortcutCue));
        w.WriteNumber("fixations", records.Sum(r => r.Fixations.Count));
        w.WriteNumber("monochrome1", records.Count(r => r.Monochrome1 && r.Encoding != StudyEncoding.None));
        w.WriteEndObject();

        w.WriteStartObject("dicomEncodings");
        foreach (var e in Enum.GetValues<StudyEncoding>())
            w.WriteNumber(DatasetTables.Name(e), records.Count(r => r.Encoding == e));
        w.WriteEndObject();

        w.WriteStartObject("shortcutCorrelation");
        foreach (var split in Enum.GetValues<DatasetSplit>())
        {
            var rs = records.Where(r => r.Split == split).ToList();
            bool Label(StudyRecord r) => o.ShortcutTarget == ShortcutTarget.Pneumothorax ? r.Pneumothorax is not null : r.Class != FindingClass.Normal;
            int agree = rs.Count(r => r.ShortcutCue == Label(r));
            w.WriteNumber(DatasetTables.Name(split), rs.Count == 0 ? 0 : Math.Round((double)agree / rs.Count, 4));
        }
        w.WriteEndObject();

        w.WriteStartObject("layout");
        w.WriteString("studies.csv", "one row per study: labels, pneumothorax side/location/size/pixels, devices, shortcut cue, DICOM photometric/encoding, report, tension, real background file, report source");
        w.WriteString("splits/", "train.txt, validation.txt, test.txt: study ids");
        w.WriteString("images/", "<id>.png, 8-bit greyscale, MONOCHROME2");
        if (o.Write16BitPng) w.WriteString("images16/", "<id>.png, 16-bit greyscale holding 12-bit values (0..4095)");
        w.WriteString("masks/", o.BackgroundDirectory is null ? "lungs/, heart/, pneumothorax/, chest-tube/: <id>.png, 0/255"
            : "lungs/, heart/, pneumothorax/, chest-tube/, evidence/ (where a heart-failure or pneumonia class shows): <id>.png, 0/255");
        w.WriteString("siim/train-rle.csv", "SIIM-ACR: 'ImageId, EncodedPixels', relative column-major RLE, ImageId = SOP instance UID, -1 = none");
        if (o.Dicom != DicomOutput.None)
            w.WriteString("mimic-cxr/", "files/pNN/pNNNNNNNN/sNNNNNNNN/<id>.dcm: DX For Presentation; encoding per studies.csv: " +
                "uncompressed12 (Explicit VR Little Endian, 12 bits stored in 16), uncompressed8 (Explicit VR Little Endian, 8 bits), " +
                "jpegbaseline8 (JPEG Baseline 1.2.840.10008.1.2.4.50, 8 bits, LossyImageCompression 01); MONOCHROME1 or MONOCHROME2 per studies.csv");
        w.WriteString("montgomery/", "CXR_png/<id>.png, ManualMask/leftMask|rightMask/<id>.png (left = patient's left lung, image right)");
        if (o.WriteGaze)
        {
            w.WriteString("egd-cxr/", "master_sheet.csv (1920x1080 display pads, one-hot Normal/CHF/pneumonia), fixations.csv");
            w.WriteString("reflacx/", "metadata.csv, main_data/<case>/fixations.csv (image-pixel positions, angular resolution in image px/degree)" +
                (o.WriteReports ? ", main_data/<case>/transcription.txt (the report)" : ""));
        }
        if (o.WriteReports)
            w.WriteString("candid-ptx/", "Pneumothorax_reports.csv (SOPInstanceUID, EncodedPixels, Report), image_name_text_label.csv (image_id, text, label); standard row-major 1-based RLE");
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        return 1;
    }
}
