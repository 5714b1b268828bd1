namespace Thorax.Synthetic.Tests.Writer;

public class SyntheticBenchmarkTests
{
    [Fact]
    public void Measure_SmallRun_CountsEverythingAndCleansUp()
    {
        string work = TestUtil.TempDir();
        Directory.CreateDirectory(work);
        try
        {
            var r = SyntheticBenchmark.Measure(3, 96, work);
            Assert.Equal(3, r.Studies);
            Assert.Equal(96, r.ImageSize);
            Assert.Equal(Environment.ProcessorCount, r.Threads);
            // Per study: image + Montgomery copy, 6 masks, DICOM, REFLACX fixations and transcription; plus the
            // dataset tables (studies.csv, 3 splits, SIIM, EGD x2, REFLACX metadata, CANDID x2) and manifest.json.
            Assert.Equal(3 * 11 + 11, r.Files);
            Assert.True(r.Bytes > 3 * 96 * 96, $"only {r.Bytes} bytes written");
            Assert.True(r.Wall > TimeSpan.Zero);
            Assert.Equal(r.Studies / r.Wall.TotalSeconds, r.StudiesPerSecondWall, 9);
            Assert.Equal(r.Cpu.TotalMilliseconds / 3, r.CpuMillisecondsPerStudy, 9);
            Assert.Empty(Directory.EnumerateFileSystemEntries(work));
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public void Measure_InvalidSize_Throws()
    {
        var e = Assert.Throws<InvalidSynthOptionsException>(() => SyntheticBenchmark.Measure(2, 10));
        Assert.Equal(nameof(SynthOptions.ImageSize), e.Option);
    }

    [Fact]
    public void Result_ZeroTimes_ReportZeroRates()
    {
        var r = new SyntheticBenchmarkResult(0, 64, 2, TimeSpan.Zero, TimeSpan.Zero, 0, 0);
        Assert.Equal(0, r.StudiesPerSecondWall);
        Assert.Equal(0, r.CpuMillisecondsPerStudy);
        Assert.Equal(0, r.StudiesPerCpuSecond);
    }
}
