using System.Globalization;

namespace Thorax.Synthetic;

/// <summary>Parameters of a synthetic chest X-ray dataset (<c>thorax synth</c>). Every value is recorded in
/// the manifest; the same options give identical bytes. Call <see cref="Validate"/> before use.</summary>
public sealed record SynthOptions
{
    /// <summary>Defaults: 100 studies, seed 0, 1024 px.</summary>
    public static SynthOptions Default { get; } = new();

    /// <summary>Output folder (required by <see cref="SyntheticDatasetWriter"/>). Default: null.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Number of studies, 1..1,000,000. Default 100.</summary>
    public int Count { get; init; } = 100;

    /// <summary>Master seed; every random choice derives from (Seed, study index). Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Image width and height in pixels (square), 64..4096. Default 1024.</summary>
    public int ImageSize { get; init; } = 1024;

    /// <summary>Probability that a study has a pneumothorax, [0, 1]. Default 0.3.</summary>
    public double PneumothoraxRate { get; init; } = 0.3;

    /// <summary>Probability of class <see cref="FindingClass.HeartFailure"/>, [0, 1]. Default 0.2.</summary>
    public double HeartFailureRate { get; init; } = 0.2;

    /// <summary>Probability of class <see cref="FindingClass.Pneumonia"/>, [0, 1]; HeartFailureRate +
    /// PneumoniaRate must be at most 1 (the rest is Normal). Default 0.2.</summary>
    public double PneumoniaRate { get; init; } = 0.2;

    /// <summary>Probability of support devices (chest tube and/or ECG leads) unrelated to any shortcut,
    /// [0, 1]. Default 0.1.</summary>
    public double DeviceRate { get; init; } = 0.1;

    /// <summary>Planted spurious cue. Default <see cref="ShortcutKind.None"/>.</summary>
    public ShortcutKind Shortcut { get; init; } = ShortcutKind.None;

    /// <summary>In the train split, the probability that the cue equals the label (otherwise the cue is a fair
    /// coin); in validation and test the cue is always a fair coin. [0, 1]. Default 0.9.</summary>
    public double ShortcutRate { get; init; } = 0.9;

    /// <summary>Label the cue is correlated with. Default <see cref="ShortcutTarget.Pneumothorax"/>.</summary>
    public ShortcutTarget ShortcutTarget { get; init; } = ShortcutTarget.Pneumothorax;

    /// <summary>Fraction of studies in the train split, [0, 1]. Default 0.7.</summary>
    public double TrainFraction { get; init; } = 0.7;

    /// <summary>Fraction in the validation split, [0, 1]; TrainFraction + ValidationFraction at most 1 (the
    /// rest is test). Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Fraction of studies marked MONOCHROME1 for DICOM output, [0, 1]. Default 0.1.</summary>
    public double Monochrome1Rate { get; init; } = 0.1;

    /// <summary>DICOM encodings of the dataset. Default <see cref="DicomOutput.Mixed"/> (uncompressed 12-bit,
    /// uncompressed 8-bit and JPEG Baseline 8-bit studies; the choice per study is recorded in <c>studies.csv</c>
    /// and counted in the manifest).</summary>
    public DicomOutput Dicom { get; init; } = DicomOutput.Mixed;

    /// <summary>libjpeg quality of JPEG Baseline DICOMs, 1..100. Default 95.</summary>
    public int JpegQuality { get; init; } = 95;

    /// <summary>Also write 16-bit PNGs (12-bit values) under <c>images16/</c>. Default false.</summary>
    public bool Write16BitPng { get; init; }

    /// <summary>Write gaze files (EGD-CXR and REFLACX layouts). Default true.</summary>
    public bool WriteGaze { get; init; } = true;

    /// <summary>Write report files (CANDID-PTX layout). Default true.</summary>
    public bool WriteReports { get; init; } = true;

    /// <summary>Folder of real frontal chest X-rays with lung masks to insert findings into (<c>--background</c>):
    /// <c>pairs.csv</c> (columns <c>image</c>, <c>mask</c>, paths relative to the CSV) or same-name files in
    /// <c>images/</c> and <c>masks/</c>. Null (default): procedurally drawn chests.</summary>
    public string? BackgroundDirectory { get; init; }

