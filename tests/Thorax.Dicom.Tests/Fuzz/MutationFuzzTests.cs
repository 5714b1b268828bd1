using System.Buffers.Binary;
using System.Diagnostics;
using Thorax.Dicom.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Thorax.Dicom.Tests.Fuzz;

/// <summary>
/// Mutates real and synthetic DICOM files (bit flips, truncation, corrupted length fields) with a fixed seed and
/// checks that every outcome is a decoded frame or a <see cref="DicomException"/>. The loop stops after
/// <see cref="Iterations"/> cases or a ~20 s budget, whichever comes first.
/// </summary>
public class MutationFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    [Fact]
    public void ParseAndDecode_MutatedFiles_OnlyDicomExceptions()
    {
        // Arrange: SIIM files when present, plus the committed corpus (covers every codec).
        var sources = TestPaths.SiimFiles().Concat(
            new[] { "u12_implicit_le.dcm", "u12_explicit_be.dcm", "u12_deflated.dcm", "u12_rle.dcm", "u12_jpegls.dcm",
                    "u12_jpeg_sv1.dcm", "u12_jpeg_lossless_sv6.dcm", "u12_j2k.dcm", "u8_jpeg_baseline.dcm", "mf3_rle.dcm" }
                .Select(TestPaths.Corpus))
            .Concat(new[] { "u12_ext_61x75_restart.dcm", "u12_ext_mf2.dcm" }.Select(n => TestPaths.Golden(Path.Combine("jpeg12", n))))
            .Select(p => (Name: Path.GetFileName(p), Bytes: File.ReadAllBytes(p), Lengths: LengthFieldOffsets(File.ReadAllBytes(p))))
            .ToList();
        var rng = new Random(20240607);
        var failures = new List<string>();
        int decoded = 0, rejected = 0, cases = 0;
        var clock = Stopwatch.StartNew();

        // Act
        for (; cases < Iterations && clock.Elapsed < Budget; cases++)
        {
            var (name, original, lengths) = sources[rng.Next(sources.Count)];
            var (bytes, how) = Mutate(original, lengths, rng);
            try
            {
                var file = DicomFile.Parse(bytes, name);
                var pixels = DicomPixelData.Create(file);
                pixels.DecodeFrame(rng.Next(pixels.FrameCount));
                decoded++;
            }
            catch (DicomException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                if (failures.Count < 20) failures.Add($"{name} [{how}]: {ex.GetType().Name}: {ex.Message}");
                else failures.Add("...");
            }
        }

        // Assert
        output.WriteLine($"{cases} cases in {clock.Elapsed.TotalSeconds:F1} s: {decoded} decoded, {rejected} DicomException, {failures.Count} other");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
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
