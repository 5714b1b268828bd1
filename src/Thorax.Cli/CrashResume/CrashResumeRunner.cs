using System.Diagnostics;
using System.Globalization;
using Thorax.Models.Weights;
using Thorax.Synthetic;
using Thorax.Training;
using TorchSharp;

namespace Thorax.Cli.CrashResume;

/// <summary>A trainer verb of the crash-resume check: its name and its arguments, with <c>{data}</c> and <c>{run}</c>
/// standing for the dataset and the run folder.</summary>
internal sealed record CrashTrainer(string Name, IReadOnlyList<string> Arguments)
{
    /// <summary>Every trainer, on tiny settings in deterministic mode (a few short epochs on 64 px images; the
    /// plateau, step and freeze schedules are shortened so that their state changes within the run).</summary>
    public static IReadOnlyList<CrashTrainer> All { get; } =
    [
        new("lungs", ["lungs", "train", "--data", "{data}", "--out", "{run}", "--size", "64", "--epochs", "10", "--batch", "4", "--base-channels", "4",
            "--plateau-patience", "1", "--deterministic"]),
        new("ptx-classifier", ["ptx", "train-classifier", "--data", "{data}", "--run", "{run}", "--weights", "none", "--size", "64", "--epochs", "3",
            "--batch", "4", "--freeze-epochs", "1", "--plateau-patience", "1", "--deterministic"]),
        new("ptx-segmenter", ["ptx", "train-segmenter", "--data", "{data}", "--run", "{run}", "--weights", "none", "--size", "64", "--epochs", "4",
            "--batch", "4", "--freeze-epochs", "1", "--pyramid", "16", "--seg-channels", "32", "--swa-window", "2", "--deterministic"]),
        new("gdvig", ["gdvig", "train", "--data", "{data}", "--run", "{run}", "--channels", "8,16,32,64", "--blocks", "1,1,1,1", "--size", "96",
            "--epochs", "4", "--batch", "4", "--lr", "1e-3", "--step-size", "1", "--deterministic"]),
        new("saliency", ["saliency", "train", "--data", "{data}", "--run", "{run}", "--width", "small", "--epochs", "3", "--batch", "4",
            "--plateau-patience", "0", "--deterministic"]),
        new("contextual", ["contextual", "train", "--data", "{data}", "--run", "{run}", "--size", "64", "--width", "4", "--batch", "4", "--epochs", "12",
            "--deterministic"]),
    ];

    /// <summary>The trainer of that name.</summary>
    /// <exception cref="ArgumentException">No such trainer (the known ones are listed).</exception>
    public static CrashTrainer Get(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"--trainers: unknown trainer '{name}' (one of {string.Join(", ", All.Select(t => t.Name))}, or all)");
}