    /// <summary>Real report corpus (<c>--report-corpus</c>): Indiana University <c>indiana_reports.csv</c> or a folder
    /// holding it. When set, reports are built from real report sentences (negatives from reports whose findings agree
    /// with the image, positives phrased like the corpus' MeSH-tagged ones); null (default): templated reports.</summary>
    public string? ReportCorpus { get; init; }

    /// <summary>Share of pneumothoraces that are tension pneumothoraces (mediastinal shift away from the affected side),
    /// [0, 1]; used with <see cref="BackgroundDirectory"/> only. Default 0.1.</summary>
    public double TensionRate { get; init; } = 0.1;

    /// <summary>How visible a pneumothorax is drawn (<c>--ptx-conspicuity</c>), [0, 1]. 1 (default) is the full rendering;
    /// lower values fade every change it makes to the image by that factor (the extra radiolucency of the pleural
    /// space, the removal of its lung markings, the visceral pleural line, the denser collapsed lung), down to 0 where
    /// the pleural space is the unmodified background. The pneumothorax masks, RLE, reports, gaze and every random draw
    /// are the same at any value: only the pixels fade. Real backgrounds (<see cref="BackgroundDirectory"/>) only: a
    /// value other than 1 without them is refused.</summary>
    public double PneumothoraxConspicuity { get; init; } = 1.0;

    /// <summary>Relative weights of the small, moderate and large pneumothorax sizes (<c>--ptx-sizes</c>): three
    /// non-negative numbers with a positive sum, normalised. Null (default): 0.4, 0.35, 0.25.</summary>
    public IReadOnlyList<double>? PneumothoraxSizeWeights { get; init; }

    /// <summary>The default weights of small, moderate and large pneumothoraces.</summary>
    public static IReadOnlyList<double> DefaultPneumothoraxSizeWeights { get; } = [0.4, 0.35, 0.25];

    /// <summary>Allow writing into an existing non-empty output folder. Default false.</summary>
    public bool Force { get; init; }

    /// <summary>Largest accepted <see cref="Count"/>.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>Smallest accepted <see cref="ImageSize"/>.</summary>
    public const int MinImageSize = 64;

    /// <summary>Largest accepted <see cref="ImageSize"/>.</summary>
    public const int MaxImageSize = 4096;

