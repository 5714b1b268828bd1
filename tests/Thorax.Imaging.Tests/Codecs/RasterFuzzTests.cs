using System.Diagnostics;
using Thorax.Imaging.Codecs;
using Xunit.Abstractions;

namespace Thorax.Imaging.Tests.Codecs;

/// <summary>
/// Mutates PNG and JPEG files (bit flips, truncation, random bytes, a corrupted chunk or segment length) with a fixed
/// seed: every outcome must be a decoded image or an <see cref="ImageFormatException"/> that names the file, never
/// another exception type or a hang (each case runs under a time guard). Inputs: the committed codec goldens (every
/// PNG colour type, bit depth, filter and interlacing; baseline JPEGs of several subsamplings) and, when
/// ../shared/data is present, real lung PNGs.
/// </summary>
public class RasterFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Decode_MutatedPngAndJpegFiles_OnlyNamedImageFormatExceptions()
    {
        // Arrange
        var dir = TestData.Golden("codecs");
        var files = Directory.GetFiles(dir, "*.png").Concat(Directory.GetFiles(dir, "*.jpg")).OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (TestData.SharedData is { } shared && Directory.Exists(Path.Combine(shared, "lungs", "images")))
            files.AddRange(Directory.GetFiles(Path.Combine(shared, "lungs", "images"), "*.png").OrderBy(f => f, StringComparer.Ordinal).Take(3));
        var sources = files.Select(f => (Name: Path.GetFileName(f), Bytes: File.ReadAllBytes(f))).ToList();
        var rng = new Random(20261122);
        var failures = new List<string>();
        int decoded = 0, rejected = 0, cases = 0;
        var clock = Stopwatch.StartNew();

        // Act
        for (; cases < 20000 && clock.Elapsed < TimeSpan.FromSeconds(20); cases++)
        {
            var (name, original) = sources[rng.Next(sources.Count)];
            var (bytes, how) = Mutate(original, rng);
            bool jpeg = name.EndsWith(".jpg", StringComparison.Ordinal);
            var run = Task.Run(() =>
            {
                if (jpeg) Jpeg.Decode(bytes, name);
                else Png.Decode(bytes, name);
            });
            string? problem = null;
            try
            {
                if (await Task.WhenAny(run, Task.Delay(CaseTimeout)) != run) problem = "hang";
                else
                {
                    await run;
                    decoded++;
                }
            }
            catch (Exception ex)
            {
                if (ex is not ImageFormatException f) problem = $"{ex.GetType().Name}: {ex.Message}";
                else if (f.FilePath != name || !f.Message.Contains(name, StringComparison.Ordinal)) problem = $"does not name the file: {f.Message}";
                else rejected++;
            }
            if (problem is not null) failures.Add(failures.Count < 20 ? $"{name} [{how}]: {problem}" : "...");
            if (problem == "hang") break;
        }

        // Assert
        output.WriteLine($"{cases} cases over {sources.Count} files in {clock.Elapsed.TotalSeconds:F1} s: {decoded} decoded, {rejected} named ImageFormatException, {failures.Count} other");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
        Assert.True(cases >= 500, $"Only {cases} cases ran within the budget.");
        Assert.True(decoded > 0 && rejected > 0, $"Mutations should produce both outcomes (decoded {decoded}, rejected {rejected}).");
    }

    private static (byte[] Bytes, string How) Mutate(byte[] original, Random rng)
    {
        var bytes = (byte[])original.Clone();
        switch (rng.Next(4))
        {
            case 0:
            {
                int flips = 1 + rng.Next(8);
                for (int i = 0; i < flips; i++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                return (bytes, $"{flips} bit flips");
            }
            case 1:
            {
                int keep = rng.Next(bytes.Length);
                return (bytes[..keep], $"truncated to {keep}");
            }
            case 2:
            {
                // A length field near the start (PNG chunk lengths at 8 and 33; JPEG segment lengths follow markers).
                int at = Math.Min(bytes.Length - 2, rng.Next(2) == 0 ? (rng.Next(2) == 0 ? 8 : 33) : 4 + rng.Next(Math.Min(200, bytes.Length - 6)));
                bytes[at] = (byte)rng.Next(256);
                bytes[at + 1] = (byte)rng.Next(256);
                return (bytes, $"length-like bytes at {at}");
            }
            default:
            {
                int start = rng.Next(bytes.Length);
                int count = Math.Min(1 + rng.Next(64), bytes.Length - start);
                rng.NextBytes(bytes.AsSpan(start, count));
                return (bytes, $"{count} random bytes at {start}");
            }
        }
    }
}
