using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Thorax.Cli.Fuzz;

/// <summary>
/// What a fuzz process has done so far, kept where its parent can read it after the process dies: a small
/// memory-mapped state (the case under way, counts per outcome, largest allocation; a shared mapping survives a
/// SIGSEGV or an abort, since the pages belong to the file, not to the process), the findings as JSON lines flushed
/// one by one, and optionally the input of the case under way (so that the parent can save the input that killed it).
/// Used by <c>thorax fuzz --isolate</c>: the parent runs the cases in a child process and restarts it after a crash.
/// </summary>
public sealed class FuzzJournal : IDisposable
{
    private const long Magic = 0x4A5A5546_58524854; // "THRXFUZJ"
    private const int Slots = 6 + 8 + 2; // magic, current, in case, done, max alloc, hangs; counts per outcome; seeds, seed of the current case
    private static readonly int Outcomes = Enum.GetValues<FuzzOutcome>().Length;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly StreamWriter _findings;
    private readonly string? _inputPath;
    private readonly string _directory;

    /// <summary>Opens (creates) the journal files in <paramref name="directory"/>, which must be empty of them.</summary>
    public FuzzJournal(string directory, bool keepInputs)
    {
        Directory.CreateDirectory(directory);
        _directory = directory;
        var state = StatePath(directory);
        using (var f = new FileStream(state, FileMode.Create, FileAccess.ReadWrite)) f.SetLength(Slots * 8);
        _map = MemoryMappedFile.CreateFromFile(state, FileMode.Open, null, Slots * 8, MemoryMappedFileAccess.ReadWrite);
        _view = _map.CreateViewAccessor(0, Slots * 8);
        _view.Write(0, Magic);
        _view.Write(8, -1L);
        _findings = new StreamWriter(new FileStream(FindingsPath(directory), FileMode.Create, FileAccess.Write, FileShare.Read));
        _inputPath = keepInputs ? InputPath(directory) : null;
    }

    public static string StatePath(string directory) => Path.Combine(directory, "state.bin");
    public static string FindingsPath(string directory) => Path.Combine(directory, "findings.jsonl");
    public static string InputPath(string directory) => Path.Combine(directory, "current.input");

    /// <summary>The run starts with these seed inputs (their names are kept to name a crashed case's seed).</summary>
    public void Start(IReadOnlyList<string> seedNames)
    {
        File.WriteAllLines(SeedsPath(_directory), seedNames);
        _view.Write(8 * 14, (long)seedNames.Count);
    }

    public static string SeedsPath(string directory) => Path.Combine(directory, "seeds.txt");

    /// <summary>Case <paramref name="index"/> starts (its input is kept when the journal keeps inputs).</summary>
    public void BeginCase(long index, int seed, byte[] input)
    {
        if (_inputPath is not null) File.WriteAllBytes(_inputPath, input);
        _view.Write(8 * 15, (long)seed);
        _view.Write(8, index);
        _view.Write(16, 1L);
    }

    /// <summary>The case under way ended with <paramref name="outcome"/>.</summary>
    public void EndCase(FuzzOutcome outcome, long done, long maxAllocated, int hangs)
    {
        var slot = 48 + 8 * (int)outcome;
        _view.Write(slot, _view.ReadInt64(slot) + 1);
        _view.Write(24, done);
        _view.Write(32, maxAllocated);
        _view.Write(40, (long)hangs);
        _view.Write(16, 0L);
    }

    public void AddFinding(FuzzFinding finding)
    {
        _findings.WriteLine(JsonSerializer.Serialize(finding));
        _findings.Flush();
    }

    public void Dispose()
    {
        _view.Flush();
        _view.Dispose();
        _map.Dispose();
        _findings.Dispose();
    }

    /// <summary>The journal as a dead or finished process left it.</summary>
    public sealed record Snapshot(long CurrentCase, string CurrentSeed, bool InCase, long Done, long MaxAllocated, int Hangs, int Seeds,
        IReadOnlyDictionary<FuzzOutcome, long> Counts, IReadOnlyList<FuzzFinding> Findings);

    /// <summary>Reads a journal; null when the process died before it created one.</summary>
    public static Snapshot? Read(string directory)
    {
        var state = StatePath(directory);
        if (!File.Exists(state)) return null;
        var bytes = File.ReadAllBytes(state);
        if (bytes.Length < Slots * 8 || BitConverter.ToInt64(bytes, 0) != Magic) return null;
        long At(int slot) => BitConverter.ToInt64(bytes, slot * 8);
        var counts = Enum.GetValues<FuzzOutcome>().ToDictionary(o => o, o => At(6 + (int)o));
        var findings = new List<FuzzFinding>();
        var path = FindingsPath(directory);
        if (File.Exists(path))
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0) continue;
                try
                {
                    if (JsonSerializer.Deserialize<FuzzFinding>(line) is { } f) findings.Add(f);
                }
                catch (JsonException)
                {
                    // the last line, cut by the crash
                }
            }
        }
        var names = File.Exists(SeedsPath(directory)) ? File.ReadAllLines(SeedsPath(directory)) : [];
        var seed = At(15) is var si && si >= 0 && si < names.Length ? names[si] : "";
        return new Snapshot(At(1), seed, At(2) != 0, At(3), At(4), (int)At(5), (int)At(14), counts, findings);
    }

    static FuzzJournal()
    {
        if (Outcomes > 8) throw new InvalidOperationException("FuzzJournal has room for 8 outcomes");
    }
}
