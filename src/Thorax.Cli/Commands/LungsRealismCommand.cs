using System.CommandLine;
using Spectre.Console;
using Thorax.Pipelines.Lungs;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax lungs realism --model RUN --data SYNTH --background DIR</c>: does a lung segmenter trained on
/// plain real pairs still segment the studies made on those backgrounds?</summary>
internal static class LungsRealismCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Lung run folder (thorax lungs train on real pairs).", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset written by thorax synth --background.", Required = true };
        var background = new Option<string>("--background") { Description = "The background folder the dataset was made from.", Required = true };
        var split = new Option<string?>("--split") { Description = "Only this split (train, validation, test); default every study." };
        var limit = new Option<int?>("--limit") { Description = "At most this many studies (the first in studies.csv)." };
        var json = new Option<bool>("--json") { Description = "Print the groups as JSON (snake_case) instead of a table." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("realism", "Dice of a lung segmenter on studies with inserted findings vs on their unmodified backgrounds, by finding.")
            { model, data, background, split, limit, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            using var m = LungModel.Load(r.GetValue(model)!, dev);
            RealismReport report = null!;
            // --json keeps stdout pure JSON: no progress display then.
            if (r.GetValue(json) || Console.IsOutputRedirected)
                report = LungRealismAudit.Run(m, r.GetValue(data)!, r.GetValue(background)!, r.GetValue(split), r.GetValue(limit), null);
            else
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("realism audit", maxValue: r.GetValue(limit) ?? 1);
                    report = LungRealismAudit.Run(m, r.GetValue(data)!, r.GetValue(background)!, r.GetValue(split), r.GetValue(limit),
                        new Progress<int>(v => { task.MaxValue = Math.Max(task.MaxValue, v); task.Value = v; }));
                    task.Value = task.MaxValue;
                });
            if (r.GetValue(json))
                CliJson.Print(new
                {
                    groups = report.Groups.Select(g => new
                    {
                        group = g.Group, studies = g.Studies, dice_modified = g.DiceModified, dice_background = g.DiceBackground,
                        difference = g.Difference,
                    }),
                });
            else Console.Write(LungRealismAudit.ToMarkdown(report));
            return 0;
        }));
        return cmd;
    }
}