/// <summary>The outcome for one trainer.</summary>
/// <param name="Trainer">Its name.</param>
/// <param name="Kills">SIGKILLs sent to the interrupted run.</param>
/// <param name="KillsAtWrite">Of those, kills sent the moment a temp file of an atomic write appeared.</param>
/// <param name="Resumes">Reruns that resumed from a checkpoint or skipped a finished stage (said so on their output).</param>
/// <param name="TemporarySeen">Temp files of interrupted writes found after kills (allowed; must be gone at the end).</param>
/// <param name="Partial">Non-temp files that did not parse, after any kill or at the end.</param>
/// <param name="WeightFiles">Weight files (outside <c>checkpoints/</c>) compared.</param>
/// <param name="Equal">All of them byte-identical to the uninterrupted run's.</param>
/// <param name="ReferenceSeconds">Wall time of the uninterrupted run.</param>
/// <param name="InterruptedSeconds">Wall time of all attempts of the interrupted run.</param>
/// <param name="Problems">What failed, in words (empty when it passed).</param>
internal sealed record CrashResumeResult(string Trainer, int Kills, int KillsAtWrite, int Resumes, int TemporarySeen, int Partial, int WeightFiles,
    bool Equal, double ReferenceSeconds, double InterruptedSeconds, IReadOnlyList<string> Problems)
{
    /// <summary>No problem and at least one kill.</summary>
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// The crash-resume check: per trainer, an uninterrupted reference run, then the same command killed with SIGKILL at
/// seeded random moments (the first at a random time, the next two the instant the 1st to 3rd atomic write of the
/// attempt begins, and so on) and rerun
/// until it completes; after every kill the run folder is scanned for partial files; at the end the weight files are
/// compared byte for byte with the reference's. The trainers run as child processes of the built CLI.
/// </summary>
internal sealed partial class CrashResumeRunner
{
    [System.Text.RegularExpressions.GeneratedRegex(@"resum(?:ing|ed) after epoch|already finished", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex ResumedLine();

    /// <summary>Folder for the dataset, the run folders and the logs.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Kills per trainer (the run then completes in one more attempt).</summary>
    public int Kills { get; init; } = 3;

    /// <summary>Seed of the kill moments.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The CLI assembly the trainers run from (default: this one).</summary>
    public string CliAssembly { get; init; } = typeof(CrashResumeRunner).Assembly.Location;

    /// <summary>Progress lines.</summary>
    public Action<string> Log { get; init; } = _ => { };

    /// <summary>The shared tiny dataset (40 procedural 64 px studies with masks, gaze and reports), written once.</summary>
    public string EnsureData()
    {
        var dir = Path.Combine(WorkDirectory, "data");
        if (File.Exists(Path.Combine(dir, "manifest.json"))) return dir;
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Log($"writing the dataset to {dir}");
        SyntheticDatasetWriter.Write(new SynthOptions
        {
            OutputDirectory = dir, Count = 40, Seed = 5, ImageSize = 64, PneumothoraxRate = 0.5, Dicom = DicomOutput.None,
        });
        return dir;
    }

    /// <summary>Runs the check for one trainer (its folder under the work folder is replaced).</summary>
    public CrashResumeResult Run(CrashTrainer trainer)
    {
        var data = EnsureData();
        var dir = Path.Combine(WorkDirectory, trainer.Name);
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        var reference = Path.Combine(dir, "reference");
        var killed = Path.Combine(dir, "killed");
        var logs = Path.Combine(dir, "logs");
        foreach (var d in new[] { reference, killed, logs }) Directory.CreateDirectory(d);
        var problems = new List<string>();

        Log($"{trainer.Name}: uninterrupted reference run");
        var refRun = Attempt(trainer, data, reference, Path.Combine(logs, "reference.log"), KillPlan.None, TimeSpan.FromMinutes(30));
        if (refRun.ExitCode != 0)
        {
            problems.Add($"the reference run failed with exit code {refRun.ExitCode} (log {Path.Combine(logs, "reference.log")})");
            return new CrashResumeResult(trainer.Name, 0, 0, 0, 0, 0, 0, false, refRun.Seconds, 0, problems);
        }
        var total = refRun.Seconds;
        // Every attempt repeats the start (process, data, model); a kill at a random time comes after the reference's
        // first file appeared (start + first epoch), so each attempt most likely finishes an epoch before it dies.
        var earliest = Math.Max(0.5, refRun.FirstFileSeconds ?? total / 2);
        var rng = new Random(unchecked(Seed * 7919 + StableHash(trainer.Name)));

        int kills = 0, atWrite = 0, resumes = 0, temporary = 0, partial = 0, attempt = 0;
        double seconds = 0;
        var firstAtWrite = false;
        while (true)
        {
            attempt++;
            var plan = KillPlan.None;
            if (kills < Kills)
            {
                var delay = earliest + rng.NextDouble() * 0.5 * Math.Max(0, total - earliest);
                // Kill 1, 4, 7...: at a random time; the others at a write. A later random-time kill can come after a
                // resumed attempt (shorter: fewer epochs left) has finished; a write kill always lands.
                plan = kills % 3 != 0 || (kills == 0 && firstAtWrite)
                    ? new KillPlan(KillMode.AtWrite, TimeSpan.Zero, TimeSpan.FromSeconds(3 * total), rng.Next(3))
                    : new KillPlan(KillMode.AtTime, TimeSpan.FromSeconds(delay), TimeSpan.Zero);
            }
            var log = Path.Combine(logs, $"attempt-{attempt}.log");
            var r = Attempt(trainer, data, killed, log, plan, TimeSpan.FromSeconds(Math.Max(600, 10 * total)));
            seconds += r.Seconds;
            if (attempt > 1 && ResumedLine().IsMatch(File.ReadAllText(log))) resumes++;
            if (!r.Killed && kills == 0 && !firstAtWrite && r.ExitCode == 0)
            {
                // This attempt ran faster than the reference and finished before its random-time kill: start over
                // from an empty folder with the first kill at a write, which always lands.
                Log($"{trainer.Name}: attempt {attempt} finished before its kill at a random time; starting over, killed at a write");
                Directory.Delete(killed, true);
                Directory.CreateDirectory(killed);
                firstAtWrite = true;
                continue;
            }
            if (!r.Killed)
            {
                if (r.ExitCode != 0) problems.Add($"attempt {attempt} exited with code {r.ExitCode} (log {log})");
                break;
            }
            kills++;
            if (r.AtWrite) atWrite++;
            var scan = RunFolderScan.Of(killed);
            temporary += scan.Temporary.Count;
            partial += scan.Broken.Count;
            foreach (var b in scan.Broken) problems.Add($"after kill {kills}: partial file {b}");
            Log(string.Create(CultureInfo.InvariantCulture,
                $"{trainer.Name}: kill {kills} {(r.AtWrite ? "at a write" : "at a random time")} after {r.Seconds:F1} s; {scan.Checked} files parse, {scan.Temporary.Count} temp, {scan.Broken.Count} partial"));
            if (attempt > Kills + 5) break;
        }
        if (kills == 0) problems.Add("no kill landed: the run finished before the first kill");

        // The finished folder: every file parses, no temp file is left, the same files as the reference.
        var end = RunFolderScan.Of(killed);
        partial += end.Broken.Count;
        foreach (var b in end.Broken) problems.Add($"at the end: partial file {b}");
        foreach (var t in end.Temporary) problems.Add($"at the end: temp file left behind: {t}");
        var refFiles = Files(reference);
        var killFiles = Files(killed);
        foreach (var f in refFiles.Except(killFiles)) problems.Add($"{f}: in the reference run folder only");
        foreach (var f in killFiles.Except(refFiles)) problems.Add($"{f}: in the interrupted run folder only");

        var weights = refFiles.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) && !f.Split('/').Contains("checkpoints")).ToList();
        var equal = weights.Count > 0;
        if (weights.Count == 0) problems.Add("the reference run wrote no weight file");
        foreach (var w in weights.Where(killFiles.Contains))
        {
            var diff = Compare(Path.Combine(reference, w), Path.Combine(killed, w));
            if (diff is null) continue;
            equal = false;
            problems.Add($"{w}: {diff}");
        }
        if (weights.Any(w => !killFiles.Contains(w))) equal = false;
        return new CrashResumeResult(trainer.Name, kills, atWrite, resumes, temporary, partial, weights.Count, equal, total, seconds, problems);
    }

    private static List<string> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !RunFiles.IsTemporary(f))
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Null when the files are byte-identical; otherwise what differs, tensor by tensor.</summary>
    internal static string? Compare(string a, string b)
    {
        var x = File.ReadAllBytes(a);
        var y = File.ReadAllBytes(b);
        if (x.AsSpan().SequenceEqual(y)) return null;
        var (ta, ma) = SafeTensors.LoadWithMetadata(a);
        var (tb, mb) = SafeTensors.LoadWithMetadata(b);
        try
        {
            var differ = new List<string>();
            double worst = 0;
            foreach (var key in ta.Keys.Union(tb.Keys).Order(StringComparer.Ordinal))
            {
                if (!ta.TryGetValue(key, out var u) || !tb.TryGetValue(key, out var v))
                {
                    differ.Add(key + " (missing in one)");
                    continue;
                }
                if (!u.shape.SequenceEqual(v.shape) || u.dtype != v.dtype)
                {
                    differ.Add(key + " (shape or type)");
                    continue;
                }
                using (var same = u.eq(v).all())
                    if (same.item<bool>()) continue;
                using var d = (u.to_type(torch.ScalarType.Float64) - v.to_type(torch.ScalarType.Float64)).abs().max();
                worst = Math.Max(worst, d.item<double>());
                differ.Add(key);
            }
            var meta = ma.Count == mb.Count && ma.All(kv => mb.TryGetValue(kv.Key, out var s) && s == kv.Value) ? "" : "; metadata differs";
            return differ.Count == 0
                ? "bytes differ but every tensor is equal" + meta
                : string.Create(CultureInfo.InvariantCulture, $"{differ.Count} of {ta.Count} tensors differ (max |diff| {worst:G3}; first {differ[0]}){meta}");
        }
        finally
        {
            ta.DisposeAll();
            tb.DisposeAll();
        }
    }

    private enum KillMode
    {
        None,
        AtTime,
        AtWrite,
    }

    /// <summary>AtTime: kill after <paramref name="Delay"/>. AtWrite: after <paramref name="Delay"/>, let
    /// <paramref name="SkipWrites"/> temp files appear in the run folder, then kill the instant the next one does (the
    /// write under way), or after <paramref name="Fallback"/> more when none does.</summary>
    private sealed record KillPlan(KillMode Mode, TimeSpan Delay, TimeSpan Fallback, int SkipWrites = 0)
    {
        public static KillPlan None { get; } = new(KillMode.None, TimeSpan.Zero, TimeSpan.Zero);
    }

    private sealed record AttemptResult(int ExitCode, bool Killed, bool AtWrite, double Seconds, double? FirstFileSeconds);

    private AttemptResult Attempt(CrashTrainer trainer, string data, string run, string logPath, KillPlan plan, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = false,
        };
        psi.ArgumentList.Add(CliAssembly);
        foreach (var a in trainer.Arguments) psi.ArgumentList.Add(a.Replace("{data}", data).Replace("{run}", run));
        psi.Environment["THORAX_NUM_THREADS"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        using var log = new StreamWriter(logPath) { AutoFlush = true };
        var gate = new object();
        void Write(string? line)
        {
            if (line is null) return;
            lock (gate) log.WriteLine(line);
        }
        if (plan.Mode != KillMode.None)
            Write(plan.Mode == KillMode.AtTime
                ? string.Create(CultureInfo.InvariantCulture, $"[crash-resume] plan: kill at {plan.Delay.TotalSeconds:F2} s")
                : string.Create(CultureInfo.InvariantCulture, $"[crash-resume] plan: kill at temp file {plan.SkipWrites + 1} after {plan.Delay.TotalSeconds:F2} s"));
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        // A stopped harness (Ctrl+C, SIGTERM) takes its trainer with it.
        EventHandler onExit = (_, _) =>
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        };
        AppDomain.CurrentDomain.ProcessExit += onExit;
        p.OutputDataReceived += (_, e) => Write(e.Data);
        p.ErrorDataReceived += (_, e) => Write(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();

        var killed = 0;
        var atWrite = 0;
        void Kill()
        {
            if (Interlocked.Exchange(ref killed, 1) != 0) return;
            try
            {
                p.Kill(entireProcessTree: true); // SIGKILL on Linux
            }
            catch (InvalidOperationException)
            {
                // already exited
            }
        }

        double? firstFile = null;
        switch (plan.Mode)
        {
            case KillMode.None:
                // Poll (coarsely) for the time of the first file: the kill window of the interrupted run starts from it.
                while (!p.WaitForExit(100))
                {
                    if (firstFile is null && AnyFile(run)) firstFile = clock.Elapsed.TotalSeconds;
                    if (clock.Elapsed > timeout) Kill();
                }
                break;
            case KillMode.AtTime:
                if (!p.WaitForExit(plan.Delay)) Kill();
                break;
            case KillMode.AtWrite:
                if (!p.WaitForExit(plan.Delay))
                {
                    using var watcher = new FileSystemWatcher(run) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName };
                    var seen = 0;
                    watcher.Created += (_, e) =>
                    {
                        if (!RunFiles.IsTemporary(e.FullPath) || Interlocked.Increment(ref seen) <= plan.SkipWrites) return;
                        Interlocked.Exchange(ref atWrite, 1);
                        Kill();
                    };
                    watcher.EnableRaisingEvents = true;
                    if (!p.WaitForExit(plan.Fallback)) Kill();
                }
                break;
        }
        p.WaitForExit();
        AppDomain.CurrentDomain.ProcessExit -= onExit;
        var seconds = clock.Elapsed.TotalSeconds;
        // A kill that came after the process had finished on its own does not count.
        var wasKilled = killed == 1 && p.ExitCode != 0;
        if (killed == 1 && plan.Mode == KillMode.None)
            Write($"[crash-resume] the reference run passed its {timeout.TotalSeconds:F0} s timeout and was killed");
        Write(string.Create(CultureInfo.InvariantCulture, $"[crash-resume] exit code {p.ExitCode} after {seconds:F2} s{(wasKilled ? " (SIGKILL" + (atWrite == 1 ? " at a write)" : ")") : "")}"));
        return new AttemptResult(p.ExitCode, wasKilled && plan.Mode != KillMode.None, wasKilled && atWrite == 1, seconds, firstFile);
    }

    private static bool AnyFile(string dir)
    {
        try
        {
            return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Any();
        }
        catch (IOException)
        {
            return false; // a folder vanished under the enumeration
        }
    }

    /// <summary>The dotnet host this process runs under (to start thorax.dll children with it).</summary>
    internal static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in s) h = (h ^ c) * 16777619;
            return h;
        }
    }

    /// <summary>The results as a Markdown table.</summary>
    public static string Table(IReadOnlyList<CrashResumeResult> results)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| trainer | kills (at a write) | resumes | temp files seen | partial files | weight files | equal to uninterrupted | reference s | interrupted s | result |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Trainer} | {r.Kills} ({r.KillsAtWrite}) | {r.Resumes} | {r.TemporarySeen} | {r.Partial} | {r.WeightFiles} | {(r.Equal ? "yes" : "no")} | {r.ReferenceSeconds:F1} | {r.InterruptedSeconds:F1} | {(r.Passed ? "pass" : "FAIL")} |"));
        return sb.ToString();
    }
}
