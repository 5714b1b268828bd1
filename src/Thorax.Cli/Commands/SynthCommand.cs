using System.CommandLine;
using Spectre.Console;
using Thorax.Synthetic;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax synth --out DIR --n N --seed S [options]</c>: writes a synthetic dataset in the real formats.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var d = SynthOptions.Default;
        var output = new Option<string>("--out") { Description = "Output folder (must be empty or absent unless --force).", Required = true };
        var n = new Option<int>("--n") { Description = $"Number of studies (1..{SynthOptions.MaxCount}).", DefaultValueFactory = _ => d.Count };
        var seed = new Option<long>("--seed") { Description = "Master seed; the same options give identical bytes.", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = $"Image size in pixels ({SynthOptions.MinImageSize}..{SynthOptions.MaxImageSize}).", DefaultValueFactory = _ => d.ImageSize };
        var ptx = new Option<double>("--ptx-rate") { Description = "Share of studies with a pneumothorax [0, 1].", DefaultValueFactory = _ => d.PneumothoraxRate };
        var chf = new Option<double>("--chf-rate") { Description = "Share of heart-failure studies [0, 1] (chf + pneumonia <= 1).", DefaultValueFactory = _ => d.HeartFailureRate };
        var pneumonia = new Option<double>("--pneumonia-rate") { Description = "Share of pneumonia studies [0, 1].", DefaultValueFactory = _ => d.PneumoniaRate };
        var devices = new Option<double>("--device-rate") { Description = "Share of studies with support devices (chest tube, ECG leads) [0, 1].", DefaultValueFactory = _ => d.DeviceRate };
        var shortcut = new Option<string>("--shortcut") { Description = "Spurious cue: " + string.Join(", ", SynthOptions.ShortcutNames) + ".", DefaultValueFactory = _ => "none" };
        var rate = new Option<double>("--shortcut-rate") { Description = "Train-split probability that the cue equals the label [0, 1].", DefaultValueFactory = _ => d.ShortcutRate };
        var target = new Option<string>("--shortcut-target") { Description = "Label the cue follows: " + string.Join(", ", SynthOptions.ShortcutTargetNames) + ".", DefaultValueFactory = _ => "pneumothorax" };
        var train = new Option<double>("--train") { Description = "Train split fraction [0, 1].", DefaultValueFactory = _ => d.TrainFraction };
        var val = new Option<double>("--val") { Description = "Validation split fraction [0, 1] (train + val <= 1; the rest is test).", DefaultValueFactory = _ => d.ValidationFraction };
        var mono1 = new Option<double>("--mono1-rate") { Description = "Share of DICOMs stored MONOCHROME1 [0, 1].", DefaultValueFactory = _ => d.Monochrome1Rate };
        var dicom = new Option<string>("--dicom")
        {
            Description = "DICOM encodings: mixed (per study uncompressed 12-bit, uncompressed 8-bit or JPEG baseline 8-bit), uncompressed (12- or 8-bit), jpeg (JPEG baseline 8-bit), none.",
            DefaultValueFactory = _ => SynthOptions.DicomName(d.Dicom),
        };
        var quality = new Option<int>("--jpeg-quality") { Description = "JPEG baseline quality (1..100).", DefaultValueFactory = _ => d.JpegQuality };
        var png16 = new Option<bool>("--png16") { Description = "Also write 16-bit PNGs (12-bit values)." };
        var noGaze = new Option<bool>("--no-gaze") { Description = "Do not write gaze files (EGD-CXR, REFLACX)." };
        var noReports = new Option<bool>("--no-reports") { Description = "Do not write reports (CANDID-PTX)." };
        var force = new Option<bool>("--force") { Description = "Write into a non-empty output folder." };
        var background = new Option<string?>("--background")
        {
            Description = "Folder of real frontal X-rays with lung masks (pairs.csv with image,mask columns, or same-name files in images/ and masks/): " +
                          "findings, devices and cues are inserted into them instead of drawing procedural chests.",
        };
        var corpus = new Option<string?>("--report-corpus")
        {
            Description = "Indiana University indiana_reports.csv (or its folder) to build reports from real sentences; 'none' for templated reports. " +
                          "Default with --background: <background>/../reports when it holds indiana_reports.csv, else templated.",
        };
        var tension = new Option<double>("--tension-rate") { Description = "Share of pneumothoraces with tension (mediastinal shift) [0, 1]; real backgrounds only.", DefaultValueFactory = _ => d.TensionRate };
        var conspicuity = new Option<double>("--ptx-conspicuity")
        {
            Description = "How visible pneumothoraces are drawn [0, 1]: 1 = full rendering, lower fades the added radiolucency, marking loss, pleural line " +
                          "and denser collapsed lung by that factor (0: invisible); masks, reports and gaze are unchanged. Real backgrounds only.",
            DefaultValueFactory = _ => d.PneumothoraxConspicuity,
        };
        var ptxSizes = new Option<string?>("--ptx-sizes")
        {
            Description = "Weights of small,moderate,large pneumothoraces (e.g. 0.6,0.3,0.1), or one of small, moderate, large. Default 0.4,0.35,0.25.",
        };
        var examples = new Option<string?>("--examples")
        {
            Description = $"Also write example files into this folder: {SyntheticExamples.ExamplesFile}, {SyntheticExamples.TruthFile}, {SyntheticExamples.GazeFile}, {SyntheticExamples.ReportsFile}.",
        };
        var cmd = new Command("synth", "Synthetic chest X-ray studies with masks, SIIM RLE, gaze (EGD-CXR, REFLACX), reports (CANDID-PTX), DICOM and splits.")
            { output, n, seed, size, ptx, chf, pneumonia, devices, shortcut, rate, target, train, val, mono1, dicom, quality, png16, noGaze, noReports, force, examples, background, corpus, tension, conspicuity, ptxSizes };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var options = d with
            {
                OutputDirectory = r.GetValue(output), Count = r.GetValue(n), Seed = r.GetValue(seed), ImageSize = r.GetValue(size),
                PneumothoraxRate = r.GetValue(ptx), HeartFailureRate = r.GetValue(chf), PneumoniaRate = r.GetValue(pneumonia),
                DeviceRate = r.GetValue(devices), Shortcut = SynthOptions.ParseShortcut(r.GetValue(shortcut)!), ShortcutRate = r.GetValue(rate),
                ShortcutTarget = SynthOptions.ParseShortcutTarget(r.GetValue(target)!), TrainFraction = r.GetValue(train),
                ValidationFraction = r.GetValue(val), Monochrome1Rate = r.GetValue(mono1), Dicom = SynthOptions.ParseDicom(r.GetValue(dicom)!),
                JpegQuality = r.GetValue(quality), Write16BitPng = r.GetValue(png16), WriteGaze = !r.GetValue(noGaze),
                WriteReports = !r.GetValue(noReports), Force = r.GetValue(force),
                BackgroundDirectory = r.GetValue(background), TensionRate = r.GetValue(tension),
                PneumothoraxConspicuity = r.GetValue(conspicuity),
                PneumothoraxSizeWeights = r.GetValue(ptxSizes) is { } sw ? SynthOptions.ParsePneumothoraxSizes(sw) : null,
            };
            options = options with { ReportCorpus = ResolveCorpus(r.GetValue(corpus), options.BackgroundDirectory) };
            options.Validate();
            string? exampleDir = r.GetValue(examples);
            if (exampleDir is not null && exampleDir.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--examples takes a folder (it writes {SyntheticExamples.ExamplesFile}, {SyntheticExamples.TruthFile}, " +
                                            $"{SyntheticExamples.GazeFile} and {SyntheticExamples.ReportsFile}), not a .png path: '{exampleDir}'.");
            SynthResult result = null!;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask($"synth {options.Count} studies at {options.ImageSize} px", maxValue: options.Count);
                result = SyntheticDatasetWriter.Write(options, new Progress<int>(v => task.Value = v));
                task.Value = options.Count;
            });
            Console.WriteLine($"wrote {result.Studies} studies ({result.Train} train, {result.Validation} validation, {result.Test} test; " +
                              $"{result.Pneumothorax} with pneumothorax) to {Path.GetFullPath(result.OutputDirectory)} in {result.Elapsed.TotalSeconds:F1} s " +
                              $"({result.StudiesPerSecond:F1} studies/s)");
            if (options.BackgroundDirectory is not null)
            {
                Console.WriteLine($"backgrounds: {result.BackgroundsUsed} used, {result.BackgroundsSkipped.Count} skipped (listed in manifest.json)");
                foreach (var sk in result.BackgroundsSkipped.Take(10)) Console.WriteLine($"  skipped {sk.Path}: {sk.Reason}");
                if (result.BackgroundsSkipped.Count > 10) Console.WriteLine($"  ... and {result.BackgroundsSkipped.Count - 10} more");
            }
            if (options.WriteReports)
                Console.WriteLine(options.ReportCorpus is null ? "reports: templated" : $"reports: real sentences from {Path.GetFullPath(options.ReportCorpus)}");
            if (exampleDir is not null)
                foreach (var path in SyntheticExamples.WriteAll(options, exampleDir))
                    Console.WriteLine("wrote " + Path.GetFullPath(path));
            return 0;
        }));
        return cmd;
    }

    /// <summary>--report-corpus: 'none' = templated; a path = that corpus; absent = the reports/ folder beside a
    /// background folder when it holds indiana_reports.csv.</summary>
    private static string? ResolveCorpus(string? given, string? background)
    {
        if (given is not null) return string.Equals(given, "none", StringComparison.OrdinalIgnoreCase) ? null : given;
        if (background is null) return null;
        string sibling = Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(background))) ?? ".", "reports");
        return File.Exists(Path.Combine(sibling, "indiana_reports.csv")) ? sibling : null;
    }
}
