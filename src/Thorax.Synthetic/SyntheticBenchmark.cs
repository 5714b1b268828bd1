using System.Diagnostics;

namespace Thorax.Synthetic;

/// <summary>Measures how fast <see cref="SyntheticDatasetWriter.Write"/> produces a complete dataset with the default
/// outputs (8-bit PNG twice, five mask PNGs, DICOM, gaze and report tables) into a temporary folder
/// (<c>thorax bench data</c>).</summary>
public static class SyntheticBenchmark
{
    /// <summary>Writes <paramref name="studies"/> studies of <paramref name="size"/> pixels with default options into
    /// a fresh temporary folder (deleted afterwards) and reports wall-clock and CPU throughput. A short untimed
    /// warm-up run (2 studies) first compiles the hot code paths, so the figure reflects steady-state throughput;
    /// the one-off texture tables of the timed generator are included.</summary>
    /// <param name="studies">Studies in the timed run, 1..<see cref="SynthOptions.MaxCount"/>.</param>
    /// <param name="size">Image edge in pixels, <see cref="SynthOptions.MinImageSize"/>..<see cref="SynthOptions.MaxImageSize"/>.</param>
    /// <param name="workDirectory">Parent folder for the temporary dataset; default <see cref="Path.GetTempPath"/>.</param>
    /// <param name="warmUp">Run the untimed warm-up first. Default true.</param>
    /// <param name="cancellationToken">Stops between studies.</param>
    /// <returns>Counts, wall and CPU time; see <see cref="SyntheticBenchmarkResult.StudiesPerSecondWall"/> and
    /// <see cref="SyntheticBenchmarkResult.CpuMillisecondsPerStudy"/>.</returns>
    /// <exception cref="InvalidSynthOptionsException"><paramref name="studies"/> or <paramref name="size"/> is out of range.</exception>
    public static SyntheticBenchmarkResult Measure(int studies, int size, string? workDirectory = null, bool warmUp = true,
        CancellationToken cancellationToken = default) => Measure(SynthOptions.Default, studies, size, workDirectory, warmUp, cancellationToken);

    /// <summary>As <see cref="Measure(int, int, string?, bool, CancellationToken)"/> with the other options taken from
    /// <paramref name="template"/> (e.g. <see cref="SynthOptions.BackgroundDirectory"/> and
    /// <see cref="SynthOptions.ReportCorpus"/> for studies on real X-rays; loading and checking the backgrounds is
    /// timed too).</summary>
    public static SyntheticBenchmarkResult Measure(SynthOptions template, int studies, int size, string? workDirectory = null,
        bool warmUp = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var options = template with { Count = studies, ImageSize = size, OutputDirectory = null, Force = false };
        options.Validate();
        string parent = workDirectory ?? Path.GetTempPath();
        string root = Path.Combine(parent, "thorax-bench-data-" + Guid.NewGuid().ToString("N"));
        try
        {
            if (warmUp)
                SyntheticDatasetWriter.Write(options with { Count = Math.Min(2, studies), OutputDirectory = Path.Combine(root, "warmup") },
                    cancellationToken: cancellationToken);
            string output = Path.Combine(root, "run");
            using var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var result = SyntheticDatasetWriter.Write(options with { OutputDirectory = output }, cancellationToken: cancellationToken);
            wall.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpu0;
            long bytes = new DirectoryInfo(output).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            return new SyntheticBenchmarkResult(result.Studies, size, Environment.ProcessorCount, wall.Elapsed, cpu, result.Files, bytes);
        }
        finally
        {
            try { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
