using System.CommandLine;
using Thorax.Cli.CrashResume;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax crash-resume [--trainers a,b|all] [--kills 3] [--seed 1] [--work DIR]</c>: SIGKILLs each trainer at
/// random moments, resumes it, and checks the final weights against an uninterrupted run bit for bit.</summary>
internal static class CrashResumeCommand
{
    public static Command Create()
    {
        var trainers = new Option<string>("--trainers") { Description = $"Trainers, comma-separated, or all: {string.Join(", ", CrashTrainer.All.Select(t => t.Name))}.", DefaultValueFactory = _ => "all" };
        var kills = new Option<int>("--kills") { Description = "SIGKILLs per trainer before the run may complete.", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the kill moments.", DefaultValueFactory = _ => 1 };
        var work = new Option<string>("--work") { Description = "Folder for the dataset, run folders and logs (each trainer's sub-folder is replaced).", DefaultValueFactory = _ => "crash-resume-out" };
        var cli = new Option<string?>("--cli") { Description = "The thorax.dll the trainers run from (default: this one)." };
        var cmd = new Command("crash-resume",
            "Crash-resume check: per trainer (tiny settings, --deterministic) an uninterrupted run, then the same command killed with SIGKILL " +
            "at seeded random moments (one in three at a random time, the others the instant an atomic write begins) and rerun until it completes; " +
            "after every kill every file of the run folder must parse (temp files of interrupted writes allowed, and gone at the end); " +
            "the final weight files must equal the uninterrupted run's byte for byte. Prints a table (also WORK/table.md); exit 1 on any failure.")
            { trainers, kills, seed, work, cli };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var names = r.GetValue(trainers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var list = names.Contains("all") ? CrashTrainer.All : names.Select(CrashTrainer.Get).ToList();
            var n = r.GetValue(kills);
            if (n < 1) throw new ArgumentException($"--kills must be at least 1, got {n}");
            var dir = Path.GetFullPath(r.GetValue(work)!);
            var dll = r.GetValue(cli) is { } c ? Path.GetFullPath(c) : null;
            if (dll is not null && !File.Exists(dll)) throw new FileNotFoundException($"--cli: {dll}: no such file");
            Directory.CreateDirectory(dir);
            var runner = new CrashResumeRunner
            {
                WorkDirectory = dir, Kills = n, Seed = r.GetValue(seed), Log = line => Console.Error.WriteLine(line),
                CliAssembly = dll ?? typeof(CrashResumeRunner).Assembly.Location,
            };
            var results = new List<CrashResumeResult>();
            foreach (var t in list)
            {
                var res = runner.Run(t);
                results.Add(res);
                foreach (var p in res.Problems) Console.Error.WriteLine($"{t.Name}: {p}");
            }
            var table = CrashResumeRunner.Table(results);
            Thorax.Training.RunFiles.WriteText(Path.Combine(dir, "table.md"), table);
            Console.Write(table);
            return results.All(x => x.Passed) ? 0 : 1;
        }));
        return cmd;
    }
}
