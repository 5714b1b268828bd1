using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Thorax.Cli.Fuzz;

/// <summary>What one fuzz case did.</summary>
public enum FuzzOutcome
{
    /// <summary>Decoded without error.</summary>
    Decoded,
    /// <summary>Refused with the format's own exception, whose message names the file.</summary>
    Rejected,
    /// <summary>The format's own exception, but its message does not name the file.</summary>
    Unnamed,
    /// <summary>Another exception type (a crash from the caller's point of view).</summary>
    WrongType,
    /// <summary>Still running after the per-case time limit.</summary>
    Hang,
    /// <summary>Allocated more than the per-case limit, or ran out of memory.</summary>
    Allocation,
    /// <summary>The process died while decoding the case (a native fault, a stack overflow, an abort); only seen with
    /// <c>--isolate</c>, where a parent process runs the cases in a child and restarts it.</summary>
    Crash,
}

/// <summary>One case that was not decoded or rejected properly.</summary>
public sealed record FuzzFinding(
    [property: JsonPropertyName("case")] long Case,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("seed")] string Seed,
    [property: JsonPropertyName("exception")] string? Exception,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("where")] string? Where,
    [property: JsonPropertyName("saved_as")] string? SavedAs);

/// <summary>The counts of one format's run.</summary>
public sealed record FuzzReport(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("seeds")] int Seeds,
    [property: JsonPropertyName("cases")] long Cases,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("cases_per_second")] double CasesPerSecond,
    [property: JsonPropertyName("outcomes")] IReadOnlyDictionary<string, long> Outcomes,
    [property: JsonPropertyName("max_case_allocated_bytes")] long MaxCaseAllocatedBytes,
    [property: JsonPropertyName("findings")] IReadOnlyList<FuzzFinding> Findings)
{
    /// <summary>Findings in total (wrong type, unnamed, hang, allocation, crash).</summary>
    [JsonIgnore]
    public long Failures => Outcomes.Where(kv => kv.Key is not ("decoded" or "rejected")).Sum(kv => kv.Value);

    public static string Key(FuzzOutcome o) => o switch
    {
        FuzzOutcome.Decoded => "decoded",
        FuzzOutcome.Rejected => "rejected",
        FuzzOutcome.Unnamed => "unnamed",
        FuzzOutcome.WrongType => "wrong_type",
        FuzzOutcome.Hang => "hang",
        FuzzOutcome.Allocation => "allocation",
        _ => "crash",
    };

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// Runs mutated cases of one format on a worker thread under a watchdog: each case gets <see cref="CaseTimeout"/>
/// (a case still running then is a hang: its thread is abandoned and a fresh worker takes the next case) and may
/// allocate at most <see cref="AllocationLimit"/> managed bytes (measured on the worker thread).
/// </summary>
public sealed class FuzzRunner
{
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Per-case managed allocation limit: a length field must not make the reader allocate what it claims.</summary>
    public long AllocationLimit { get; init; } = 256L << 20;

    /// <summary>Stop a format after this many hangs (each leaves a thread behind).</summary>
    public int MaxHangs { get; init; } = 3;

    /// <summary>Findings kept in the report per outcome.</summary>
    public int MaxFindingsPerOutcome { get; init; } = 5;

    /// <summary>Where findings' inputs are saved (null: not saved).</summary>
    public string? SaveDirectory { get; init; }

    /// <summary>Progress kept where a parent process can read it if this one dies (<c>--isolate</c>'s child).</summary>
    public FuzzJournal? Journal { get; init; }

    /// <summary>Diagnostic for the isolation tests: <c>THORAX_FUZZ_CRASH_AT=K</c> makes a journaled run abort the
    /// process (<see cref="Environment.FailFast(string)"/>) when it reaches case K, as a native fault would.</summary>
    public static long? CrashAt { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("THORAX_FUZZ_CRASH_AT"), out var k) ? k : null;

    public FuzzReport Run(FuzzFormat format, IReadOnlyList<FuzzSeed> seeds, long cases, int seed, long firstCase = 0,
        Action<long, long>? progress = null)
    {
        if (seeds.Count == 0) throw new ArgumentException($"fuzz {format.Name}: no seed inputs");
        var caseDir = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
            $"thorax-fuzz-{Environment.ProcessId}-{format.Name}");
        Directory.CreateDirectory(caseDir);
        var lengthOffsets = seeds.Select(s => FuzzMutator.LengthCandidates(s.Bytes)).ToArray();
        var fieldHints = seeds.Select(s => format.IsText ? [] : FuzzMutator.FieldHints(s.Bytes)).ToArray();
        var mutator = new FuzzMutator();
        var custom = format.CreateMutator?.Invoke(seeds);
        var counts = Enum.GetValues<FuzzOutcome>().ToDictionary(FuzzReport.Key, _ => 0L);
        var findings = new List<FuzzFinding>();
        long maxAlloc = 0;
        var hangs = 0;
        var allocationLimit = format.AllocationLimit ?? AllocationLimit;
        var worker = new Worker();
        Journal?.Start(seeds.Select(x => x.Name).ToList());
        var sw = Stopwatch.StartNew();
        long done = 0;
        try
        {
            for (var c = firstCase; c < firstCase + cases; c++)
            {
                // Each case's input depends only on (seed, case index): --start N --cases 1 reproduces case N.
                var rng = new Random(CaseSeed(seed, format.Name, c));
                var si = rng.Next(seeds.Count);
                var s = seeds[si];
                var input = rng.Next(20) == 0 ? s.Bytes
                    : custom is not null ? custom(rng, si)
                    : mutator.Mutate(rng, s.Bytes, lengthOffsets[si], seeds[rng.Next(seeds.Count)].Bytes, format.IsText, fieldHints[si]);
                var source = Path.Combine(caseDir, format.FileName);
                if (format.Materialise is not null) format.Materialise(input, caseDir, s.Kind);
                else if (format.NeedsFile) File.WriteAllBytes(source, input);
                if (format.Materialise is not null) source = caseDir;

                Journal?.BeginCase(c, si, input);
                Action decode = Journal is not null && CrashAt == c
                    ? () => Environment.FailFast($"THORAX_FUZZ_CRASH_AT={c}: simulated crash")
                    : () => format.Decode(input, source, s.Kind);
                var result = worker.Execute(decode, CaseTimeout);
                FuzzOutcome outcome;
                if (result is null)
                {
                    outcome = FuzzOutcome.Hang;
                    hangs++;
                    worker = new Worker(); // the old one is left to finish (or not) on its own
                }
                else
                {
                    maxAlloc = Math.Max(maxAlloc, result.Allocated);
                    outcome = result.Error switch
                    {
                        null => result.Allocated > allocationLimit ? FuzzOutcome.Allocation : FuzzOutcome.Decoded,
                        OutOfMemoryException or InsufficientExecutionStackException => FuzzOutcome.Allocation,
                        var e when result.Allocated > allocationLimit => FuzzOutcome.Allocation,
                        var e when format.IsOwn(e) => e.Message.Contains(format.FileName, StringComparison.Ordinal) ||
                                                      e.Message.Contains(source, StringComparison.Ordinal)
                            ? FuzzOutcome.Rejected : FuzzOutcome.Unnamed,
                        _ => FuzzOutcome.WrongType,
                    };
                }
                counts[FuzzReport.Key(outcome)]++;
                if (outcome is not (FuzzOutcome.Decoded or FuzzOutcome.Rejected) &&
                    findings.Count(f => f.Outcome == FuzzReport.Key(outcome)) < MaxFindingsPerOutcome)
                {
                    string? saved = null;
                    if (SaveDirectory is not null)
                    {
                        Directory.CreateDirectory(SaveDirectory);
                        saved = Path.Combine(SaveDirectory, $"{format.Name}-{FuzzReport.Key(outcome)}-{c}{Path.GetExtension(format.FileName)}");
                        File.WriteAllBytes(saved, input);
                    }
                    var e = result?.Error;
                    var message = outcome switch
                    {
                        FuzzOutcome.Hang => $"still running after {CaseTimeout.TotalSeconds:0} s",
                        FuzzOutcome.Allocation when e is null or not OutOfMemoryException =>
                            $"allocated {result!.Allocated:N0} bytes for a {input.Length:N0}-byte input" + (e is null ? "" : $" ({e.GetType().Name}: {e.Message})"),
                        _ => e?.Message ?? "",
                    };
                    var finding = new FuzzFinding(c, FuzzReport.Key(outcome), s.Name, e?.GetType().FullName, message,
                        e?.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Thorax.", StringComparison.Ordinal)), saved);
                    findings.Add(finding);
                    Journal?.AddFinding(finding);
                }
                done++;
                Journal?.EndCase(outcome, done, maxAlloc, hangs);
                progress?.Invoke(done, cases);
                if (hangs >= MaxHangs) break;
            }
        }
        finally
        {
            worker.Stop();
            try { Directory.Delete(caseDir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        var seconds = sw.Elapsed.TotalSeconds;
        return new FuzzReport(1, format.Name, seed, seeds.Count, done, Math.Round(seconds, 3),
            Math.Round(done / Math.Max(seconds, 1e-9), 1), counts, maxAlloc, findings);
    }

    /// <summary>A stable 31-bit seed from (run seed, format, case index): FNV-1a of the name, then SplitMix64.</summary>
    public static int CaseSeed(int seed, string format, long index)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in format) h = (h ^ ch) * 1099511628211UL;
        var z = h ^ ((ulong)(uint)seed << 32) ^ (ulong)index;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    private sealed record CaseResult(Exception? Error, long Allocated);

    /// <summary>A background thread that runs one case at a time; abandoned when a case hangs.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _start = new(0);
        private readonly Thread _thread;
        private Action? _work;
        private volatile bool _stop;
        private TaskCompletionSource<CaseResult>? _done;

        public Worker()
        {
            _thread = new Thread(Loop, 64 << 20) { IsBackground = true, Name = "thorax-fuzz" };
            _thread.Start();
        }

        public CaseResult? Execute(Action work, TimeSpan timeout)
        {
            _work = work;
            _done = new TaskCompletionSource<CaseResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var done = _done.Task;
            _start.Release();
            return done.Wait(timeout) ? done.Result : null;
        }

        public void Stop()
        {
            _stop = true;
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                if (_stop) return;
                var before = GC.GetAllocatedBytesForCurrentThread();
                Exception? error = null;
                try
                {
                    _work!();
                }
                catch (Exception e)
                {
                    error = e;
                }
                _done!.SetResult(new CaseResult(error, GC.GetAllocatedBytesForCurrentThread() - before));
            }
        }
    }
}
