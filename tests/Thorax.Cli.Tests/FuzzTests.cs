using Thorax.Cli.Fuzz;

namespace Thorax.Cli.Tests;

/// <summary>
/// The fuzz smoke run of the normal test suite (a few hundred cases per format; the long runs are
/// <c>thorax fuzz --cases 100000</c>, README "Using Thorax as a package"), and checks that the runner itself catches
/// each kind of failure.
/// </summary>
public sealed class FuzzTests
{
    [Theory]
    [InlineData("dicom", 300)]
    [InlineData("dicom-structure", 300)]
    [InlineData("png", 300)]
    [InlineData("jpeg", 300)]
    [InlineData("rle", 300)]
    [InlineData("gaze", 200)]
    [InlineData("report", 300)]
    [InlineData("safetensors", 300)]
    [InlineData("torch", 300)]
    [InlineData("onnx", 300)]
    [InlineData("run", 200)]
    public void Smoke_every_case_decodes_or_raises_the_formats_own_exception_naming_the_file(string format, int cases)
    {
        var work = Directory.CreateTempSubdirectory("thorax-fuzz-test-").FullName;
        try
        {
            var folders = FuzzCatalog.DefaultFolders();
            var seeds = FuzzCatalog.Seeds(format, folders, work);
            Assert.NotEmpty(seeds);
            var report = new FuzzRunner().Run(FuzzCatalog.Get(format), seeds, cases, seed: 20261206);
            Assert.Equal(cases, report.Cases);
            Assert.True(report.Failures == 0, report.ToJson());
            Assert.True(report.Outcomes["rejected"] > 0, "no case was rejected: the mutations do not reach the reader\n" + report.ToJson());
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [Fact]
    public void Run_family_reusing_networks_gives_the_outcome_of_LungModel_Load()
    {
        // The run family reads each case with LungModel's config reader and weight loader into a reused network
        // (FuzzCatalog.LoadRun); that must decide every case as a fresh LungModel.Load does, message included.
        var work = Directory.CreateTempSubdirectory("thorax-fuzz-run-").FullName;
        try
        {
            var format = FuzzCatalog.Get("run");
            var seeds = FuzzCatalog.Seeds("run", [], work);
            var mutator = new FuzzMutator();
            var lengths = seeds.Select(s => FuzzMutator.LengthCandidates(s.Bytes)).ToArray();
            int decoded = 0, rejected = 0;
            for (var c = 0; c < 120; c++)
            {
                var rng = new Random(c);
                var si = c % seeds.Count;
                var input = mutator.Mutate(rng, seeds[si].Bytes, lengths[si], seeds[1 - si].Bytes, text: false);
                format.Materialise!(input, work, seeds[si].Kind);
                string Outcome(Action load)
                {
                    try { load(); return "decoded"; }
                    catch (Exception e) { return $"{e.GetType().Name}: {e.Message}"; }
                }
                var viaFuzz = Outcome(() => FuzzCatalog.LoadRun(work));
                var viaLoad = Outcome(() => Thorax.Pipelines.Lungs.LungModel.Load(work).Dispose());
                Assert.True(viaFuzz == viaLoad, $"case {c} ({seeds[si].Kind}): LoadRun gave '{viaFuzz}', LungModel.Load '{viaLoad}'");
                if (viaLoad == "decoded") decoded++; else rejected++;
            }
            Assert.True(decoded > 10 && rejected > 10, $"{decoded} decoded, {rejected} rejected: the cases do not cover both outcomes");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [Fact]
    public void Runner_reports_wrong_type_unnamed_hang_and_allocation()
    {
        var seeds = new[] { new FuzzSeed("s", new byte[64]) };
        // 300 ms makes the hang case quick; the others get 10 s, since zeroing 300 MiB on a loaded machine can take longer
        // than 300 ms and would then count as a hang.
        FuzzReport Run(Action<byte[], string, string> decode, int timeoutMs = 10_000) => new FuzzRunner { CaseTimeout = TimeSpan.FromMilliseconds(timeoutMs), MaxHangs = 1 }
            .Run(new FuzzFormat { Name = "t", FileName = "case.bin", Decode = decode, IsOwn = e => e is InvalidDataException }, seeds, 3, 1);

        Assert.Equal(3, Run((_, src, _) => throw new InvalidDataException(src + ": bad")).Outcomes["rejected"]);
        Assert.Equal(3, Run((_, _, _) => throw new InvalidDataException("bad, no name")).Outcomes["unnamed"]);
        Assert.Equal(3, Run((_, _, _) => throw new IndexOutOfRangeException()).Outcomes["wrong_type"]);
        Assert.Equal(3, Run((_, _, _) => GC.KeepAlive(new byte[300 << 20])).Outcomes["allocation"]);
        var hang = Run((_, _, _) => Thread.Sleep(2000), timeoutMs: 300);
        Assert.Equal(1, hang.Outcomes["hang"]);
        Assert.Equal(1, hang.Cases); // stops after MaxHangs
    }

    [Fact]
    public void Cases_are_reproducible_from_seed_and_index()
    {
        Assert.Equal(FuzzRunner.CaseSeed(5, "dicom", 123), FuzzRunner.CaseSeed(5, "dicom", 123));
        Assert.NotEqual(FuzzRunner.CaseSeed(5, "dicom", 123), FuzzRunner.CaseSeed(5, "dicom", 124));
        Assert.NotEqual(FuzzRunner.CaseSeed(5, "dicom", 123), FuzzRunner.CaseSeed(5, "png", 123));
    }

    [Fact]
    public void Length_candidates_find_a_length_prefix()
    {
        var data = new byte[40];
        BitConverter.GetBytes(20u).CopyTo(data, 8); // 20 bytes follow a 4-byte length at offset 8
        Assert.Contains(8, FuzzMutator.LengthCandidates(data));
    }
}
