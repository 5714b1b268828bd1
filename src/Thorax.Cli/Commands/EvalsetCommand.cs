using System.CommandLine;
using Thorax.Data.Datasets;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax evalset real-ptx --data DIR --out DIR [--size N] [--json]</c>: writes a named evaluation set of
/// real images in the folder layout of <c>thorax synth</c>.</summary>
internal static class EvalsetCommand
{
    public static Command Create()
    {
        var evalset = new Command("evalset", "Named evaluation sets of real images, written in the layout of `thorax synth`.");
        var data = new Option<string>("--data") { Description = "Shared data folder holding siim/ and nih/ (e.g. ../shared/data).", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder (empty, absent, or an earlier real-ptx folder).", Required = true };
        var size = new Option<int?>("--size") { Description = "Square image size in pixels (images bilinear, masks nearest); default: native 1024." };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary (snake_case keys)." };
        var realPtx = new Command(RealPneumothoraxSet.Name,
            "The real pneumothorax images: 3 SIIM-ACR DICOMs with RLE union masks (0, 1, 4 instances) and NIH 00000013_005 (label only).")
            { data, output, size, json };
        realPtx.SetAction(r => CliErrors.Run(() =>
        {
            var set = RealPneumothoraxSet.Load(r.GetValue(data)!);
            var summary = RealPneumothoraxSetWriter.Write(set, r.GetValue(output)!, r.GetValue(size));
            if (r.GetValue(json))
            {
                CliJson.PrintJson(summary.ToJson());
                return 0;
            }
            Console.WriteLine($"{summary.Name}: {summary.Items.Count} images ({summary.Items.Count(i => i.Label == 1)} pneumothorax, "
                + $"{summary.Items.Count(i => i.MaskPixels is not null)} with a mask) -> {summary.OutDir}");
            foreach (var i in summary.Items)
                Console.WriteLine($"  {i.Id}  {i.Source}  pneumothorax={i.Label}  instances={i.Instances?.ToString() ?? "?"}  "
                    + $"ptx_pixels={i.MaskPixels?.ToString() ?? "(no mask)"}  side={(i.Side.Length == 0 ? "-" : i.Side)}");
            return 0;
        }));
        evalset.Subcommands.Add(realPtx);
        return evalset;
    }
}
