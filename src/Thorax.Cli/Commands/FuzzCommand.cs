using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Thorax.Cli.Fuzz;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax fuzz --format F[,F...]|all --cases N [--seed S] [--start K] [--seeds DIR]... [--save DIR] [--json]</c>.</summary>
internal static class FuzzCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = $"Formats, comma-separated, or all: {string.Join(", ", FuzzCatalog.Names)}.", Required = true };
        var cases = new Option<long>("--cases") { Description = "Cases per format.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Run seed: case K of a seed is always the same input.", DefaultValueFactory = _ => 1 };
        var start = new Option<long>("--start") { Description = "First case index (with --cases 1: reproduce one case).", DefaultValueFactory = _ => 0 };
        var seeds = new Option<string[]>("--seeds") { Description = "Folders of seed files (default: the repository's tests/data and ../shared/data when found).", AllowMultipleArgumentsPerToken = true };
        var save = new Option<string?>("--save") { Description = "Save the inputs of findings (wrong type, unnamed, hang, allocation) here." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a case may run before it counts as a hang.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print JSON (snake_case keys, version 1)." };
        var isolate = new Option<bool>("--isolate") { Description = "Run the cases in a child process, restarted after a crash: a case that kills the process (native fault, stack overflow, abort) is a 'crash' finding and the run goes on." };
        var journal = new Option<string?>("--journal") { Description = "(internal: --isolate's child) keep progress in this folder.", Hidden = true };
        var cmd = new Command("fuzz",
            "Mutates real and generated inputs of Thorax's readers (bit flips, truncation, length-field inflation, splicing, " +
            "text field mutations): every case must decode or raise the format's own exception naming the file; no other " +
            "exception type, hang or unbounded allocation. Prints cases/s and counts per outcome; exit 1 on any finding.")
            { format, cases, seed, start, seeds, save, timeout, json, isolate, journal };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var names = r.GetValue(format)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Contains("all")) names = FuzzCatalog.Names.ToArray();
            var formats = names.Select(FuzzCatalog.Get).ToList();
            var n = r.GetValue(cases);
            if (n < 1) throw new ArgumentException("--cases must be at least 1");
            var folders = r.GetValue(seeds) is { Length: > 0 } given ? given : FuzzCatalog.DefaultFolders();
            foreach (var f in folders.Where(f => !Directory.Exists(f))) throw new DirectoryNotFoundException($"--seeds: {f}: no such folder");
            var work = Path.Combine(Path.GetTempPath(), $"thorax-fuzz-seeds-{Environment.ProcessId}");
            var journalDir = r.GetValue(journal);
            if (journalDir is not null && formats.Count != 1) throw new ArgumentException("--journal takes one --format");
            using var journalFile = journalDir is null ? null : new FuzzJournal(journalDir, keepInputs: r.GetValue(save) is not null);
            var runner = new FuzzRunner { CaseTimeout = TimeSpan.FromSeconds(r.GetValue(timeout)), SaveDirectory = r.GetValue(save), Journal = journalFile };
            var asJson = r.GetValue(json);
            var reports = new List<FuzzReport>();
            try
            {
                foreach (var f in formats)
                {
                    if (r.GetValue(isolate) && journalDir is null)
                    {
                        if (!asJson) Console.Error.WriteLine($"{f.Name}: {n} cases in child processes");
                        var common = new List<string> { "--seed", r.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                            "--timeout", r.GetValue(timeout).ToString(CultureInfo.InvariantCulture) };
                        foreach (var folder in folders) common.AddRange(["--seeds", Path.GetFullPath(folder)]);
                        if (r.GetValue(save) is { } saveDir) common.AddRange(["--save", Path.GetFullPath(saveDir)]);
                        var isolated = new FuzzIsolation { CommonArguments = common, SaveDirectory = r.GetValue(save) }
                            .Run(f, n, r.GetValue(seed), r.GetValue(start), asJson ? null : Console.Error.WriteLine);
                        reports.Add(isolated);
                        if (!asJson) Print(isolated);
                        continue;
                    }
                    var s = FuzzCatalog.Seeds(f.Name, folders, work);
                    if (!asJson) Console.Error.WriteLine($"{f.Name}: {s.Count} seeds, {n} cases");
                    var lastPrint = DateTime.UtcNow;
                    var report = runner.Run(f, s, n, r.GetValue(seed), r.GetValue(start), (done, total) =>
                    {
                        if (asJson || (DateTime.UtcNow - lastPrint).TotalSeconds < 5) return;
                        lastPrint = DateTime.UtcNow;
                        Console.Error.WriteLine($"  {f.Name}: {done}/{total}");
                    });
                    reports.Add(report);
                    if (!asJson) Print(report);
                }
            }
            finally
            {
                try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            if (asJson)
                CliJson.Print(new Dictionary<string, object> { ["formats"] = reports });
            return reports.Any(x => x.Failures > 0) ? 1 : 0;
        }));
        return cmd;
    }

    private static void Print(FuzzReport r)
    {
        Console.WriteLine($"{r.Format}: {r.Cases} cases in {r.Seconds:0.0} s ({r.CasesPerSecond:0.#} cases/s), {r.Seeds} seeds: " +
                          string.Join(", ", r.Outcomes.Select(kv => $"{kv.Key} {kv.Value}")) +
                          $"; largest case allocation {r.MaxCaseAllocatedBytes / 1048576.0:0.0} MiB");
        foreach (var f in r.Findings)
            Console.WriteLine($"  case {f.Case} ({f.Outcome}, seed {f.Seed}): {f.Exception}: {f.Message}" +
                              (f.Where is null ? "" : $" [{f.Where}]") + (f.SavedAs is null ? "" : $" -> {f.SavedAs}"));
    }
}
