using System.CommandLine;
using Thorax.Data.Siim;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax siim rle-stats CSV[.gz] [--json]</c>.</summary>
internal static class SiimCommand
{
    public static Command Create()
    {
        var siim = new Command("siim", "SIIM-ACR pneumothorax annotations.");
        var csv = new Argument<string>("csv") { Description = "SIIM training RLE CSV (plain or .gz; relative column-major RLE, -1 = empty)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var stats = new Command("rle-stats", "Per ImageId: instances, union pixel count and bounding box [row_min, col_min, row_max, col_max] on 1024x1024.")
            { csv, json };
        stats.SetAction(r => CliErrors.Run(() =>
        {
            var path = r.GetValue(csv)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
            var report = RleStats.Compute(path);
            if (r.GetValue(json)) CliJson.PrintJson(report.ToJson()); else Console.WriteLine(report.ToText());
            return 0;
        }));
        siim.Subcommands.Add(stats);
        return siim;
    }
}
