using System.Buffers.Binary;
using System.Diagnostics;
using Thorax.Dicom.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Thorax.Dicom.Tests.Fuzz;

/// <summary>
/// Mutates DICOM files (bit flips, truncation, corrupted length fields, random bytes in the pixel data) with fixed
/// seeds and checks that every outcome is a decoded frame or a <see cref="DicomFormatException"/> /
/// <see cref="DicomCodecException"/> that names the file: never another exception type, never a hang (each case runs
/// under a <see cref="CaseTimeout"/> guard). Two runs: the real SIIM files only (skipped with a message when
/// ../shared/data is absent), and the committed corpus covering every codec; each stops after its case count or its
/// time budget, whichever comes first.
/// </summary>
public class MutationFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task ParseAndDecode_MutatedSiimFiles_OnlyNamedDicomExceptions()
    {
        var files = TestPaths.SiimFiles();
        Skip.If(files.Length == 0, TestPaths.SiimMissing);
        await Fuzz(files, seed: 20240607, iterations: 2500, budget: TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ParseAndDecode_MutatedCorpusFiles_OnlyNamedDicomExceptions()
    {
        var files = new[] { "u12_implicit_le.dcm", "u12_explicit_be.dcm", "u12_deflated.dcm", "u12_rle.dcm", "u12_jpegls.dcm",
                            "u12_jpeg_sv1.dcm", "u12_jpeg_lossless_sv6.dcm", "u12_j2k.dcm", "u8_jpeg_baseline.dcm", "mf3_rle.dcm",
                            "seq_undefined_explicit_le.dcm", "mf3_64x48_jpeg_sv1_frag_no_bot.dcm", "mf3_64x48_j2k_frag_bot.dcm" }
            .Select(TestPaths.Corpus)
            .Concat(new[] { "u12_ext_61x75_restart.dcm", "u12_ext_mf2.dcm" }.Select(n => TestPaths.Golden(Path.Combine("jpeg12", n))))
            .ToArray();
        await Fuzz(files, seed: 20240608, iterations: 2500, budget: TimeSpan.FromSeconds(15));
    }

    private async Task Fuzz(string[] paths, int seed, int iterations, TimeSpan budget)
    {
        // Arrange
        var sources = paths
            .Select(p => (Name: Path.GetFileName(p), Bytes: File.ReadAllBytes(p), Lengths: LengthFieldOffsets(File.ReadAllBytes(p))))
            .ToList();
        var rng = new Random(seed);
        var failures = new List<string>();
        int decoded = 0, rejected = 0, cases = 0;
        var clock = Stopwatch.StartNew();

        // Act
        for (; cases < iterations && clock.Elapsed < budget; cases++)
        {
            var (name, original, lengths) = sources[rng.Next(sources.Count)];
            var (bytes, how) = Mutate(original, lengths, rng);
            int frameSeed = rng.Next();
            var run = Task.Run(() =>
            {
                var file = DicomFile.Parse(bytes, name);
                var pixels = DicomPixelData.Create(file);
                pixels.DecodeFrame(frameSeed % pixels.FrameCount);
            });
            string? problem = null;
            try
            {
                if (await Task.WhenAny(run, Task.Delay(CaseTimeout)) != run) problem = $"no result within {CaseTimeout.TotalSeconds:F0} s (hang)";
                else
                {
                    await run;
                    decoded++;
                }
            }
            catch (Exception ex)
            {
                string? path = ex switch
                {
                    DicomFormatException f => f.FilePath,
                    DicomCodecException c => c.FilePath,
                    _ => null,
                };
                if (ex is not (DicomFormatException or DicomCodecException)) problem = $"{ex.GetType().Name}: {ex.Message}";
                else if (path != name || !ex.Message.Contains(name, StringComparison.Ordinal))
                    problem = $"{ex.GetType().Name} does not name the file: {ex.Message}";
                else rejected++;
            }
            if (problem is not null) failures.Add(failures.Count < 20 ? $"{name} [{how}]: {problem}" : "...");
            if (failures.Count > 0 && problem?.Contains("hang", StringComparison.Ordinal) == true) break;
        }

        // Assert
        output.WriteLine($"{cases} cases over {sources.Count} files in {clock.Elapsed.TotalSeconds:F1} s: {decoded} decoded, {rejected} named DICOM exceptions, {failures.Count} other");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
        Assert.True(cases >= 500, $"Only {cases} cases ran within the budget.");
        Assert.True(rejected > 0 && decoded > 0, $"Mutations should produce both outcomes (decoded {decoded}, rejected {rejected}).");
    }

    private static (byte[] Bytes, string How) Mutate(byte[] original, int[] lengthOffsets, Random rng)
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
                int at = lengthOffsets[rng.Next(lengthOffsets.Length)];
                uint value = rng.Next(3) switch { 0 => 0xFFFFFFFF, 1 => (uint)rng.Next(), _ => (uint)rng.Next(0, 64) };
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)value);
                if (rng.Next(2) == 0 && at + 4 <= bytes.Length) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
                return (bytes, $"length at {at} = {value}");
            }
            default:
            {
                // Corrupt a run of bytes in the last quarter (compressed pixel data).
                int start = bytes.Length * 3 / 4 + rng.Next(bytes.Length / 4);
                int count = Math.Min(1 + rng.Next(64), bytes.Length - start);
                rng.NextBytes(bytes.AsSpan(start, count));
                return (bytes, $"{count} random bytes at {start}");
            }
        }
    }

    /// <summary>Offsets of length fields of top-level elements (found by a clean parse of the original).</summary>
    private static int[] LengthFieldOffsets(byte[] bytes)
    {
        var file = DicomFile.Parse(bytes);
        var recorder = new OffsetRecorder();
        var ts = file.TransferSyntax;
        if (ts.IsDeflated || bytes.Length < 132) return [132 + 6];
        int metaLength = (int)file.FileMetaInfo.GetInt(DicomTag.FileMetaInformationGroupLength) + 12;
        new DicomReader(ts, null, 132 + metaLength).Read(bytes.AsMemory(132 + metaLength), recorder);
        return recorder.Offsets.Select(o => (int)o + 4).Where(o => o + 4 <= bytes.Length).ToArray();
    }

    private sealed class OffsetRecorder : IDicomReaderObserver
    {
        public List<long> Offsets { get; } = [];
        public void OnElement(DicomTag tag, DicomVR vr, long offset, ReadOnlyMemory<byte> value) => Offsets.Add(offset + 2);
        public void OnBeginSequence(DicomTag tag, long offset) => Offsets.Add(offset + 4);
        public void OnBeginItem(long offset) => Offsets.Add(offset);
        public void OnEndItem() { }
        public void OnEndSequence() { }
        public void OnFragmentSequence(DicomTag tag, long offset, IReadOnlyList<uint> offsetTable, IReadOnlyList<ReadOnlyMemory<byte>> fragments) => Offsets.Add(offset + 4);
    }
}
