using System.Globalization;
using System.Text.Json.Serialization;
using Thorax.Data;
using Thorax.Data.IO;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Metrics;
using Thorax.Synthetic;

namespace Thorax.Pipelines.Lungs;

/// <summary>One study of a realism audit: the lung segmenter's Dice on the modified image (against the study's lung
/// masks) and on its unmodified background (against the background's own mask), at the study's size.</summary>
/// <param name="Id">Study id.</param>
/// <param name="Background">Background file name.</param>
/// <param name="Groups">Groups the study belongs to (normal, pneumothorax-small, tension, heart-failure, ...).</param>
/// <param name="DiceModified">Dice on the study image.</param>
/// <param name="DiceBackground">Dice on the unmodified background.</param>
public sealed record RealismStudy(string Id, string Background, IReadOnlyList<string> Groups, double DiceModified, double DiceBackground);

/// <summary>Mean Dice of one group.</summary>
/// <param name="Group">Group name.</param>
/// <param name="Studies">Studies in it.</param>
/// <param name="DiceModified">Mean Dice on the modified images.</param>
/// <param name="DiceBackground">Mean Dice on their unmodified backgrounds.</param>
public sealed record RealismGroup(string Group, int Studies, double DiceModified, double DiceBackground)
{
    /// <summary>DiceModified - DiceBackground.</summary>
    [JsonPropertyName("difference")]
    public double Difference => DiceModified - DiceBackground;
}

/// <summary>Result of <see cref="LungRealismAudit.Run"/>.</summary>
/// <param name="Groups">"all" first, then each group present.</param>
/// <param name="Studies">Per-study rows in studies.csv order.</param>
public sealed record RealismReport(IReadOnlyList<RealismGroup> Groups, IReadOnlyList<RealismStudy> Studies);

/// <summary>
/// Realism check of studies made on real backgrounds (<c>thorax synth --background</c>): a lung segmenter trained on
/// plain real pairs segments each modified study and its unmodified background; if the inserted findings look like
/// part of a radiograph rather than foreign objects, the two Dice values agree (the issue asks for a mean difference
/// within 0.01). Studies are grouped by what was inserted, so a finding that disturbs the segmenter shows up by name.
/// </summary>
public static class LungRealismAudit
{
    /// <summary>Audits the studies of <paramref name="synthDirectory"/> (its <c>studies.csv</c>, <c>images/</c> and
    /// <c>masks/lungs/</c>) whose split is <paramref name="split"/> (null: all), at most <paramref name="limit"/>.</summary>
    /// <param name="model">Lung segmenter (e.g. a <c>thorax lungs train</c> run on the real pairs).</param>
    /// <param name="synthDirectory">Dataset written by <c>thorax synth --background</c>.</param>
    /// <param name="backgroundDirectory">The background folder the dataset was made from.</param>
    /// <param name="split">train, validation or test; null for every study.</param>
    /// <param name="limit">Largest number of studies audited (the first in file order).</param>
    /// <param name="progress">Studies done so far.</param>
    /// <exception cref="DataFormatException">studies.csv lacks a column, or names a background that is not in the folder.</exception>
    public static RealismReport Run(LungModel model, string synthDirectory, string backgroundDirectory, string? split = null,
        int? limit = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        string csvPath = Path.Combine(synthDirectory, "studies.csv");
        var csv = CsvTable.Read(csvPath);
        int id = csv.Require("id"), sp = csv.Require("split"), cls = csv.Require("class"), ptx = csv.Require("pneumothorax"),
            size = csv.Require("ptx_size"), tension = csv.Require("ptx_tension"), bg = csv.Require("background"),
            tube = csv.Require("chest_tube"), ecg = csv.Require("ecg_leads"), cue = csv.Require("shortcut_cue");
        var backgrounds = BackgroundSet.Load(backgroundDirectory).Backgrounds.ToDictionary(b => b.Name, StringComparer.Ordinal);
        var rows = new List<RealismStudy>();
        foreach (var r in csv.Records)
        {
            if (split is not null && !string.Equals(CsvTable.Field(r, sp), split, StringComparison.OrdinalIgnoreCase)) continue;
            if (limit is { } l && rows.Count >= l) break;
            string name = CsvTable.Field(r, bg);
            if (!backgrounds.TryGetValue(name, out var background))
                throw csv.Error(r, bg, name.Length == 0
                    ? "no background named (the dataset was not made with --background)"
                    : $"background '{name}' is not a usable pair in {backgroundDirectory}");
            string sid = CsvTable.Field(r, id);
            var image = Png.Read(Path.Combine(synthDirectory, "images", sid + ".png")).Image8
                ?? throw new DataFormatException($"{Path.Combine(synthDirectory, "images", sid + ".png")}: not an 8-bit image");
            var truth = Png.Read(Path.Combine(synthDirectory, "masks", "lungs", sid + ".png")).Image8
                ?? throw new DataFormatException($"{Path.Combine(synthDirectory, "masks", "lungs", sid + ".png")}: not an 8-bit mask");
            var (bgImage, bgLungs) = BackgroundSet.Render(background, image.Width);
            double dm = SegmentationMetrics.Dice(model.Segment(image).Data, truth.Data);
            double db = SegmentationMetrics.Dice(model.Segment(bgImage).Data, bgLungs.Data);
            var groups = new List<string>();
            bool hasPtx = CsvTable.Field(r, ptx) == "1";
            string c = CsvTable.Field(r, cls);
            if (!hasPtx && c == "Normal") groups.Add("normal");
            if (hasPtx) groups.Add("pneumothorax-" + CsvTable.Field(r, size));
            if (CsvTable.Field(r, tension) == "1") groups.Add("tension");
            if (c == "CHF") groups.Add("heart-failure");
            if (c == "pneumonia") groups.Add("pneumonia");
            if (CsvTable.Field(r, tube) == "1" || CsvTable.Field(r, ecg) == "1") groups.Add("devices");
            if (CsvTable.Field(r, cue) == "1") groups.Add("shortcut-cue");
            rows.Add(new RealismStudy(sid, name, groups, dm, db));
            progress?.Report(rows.Count);
        }
        if (rows.Count == 0) throw new DataFormatException($"{csvPath}: no study{(split is null ? "" : $" in split '{split}'")}");
        var result = new List<RealismGroup> { Summarise("all", rows) };
        string[] order = ["normal", "pneumothorax-small", "pneumothorax-moderate", "pneumothorax-large", "tension", "heart-failure",
            "pneumonia", "devices", "shortcut-cue"];
        foreach (var g in order)
        {
            var members = rows.Where(x => x.Groups.Contains(g)).ToList();
            if (members.Count > 0) result.Add(Summarise(g, members));
        }
        return new RealismReport(result, rows);
    }

    private static RealismGroup Summarise(string name, List<RealismStudy> rows) =>
        new(name, rows.Count, rows.Average(x => x.DiceModified), rows.Average(x => x.DiceBackground));

    /// <summary>The report as a Markdown table (group, studies, Dice modified, Dice background, difference).</summary>
    public static string ToMarkdown(RealismReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new System.Text.StringBuilder();
        sb.Append("| group | studies | Dice modified | Dice background | difference |\n|---|---:|---:|---:|---:|\n");
        foreach (var g in report.Groups)
            sb.Append(CultureInfo.InvariantCulture, $"| {g.Group} | {g.Studies} | {g.DiceModified:F4} | {g.DiceBackground:F4} | {g.Difference:+0.0000;-0.0000;0.0000} |\n");
        return sb.ToString();
    }
}
