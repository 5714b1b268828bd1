using System.Diagnostics;
using System.Globalization;

namespace Thorax.Cli.Fuzz;

/// <summary>
/// <c>thorax fuzz --isolate</c>: runs one format's cases in a child <c>thorax fuzz</c> process that keeps a
/// <see cref="FuzzJournal"/>. When the child dies (a native fault, a stack overflow, an abort: anything that ends the
/// process instead of raising an exception), the case it was decoding is recorded as a <c>crash</c> finding (its
/// input saved with <c>--save</c>) and a new child goes on from the next case. The counts of all children add up to the
/// report an in-process run would give, plus the crashes; case K is the same input in both modes.
/// </summary>
public sealed class FuzzIsolation
{
    /// <summary>The thorax.dll the children run.</summary>
    public string CliAssembly { get; init; } = typeof(FuzzIsolation).Assembly.Location;

    /// <summary>Stop a format after this many crashes.</summary>
    public int MaxCrashes { get; init; } = 20;

    /// <summary>Findings kept in the report per outcome (as <see cref="FuzzRunner.MaxFindingsPerOutcome"/>).</summary>
    public int MaxFindingsPerOutcome { get; init; } = 5;

    /// <summary>The children's arguments besides format, cases, start and journal (seed, seeds, timeout, save).</summary>
    public IReadOnlyList<string> CommonArguments { get; init; } = [];

    public string? SaveDirectory { get; init; }

    /// <summary>Runs <paramref name="cases"/> cases of <paramref name="format"/> from case <paramref name="firstCase"/>.</summary>
    public FuzzReport Run(FuzzFormat format, long cases, int seed, long firstCase, Action<string>? log = null)
    {
        var counts = Enum.GetValues<FuzzOutcome>().ToDictionary(o => o, _ => 0L);
        var findings = new List<FuzzFinding>();
        long maxAlloc = 0, done = 0;
        int seeds = 0, crashes = 0, hangs = 0, children = 0;
        var start = firstCase;
        var remaining = cases;
        var work = Path.Combine(Path.GetTempPath(), $"thorax-fuzz-isolate-{Environment.ProcessId}-{format.Name}");
        var sw = Stopwatch.StartNew();
        try
        {
            while (remaining > 0)
            {
                var journal = Path.Combine(work, $"child-{children++}");
                var (exit, stderrHead) = RunChild(format.Name, start, remaining, journal);
                var snap = FuzzJournal.Read(journal) ?? throw new InvalidOperationException(
                    $"fuzz --isolate {format.Name}: the child process exited with code {exit} before its first case: {stderrHead}");
                seeds = snap.Seeds;
                foreach (var (o, n) in snap.Counts) counts[o] += n;
                maxAlloc = Math.Max(maxAlloc, snap.MaxAllocated);
                hangs += snap.Hangs;
                foreach (var f in snap.Findings) Keep(findings, f);
                done += snap.Done;
                remaining -= snap.Done;
                start += snap.Done;
                if (exit is 0 or 1) break; // finished, or stopped by its hang limit
                if (!snap.InCase)
                    throw new InvalidOperationException(
                        $"fuzz --isolate {format.Name}: the child process exited with code {exit} between cases: {stderrHead}");
                // The child died in case snap.CurrentCase (== start: cases run in order).
                var c = snap.CurrentCase;
                string? saved = null;
                if (SaveDirectory is not null && File.Exists(FuzzJournal.InputPath(journal)))
                {
                    Directory.CreateDirectory(SaveDirectory);
                    saved = Path.Combine(SaveDirectory, $"{format.Name}-crash-{c}{Path.GetExtension(format.FileName)}");
                    File.Copy(FuzzJournal.InputPath(journal), saved, overwrite: true);
                }
                counts[FuzzOutcome.Crash]++;
                crashes++;
                Keep(findings, new FuzzFinding(c, FuzzReport.Key(FuzzOutcome.Crash), snap.CurrentSeed, null,
                    $"the process died ({Describe(exit)}) while decoding case {c}; reproduce in process with " +
                    $"thorax fuzz --format {format.Name} --seed {seed} --start {c} --cases 1" +
                    (stderrHead.Length > 0 ? $"; its last output: {stderrHead}" : ""), null, saved));
                log?.Invoke($"  {format.Name}: case {c} crashed the child ({Describe(exit)}); restarting from case {c + 1}");
                done++;
                remaining--;
                start = c + 1;
                if (crashes >= MaxCrashes || hangs >= 3) break;
            }
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        var seconds = sw.Elapsed.TotalSeconds;
        return new FuzzReport(1, format.Name, seed, seeds, done, Math.Round(seconds, 3),
            Math.Round(done / Math.Max(seconds, 1e-9), 1), counts.ToDictionary(kv => FuzzReport.Key(kv.Key), kv => kv.Value),
            maxAlloc, findings.OrderBy(f => f.Case).ToList());
    }

    private void Keep(List<FuzzFinding> findings, FuzzFinding f)
    {
        if (findings.Count(x => x.Outcome == f.Outcome) < MaxFindingsPerOutcome) findings.Add(f);
    }

    /// <summary>"exit code 134, SIGABRT": the signal a process died of, as .NET reports it on Unix (128 + signal).</summary>
    public static string Describe(int exit)
    {
        var signal = exit > 128 && exit < 160 ? exit - 128 : 0;
        var name = signal switch
        {
            4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
            _ => signal > 0 ? $"signal {signal}" : null,
        };
        return name is null ? $"exit code {exit}" : $"exit code {exit}, {name}";
    }

    private (int Exit, string StderrHead) RunChild(string format, long start, long cases, string journal)
    {
        var psi = new ProcessStartInfo(Thorax.Cli.CrashResume.CrashResumeRunner.DotnetHost())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.ArgumentList.Add(CliAssembly);
        foreach (var a in new[] { "fuzz", "--format", format, "--cases", cases.ToString(CultureInfo.InvariantCulture),
                     "--start", start.ToString(CultureInfo.InvariantCulture), "--journal", journal, "--json" })
            psi.ArgumentList.Add(a);
        foreach (var a in CommonArguments) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        var tail = new Queue<string>();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        EventHandler onExit = (_, _) =>
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        };
        AppDomain.CurrentDomain.ProcessExit += onExit;
        try
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, e) =>
            {
                if (string.IsNullOrWhiteSpace(e.Data)) return;
                lock (tail)
                    if (tail.Count < 3) tail.Enqueue(e.Data.Trim()); // a dying runtime says why first
            };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            p.WaitForExit();
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        }
        lock (tail) return (p.ExitCode, string.Join(" | ", tail));
    }
}
