using System.CommandLine;
using Thorax.Dicom;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax dicom info FILE [--json]</c>.</summary>
internal static class DicomCommand
{
    public static Command Create()
    {
        var dicom = new Command("dicom", "DICOM files: inspect.");
        var file = new Argument<string>("file") { Description = "A DICOM Part 10 file (or a bare data set)." };
        var json = new Option<bool>("--json") { Description = "Print JSON (snake_case keys)." };
        var info = new Command("info", "Main tags, transfer syntax, pixel module, stored-value statistics and pixel_sha256.") { file, json };
        info.SetAction(r => CliErrors.Run(() =>
        {
            var path = r.GetValue(file)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
            var d = DicomInfo.Read(path);
            if (r.GetValue(json)) CliJson.PrintJson(d.ToJson()); else Console.WriteLine(d.ToText());
            return 0;
        }));
        dicom.Subcommands.Add(info);
        return dicom;
    }
}
