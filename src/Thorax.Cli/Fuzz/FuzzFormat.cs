namespace Thorax.Cli.Fuzz;

/// <summary>One seed input: a name (for reports), its bytes and the reader it is meant for (formats with several).</summary>
public sealed record FuzzSeed(string Name, byte[] Bytes, string Kind = "");

/// <summary>
/// A format the fuzzer drives: how to decode one input fully (header, pixels or values), which exceptions are the
/// format's own, and whether its reader needs a file on disk (then the case is written to <c>path</c> first).
/// </summary>
public sealed class FuzzFormat
{
    public required string Name { get; init; }

    /// <summary>File name of a case (its extension matters to some readers); error messages must contain it.</summary>
    public required string FileName { get; init; }

    /// <summary>Text formats also get line and field mutations.</summary>
    public bool IsText { get; init; }

    /// <summary>The reader takes a path: the case is written there before <see cref="Decode"/>.</summary>
    public bool NeedsFile { get; init; }

    /// <summary>Decodes one case fully: (bytes, source name or path, seed kind).</summary>
    public required Action<byte[], string, string> Decode { get; init; }

    /// <summary>The format's own exception types (anything else is a wrong-type finding).</summary>
    public required Func<Exception, bool> IsOwn { get; init; }

    /// <summary>Per-case managed allocation limit for this format (null: the runner's).</summary>
    public long? AllocationLimit { get; init; }

    /// <summary>A format-aware mutator made from the seeds: (random source, seed index) to a case's input (null: the
    /// blind <see cref="FuzzMutator"/>).</summary>
    public Func<IReadOnlyList<FuzzSeed>, Func<Random, int, byte[]>>? CreateMutator { get; init; }

    /// <summary>A case that stands for several files (a run folder): writes them into the case folder.</summary>
    public Action<byte[], string, string>? Materialise { get; init; }
}
