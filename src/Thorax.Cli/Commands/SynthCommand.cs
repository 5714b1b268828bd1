using System.CommandLine;
using Spectre.Console;
using Thorax.Synthetic;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax synth --out DIR --n N --seed S [options]</c>: writes a synthetic dataset in the real formats.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder (must be empty or absent unless --force).", Required = true };
        var n = new Option<int>("--n") { Description = "Number of studies (1..1,000,000).", DefaultValueFactory = _ => SynthOptions.Default.Count };
        var seed = new Option<long>("--seed") { Description = "Master seed; the same options give identical bytes.", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = "Image size in pixels (64..4096).", DefaultValueFactory = _ => SynthOptions.Default.ImageSize };
        var ptx = new Option<double>("--ptx-rate") { Description = "Share of studies with a pneumothorax [0, 1].", DefaultValueFactory = _ => SynthOptions.Default.PneumothoraxRate };
        var shortcut = new Option<string>("--shortcut") { Description = "Spurious cue: " + string.Join(", ", SynthOptions.ShortcutNames) + ".", DefaultValueFactory = _ => "none" };
        var rate = new Option<double>("--shortcut-rate") { Description = "Train-split probability that the cue equals the label [0, 1].", DefaultValueFactory = _ => SynthOptions.Default.ShortcutRate };
        var png16 = new Option<bool>("--png16") { Description = "Also write 16-bit PNGs (12-bit values)." };
        var force = new Option<bool>("--force") { Description = "Write into a non-empty output folder." };
        var examples = new Option<string?>("--examples") { Description = "Also write a contact sheet PNG of example studies to this path." };
        var cmd = new Command("synth", "Synthetic chest X-ray studies with masks, SIIM RLE, gaze (EGD-CXR, REFLACX), reports (CANDID-PTX), DICOM and splits.")
            { output, n, seed, size, ptx, shortcut, rate, png16, force, examples };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var options = SynthOptions.Default with
            {
                OutputDirectory = r.GetValue(output), Count = r.GetValue(n), Seed = r.GetValue(seed), ImageSize = r.GetValue(size),
                PneumothoraxRate = r.GetValue(ptx), Shortcut = SynthOptions.ParseShortcut(r.GetValue(shortcut)!), ShortcutRate = r.GetValue(rate),
                Write16BitPng = r.GetValue(png16), Force = r.GetValue(force),
            };
            options.Validate();
            SynthResult result = null!;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask($"synth {options.Count} studies at {options.ImageSize} px", maxValue: options.Count);
                result = SyntheticDatasetWriter.Write(options, new Progress<int>(v => task.Value = v));
                task.Value = options.Count;
            });
            if (r.GetValue(examples) is { } sheet) SyntheticExamples.WriteContactSheet(options, sheet);
            Console.WriteLine($"wrote {result.Studies} studies ({result.Train} train, {result.Validation} validation, {result.Test} test; " +
                              $"{result.Pneumothorax} with pneumothorax) to {Path.GetFullPath(result.OutputDirectory)} in {result.Elapsed.TotalSeconds:F1} s " +
                              $"({result.StudiesPerSecond:F1} studies/s)");
            return 0;
        }));
        return cmd;
    }
}