    /// <summary>Throws <see cref="InvalidSynthOptionsException"/> naming the first invalid option and its
    /// valid range.</summary>
    public void Validate()
    {
        if (Count < 1 || Count > MaxCount)
            throw Bad(nameof(Count), "--n", Count, $"an integer in [1, {MaxCount}]");
        if (ImageSize < MinImageSize || ImageSize > MaxImageSize)
            throw Bad(nameof(ImageSize), "--size", ImageSize, $"an integer in [{MinImageSize}, {MaxImageSize}]");
        Rate(nameof(PneumothoraxRate), "--ptx-rate", PneumothoraxRate);
        Rate(nameof(HeartFailureRate), "--chf-rate", HeartFailureRate);
        Rate(nameof(PneumoniaRate), "--pneumonia-rate", PneumoniaRate);
        if (HeartFailureRate + PneumoniaRate > 1 + 1e-12)
            throw new InvalidSynthOptionsException(nameof(PneumoniaRate),
                $"HeartFailureRate + PneumoniaRate is {Fmt(HeartFailureRate + PneumoniaRate)}; valid range: sum in [0, 1].");
        Rate(nameof(DeviceRate), "--device-rate", DeviceRate);
        Rate(nameof(TensionRate), "--tension-rate", TensionRate);
        Rate(nameof(PneumothoraxConspicuity), "--ptx-conspicuity", PneumothoraxConspicuity);
        if (PneumothoraxConspicuity != 1.0 && BackgroundDirectory is null)
            throw new InvalidSynthOptionsException(nameof(PneumothoraxConspicuity),
                $"PneumothoraxConspicuity (--ptx-conspicuity) is {Fmt(PneumothoraxConspicuity)}, but it applies to real backgrounds only; add --background DIR or leave it at 1.");
        if (PneumothoraxSizeWeights is { } sw)
        {
            string given = string.Join(",", sw.Select(v => Fmt(v)));
            if (sw.Count != 3)
                throw new InvalidSynthOptionsException(nameof(PneumothoraxSizeWeights),
                    $"PneumothoraxSizeWeights (--ptx-sizes) is '{given}' ({sw.Count} values); valid: three weights small,moderate,large, e.g. 0.4,0.35,0.25.");
            if (sw.Any(v => !double.IsFinite(v) || v < 0) || !(sw.Sum() > 0))
                throw new InvalidSynthOptionsException(nameof(PneumothoraxSizeWeights),
                    $"PneumothoraxSizeWeights (--ptx-sizes) is '{given}'; valid: three finite weights >= 0 with a positive sum.");
        }
        if (BackgroundDirectory is { Length: 0 })
            throw new InvalidSynthOptionsException(nameof(BackgroundDirectory), "BackgroundDirectory (--background) must not be empty.");
        if (ReportCorpus is { Length: 0 })
            throw new InvalidSynthOptionsException(nameof(ReportCorpus), "ReportCorpus (--report-corpus) must not be empty.");
        if (!Enum.IsDefined(Shortcut))
            throw Bad(nameof(Shortcut), "--shortcut", Shortcut, "one of " + string.Join(", ", ShortcutNames));
        if (!Enum.IsDefined(ShortcutTarget))
            throw Bad(nameof(ShortcutTarget), "--shortcut-target", ShortcutTarget, "pneumothorax or abnormal");
        Rate(nameof(ShortcutRate), "--shortcut-rate", ShortcutRate);
        Rate(nameof(TrainFraction), "--train", TrainFraction);
        Rate(nameof(ValidationFraction), "--val", ValidationFraction);
        if (TrainFraction + ValidationFraction > 1 + 1e-12)
            throw new InvalidSynthOptionsException(nameof(ValidationFraction),
                $"TrainFraction + ValidationFraction is {Fmt(TrainFraction + ValidationFraction)}; valid range: sum in [0, 1].");
        Rate(nameof(Monochrome1Rate), "--mono1-rate", Monochrome1Rate);
        if (!Enum.IsDefined(Dicom))
            throw Bad(nameof(Dicom), "--dicom", Dicom, "one of " + string.Join(", ", DicomNames));
        if (JpegQuality < 1 || JpegQuality > 100)
            throw Bad(nameof(JpegQuality), "--jpeg-quality", JpegQuality, "an integer in [1, 100]");
        if (OutputDirectory is { Length: 0 })
            throw new InvalidSynthOptionsException(nameof(OutputDirectory), "OutputDirectory (--out) must not be empty.");
    }

    /// <summary>CLI spellings of <see cref="ShortcutKind"/>, in enum order.</summary>
    public static IReadOnlyList<string> ShortcutNames { get; } = ["none", "corner-marker", "text-token", "intensity-curve", "device"];

