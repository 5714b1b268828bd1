using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines;
using Thorax.Pipelines.Lungs;

namespace Thorax.Cli.Tests;

/// <summary>
/// samples/LungsConsole and samples/LungsWeb consume the Thorax packages from the local feed (tools/pack.sh), not the
/// projects: this packs the libraries (from the Release build the suite already made), builds both samples, runs them on
/// a small run folder and a committed DICOM, and checks that their masks equal LungModel's in this process. Skips when
/// the NuGet registry cannot be reached for the samples' first restore.
/// </summary>
public sealed class SamplesTests
{
    private static readonly string? Root = FindRoot();

    private static string? FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tools", "pack.sh")) && Directory.Exists(Path.Combine(d.FullName, "samples")))
                return d.FullName;
        return null;
    }

    [SkippableFact]
    public async Task Console_and_web_samples_built_from_the_packages_segment_like_LungModel()
    {
        Skip.If(Root is null, "tools/pack.sh and samples/ not found above the test assembly");
        Skip.IfNot(OperatingSystem.IsLinux(), "the samples are built for linux-x64");
        var root = Root!;
        var work = Directory.CreateTempSubdirectory("thorax-samples-").FullName;
        try
        {
            // 1. The library packages into artifacts/feed (no-op when up to date).
            var releaseBuilt = File.Exists(Path.Combine(root, "src", "Thorax.Pipelines", "bin", "Release", "net10.0", "Thorax.Pipelines.dll"));
            var pack = Run("bash", [Path.Combine(root, "tools", "pack.sh"), "--libraries", .. (releaseBuilt ? new[] { "--no-build" } : [])],
                root, TimeSpan.FromMinutes(8));
            Assert.True(pack.Code == 0, "tools/pack.sh failed:\n" + pack.Output);

            // 2. A small run folder (seeded weights, output bias at the image's median logit, so that the mask is neither
            //    empty nor full: the samples must reproduce LungModel, not segment well) and a DICOM.
            var dicom = Path.Combine(root, "tests", "data", "golden", "synthetic", "uncompressed12.dcm");
            var run = Path.Combine(work, "run");
            Thorax.Pipelines.Tests.Lungs.LungTestRun.Write(run, dicom);
            byte[] expected;
            using (var model = LungModel.Load(run))
            {
                var unit = XrayImage.ReadUnit(dicom);
                var grey = new Image<byte>(unit.Width, unit.Height);
                for (var i = 0; i < unit.Pixels.Length; i++) grey.Pixels[i] = (byte)Math.Clamp(MathF.Round(unit.Pixels[i] * 255f), 0f, 255f);
                expected = model.Segment(grey).Pixels.ToArray();
                var lung = expected.Count(v => v != 0);
                Assert.True(lung > 0 && lung < expected.Length, $"the reference mask has {lung} of {expected.Length} pixels set; the comparison needs one neither empty nor full");
            }

            // 3. Build both samples against the feed.
            foreach (var sample in new[] { "LungsConsole", "LungsWeb" })
            {
                var build = Run("dotnet", ["build", Path.Combine(root, "samples", sample), "-c", "Release", "-nologo", "-clp:ErrorsOnly",
                    "-p:CreateSymbolicLinksForCopyLocalIfPossible=true"], root, TimeSpan.FromMinutes(5));
                Skip.If(build.Code != 0 && (build.Output.Contains("NU1301") || build.Output.Contains("Unable to load the service index")),
                    "the NuGet registry is unreachable for the samples' restore:\n" + build.Output);
                Assert.True(build.Code == 0, $"dotnet build samples/{sample} failed:\n" + build.Output);
            }
            string Dll(string sample) => Path.Combine(root, "samples", sample, "bin", "Release", "net10.0", "linux-x64", sample + ".dll");

            // 4. The console sample writes the mask.
            var maskPath = Path.Combine(work, "mask.png");
            var console = Run("dotnet", [Dll("LungsConsole"), run, dicom, maskPath], work, TimeSpan.FromMinutes(2));
            Assert.True(console.Code == 0, "LungsConsole failed:\n" + console.Output);
            Assert.Equal(expected, Png.Read(maskPath).Image8!.Pixels.ToArray());
            var bad = Path.Combine(work, "bad.dcm");
            File.WriteAllBytes(bad, File.ReadAllBytes(dicom)[..300]);
            var refused = Run("dotnet", [Dll("LungsConsole"), run, bad, Path.Combine(work, "bad.png")], work, TimeSpan.FromMinutes(2));
            Assert.True(refused.Code == 2, "a truncated DICOM must exit 2:\n" + refused.Output);
            Assert.Contains("bad.dcm", refused.Output);

            // 5. The web sample answers POST /segment with the same mask, and 400 for a truncated file.
            var port = FreePort();
            var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Dll("LungsWeb"), "--urls", $"http://127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
            psi.Environment["THORAX_RUN"] = run;
            using var web = Process.Start(psi)!;
            var log = new System.Text.StringBuilder();
            web.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            web.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            web.BeginOutputReadLine();
            web.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
                var ready = Stopwatch.StartNew();
                while (true)
                {
                    Assert.False(web.HasExited, "LungsWeb exited:\n" + log);
                    try
                    {
                        if ((await http.GetAsync("/health")).IsSuccessStatusCode) break;
                    }
                    catch (HttpRequestException) { }
                    Assert.True(ready.Elapsed < TimeSpan.FromSeconds(90), "LungsWeb did not answer /health in 90 s:\n" + log);
                    await Task.Delay(250);
                }
                var response = await http.PostAsync("/segment", new ByteArrayContent(File.ReadAllBytes(dicom)));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
                var png = Png.Decode(await response.Content.ReadAsByteArrayAsync());
                Assert.Equal(expected, png.Image8!.Pixels.ToArray());
                var badResponse = await http.PostAsync("/segment", new ByteArrayContent(File.ReadAllBytes(bad)));
                Assert.Equal(HttpStatusCode.BadRequest, badResponse.StatusCode);
                Assert.Contains("request body", await badResponse.Content.ReadAsStringAsync());
            }
            finally
            {
                if (!web.HasExited) web.Kill();
                web.WaitForExit(10_000);
            }
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static (int Code, string Output) Run(string file, IEnumerable<string> args, string dir, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} {string.Join(' ', args)}: timed out after {timeout}\n{output}");
        }
        p.WaitForExit();
        return (p.ExitCode, output.ToString());
    }
}
