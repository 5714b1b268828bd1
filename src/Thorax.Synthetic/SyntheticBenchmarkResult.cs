namespace Thorax.Synthetic;

/// <summary>Throughput of <see cref="SyntheticDatasetWriter.Write"/> measured by <see cref="SyntheticBenchmark.Measure"/>.</summary>
/// <param name="Studies">Studies written in the timed run.</param>
/// <param name="ImageSize">Image edge in pixels.</param>
/// <param name="Threads">Worker threads the writer used (<see cref="Environment.ProcessorCount"/>).</param>
/// <param name="Wall">Wall-clock time of the timed run.</param>
/// <param name="Cpu">Process CPU time (all threads, user + kernel) consumed during the timed run.</param>
/// <param name="Files">Files written.</param>
/// <param name="Bytes">Total size of the files written, bytes.</param>
public sealed record SyntheticBenchmarkResult(int Studies, int ImageSize, int Threads, TimeSpan Wall, TimeSpan Cpu, int Files, long Bytes)
{
    /// <summary>Studies per second of wall-clock time (what a user waits for on this machine, as loaded as it was).</summary>
    public double StudiesPerSecondWall => Wall.TotalSeconds > 0 ? Studies / Wall.TotalSeconds : 0;

    /// <summary>CPU milliseconds per study (all threads): the machine-load-independent cost.</summary>
    public double CpuMillisecondsPerStudy => Studies > 0 ? Cpu.TotalMilliseconds / Studies : 0;

    /// <summary>Studies per second per fully available core (1000 / <see cref="CpuMillisecondsPerStudy"/>);
    /// multiply by the number of idle cores for the throughput to expect on an unloaded machine.</summary>
    public double StudiesPerCpuSecond => Cpu.TotalSeconds > 0 ? Studies / Cpu.TotalSeconds : 0;
}