    /// <summary>Parses a CLI shortcut name (<c>none</c>, <c>corner-marker</c>, <c>text-token</c>,
    /// <c>intensity-curve</c>, <c>device</c>; case-insensitive, the enum name is accepted too).</summary>
    /// <exception cref="InvalidSynthOptionsException">Unknown name; the message lists the valid ones.</exception>
    public static ShortcutKind ParseShortcut(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < ShortcutNames.Count; i++)
            if (string.Equals(text, ShortcutNames[i], StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, ((ShortcutKind)i).ToString(), StringComparison.OrdinalIgnoreCase))
                return (ShortcutKind)i;
        throw new InvalidSynthOptionsException(nameof(Shortcut),
            $"Unknown shortcut kind '{text}'; valid: {string.Join(", ", ShortcutNames)}.");
    }

    /// <summary>CLI spelling of a shortcut kind.</summary>
    public static string ShortcutName(ShortcutKind kind) => ShortcutNames[(int)kind];

    /// <summary>CLI spellings of <see cref="DicomOutput"/>, in enum order.</summary>
    public static IReadOnlyList<string> DicomNames { get; } = ["mixed", "uncompressed", "jpeg", "none"];

    /// <summary>Parses a CLI DICOM output name (<c>mixed</c>, <c>uncompressed</c>, <c>jpeg</c>, <c>none</c>;
    /// case-insensitive).</summary>
    /// <exception cref="InvalidSynthOptionsException">Unknown name; the message lists the valid ones.</exception>
    public static DicomOutput ParseDicom(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < DicomNames.Count; i++)
            if (string.Equals(text, DicomNames[i], StringComparison.OrdinalIgnoreCase)) return (DicomOutput)i;
        throw new InvalidSynthOptionsException(nameof(Dicom), $"Unknown DICOM output '{text}'; valid: {string.Join(", ", DicomNames)}.");
    }

    /// <summary>CLI spelling of a DICOM output mode.</summary>
    public static string DicomName(DicomOutput mode) => DicomNames[(int)mode];

    /// <summary>CLI spellings of <see cref="SynthOptions.ShortcutTarget"/>, in enum order.</summary>
    public static IReadOnlyList<string> ShortcutTargetNames { get; } = ["pneumothorax", "abnormal"];

    /// <summary>Parses a CLI shortcut target (<c>pneumothorax</c> or <c>abnormal</c>; case-insensitive).</summary>
    /// <exception cref="InvalidSynthOptionsException">Unknown name; the message lists the valid ones.</exception>
    public static ShortcutTarget ParseShortcutTarget(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < ShortcutTargetNames.Count; i++)
            if (string.Equals(text, ShortcutTargetNames[i], StringComparison.OrdinalIgnoreCase)) return (ShortcutTarget)i;
        throw new InvalidSynthOptionsException(nameof(ShortcutTarget),
            $"Unknown shortcut target '{text}'; valid: {string.Join(", ", ShortcutTargetNames)}.");
    }

    /// <summary>Parses <c>--ptx-sizes</c>: three comma-separated weights for small, moderate and large
    /// (<c>0.6,0.3,0.1</c>), or <c>small</c>, <c>moderate</c>, <c>large</c> for one size only.</summary>
    /// <exception cref="InvalidSynthOptionsException">Not three numbers or one size name.</exception>
    public static IReadOnlyList<double> ParsePneumothoraxSizes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        string[] names = ["small", "moderate", "large"];
        for (int i = 0; i < 3; i++)
            if (string.Equals(t, names[i], StringComparison.OrdinalIgnoreCase))
                return [i == 0 ? 1 : 0, i == 1 ? 1 : 0, i == 2 ? 1 : 0];
        var parts = t.Split(',');
        var w = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out w[i]))
                throw new InvalidSynthOptionsException(nameof(PneumothoraxSizeWeights),
                    $"--ptx-sizes '{text}': '{parts[i]}' is not a number; valid: three weights small,moderate,large (e.g. 0.6,0.3,0.1) or one of small, moderate, large.");
        return w;
    }

    /// <summary>The size of a pneumothorax for a uniform draw <paramref name="u"/> in [0, 1).</summary>
    internal PneumothoraxSize DrawPneumothoraxSize(double u)
    {
        if (PneumothoraxSizeWeights is not { } w)
            return u < 0.4 ? PneumothoraxSize.Small : u < 0.75 ? PneumothoraxSize.Moderate : PneumothoraxSize.Large;
        double sum = w[0] + w[1] + w[2];
        // Zero weights never win, even at u = 0.
        if (w[0] > 0 && u < w[0] / sum) return PneumothoraxSize.Small;
        if (w[1] > 0 && (u < (w[0] + w[1]) / sum || w[2] <= 0)) return PneumothoraxSize.Moderate;
        return w[2] > 0 ? PneumothoraxSize.Large : PneumothoraxSize.Small;
    }

    private static void Rate(string name, string flag, double value)
    {
        if (!(value >= 0 && value <= 1)) throw Bad(name, flag, value, "a number in [0, 1]");
    }

    private static InvalidSynthOptionsException Bad(string name, string flag, object value, string range) =>
        new(name, $"{name} ({flag}) is {Fmt(value)}; valid range: {range}.");

    private static string Fmt(object v) => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null";
}
