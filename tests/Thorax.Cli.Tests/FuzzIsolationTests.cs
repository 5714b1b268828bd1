using System.Text.Json;
using Thorax.Cli.Fuzz;

namespace Thorax.Cli.Tests;

/// <summary>
/// <c>thorax fuzz --isolate</c>: the cases run in child processes; a case that kills its process is a <c>crash</c>
/// finding and a new child goes on from the next case. The process death is simulated by
/// <c>THORAX_FUZZ_CRASH_AT</c> (<see cref="Environment.FailFast(string)"/>, SIGABRT), which the children inherit.
/// </summary>
public sealed class FuzzIsolationTests
{
    private static JsonElement Format(string stdout) => JsonDocument.Parse(stdout).RootElement.GetProperty("formats")[0];

    private static Dictionary<string, long> Outcomes(JsonElement f) =>
        f.GetProperty("outcomes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    [Fact]
    public void Isolated_run_counts_what_the_in_process_run_counts()
    {
        var (code, inProcess, err) = CliRunner.Run("fuzz", "--format", "rle", "--cases", "150", "--seed", "3", "--json");
        Assert.True(code == 0, err);
        var (code2, isolated, err2) = CliRunner.Run("fuzz", "--format", "rle", "--cases", "150", "--seed", "3", "--json", "--isolate");
        Assert.True(code2 == 0, err2);
        Assert.Equal(Outcomes(Format(inProcess)), Outcomes(Format(isolated)));
        Assert.Equal(150, Format(isolated).GetProperty("cases").GetInt64());
        Assert.Equal(Format(inProcess).GetProperty("seeds").GetInt32(), Format(isolated).GetProperty("seeds").GetInt32());
    }

    [Fact]
    public void A_case_that_kills_the_child_is_a_crash_finding_and_the_run_goes_on()
    {
        var save = Directory.CreateTempSubdirectory("thorax-fuzz-crash-").FullName;
        Environment.SetEnvironmentVariable("THORAX_FUZZ_CRASH_AT", "37");
        try
        {
            var (code, stdout, err) = CliRunner.Run("fuzz", "--format", "png", "--cases", "80", "--seed", "5", "--json",
                "--isolate", "--save", save);
            Assert.True(code == 1, $"exit {code}: a crash is a finding\n{err}");
            var f = Format(stdout);
            var outcomes = Outcomes(f);
            Assert.Equal(80, f.GetProperty("cases").GetInt64());
            Assert.Equal(80, outcomes.Values.Sum());
            Assert.Equal(1, outcomes["crash"]);
            var crash = Assert.Single(f.GetProperty("findings").EnumerateArray(), x => x.GetProperty("outcome").GetString() == "crash");
            Assert.Equal(37, crash.GetProperty("case").GetInt64());
            Assert.Contains("SIGABRT", crash.GetProperty("message").GetString());
            Assert.Contains("--start 37 --cases 1", crash.GetProperty("message").GetString());

            // The seed named and the input saved are case 37's, as the in-process run makes it.
            Environment.SetEnvironmentVariable("THORAX_FUZZ_CRASH_AT", null);
            var saved = crash.GetProperty("saved_as").GetString()!;
            Assert.True(File.Exists(saved), saved);
            var work = Directory.CreateTempSubdirectory("thorax-fuzz-seeds-").FullName;
            try
            {
                var seeds = FuzzCatalog.Seeds("png", FuzzCatalog.DefaultFolders(), work);
                var rng = new Random(FuzzRunner.CaseSeed(5, "png", 37));
                Assert.Equal(seeds[rng.Next(seeds.Count)].Name, crash.GetProperty("seed").GetString());
                // The other 79 cases are counted as an in-process run counts them.
                var (_, whole, _) = CliRunner.Run("fuzz", "--format", "png", "--cases", "80", "--seed", "5", "--json");
                var (_, one, _) = CliRunner.Run("fuzz", "--format", "png", "--cases", "1", "--start", "37", "--seed", "5", "--json");
                var expected = Outcomes(Format(whole));
                foreach (var (k, v) in Outcomes(Format(one))) expected[k] -= v;
                expected["crash"] = 1;
                Assert.Equal(expected, outcomes);
            }
            finally
            {
                Directory.Delete(work, true);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("THORAX_FUZZ_CRASH_AT", null);
            Directory.Delete(save, true);
        }
    }

    [Theory]
    [InlineData(134, "exit code 134, SIGABRT")]
    [InlineData(139, "exit code 139, SIGSEGV")]
    [InlineData(3, "exit code 3")]
    public void Exit_codes_name_the_signal(int exit, string text) => Assert.Equal(text, FuzzIsolation.Describe(exit));
}
