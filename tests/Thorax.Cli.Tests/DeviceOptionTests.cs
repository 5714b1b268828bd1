using System.CommandLine;
using Thorax.Cli.Commands;
using TorchSharp;

namespace Thorax.Cli.Tests;

/// <summary>
/// <c>--device</c> on every verb that builds or runs a model: one shared option (same help text), checked before any
/// other work (the verbs get only dummy paths here, so an exit naming the device proves the device came first), exit 2
/// naming the device this TorchSharp-cpu build does not have, or the malformed input.
/// </summary>
public class DeviceOptionTests
{
    /// <summary>Every verb that builds or runs a model (issue 12: "--device cuda everywhere a model runs").</summary>
    public static readonly string[] ModelVerbs =
    [
        "demo", "bench engine",
        "lungs train", "lungs compare", "lungs eval", "lungs predict", "lungs build-dataset", "lungs realism",
        "classify train", "classify eval",
        "ptx train-classifier", "ptx train-segmenter", "ptx predict", "ptx submit", "ptx evaluate", "ptx real", "ptx demo",
        "saliency demo", "saliency evaluate", "saliency compare", "saliency train", "saliency predict",
        "gdvig predict", "gdvig train", "gdvig evaluate", "gdvig demo", "gdvig graph",
        "contextual train", "contextual predict", "contextual ablate", "contextual demo",
        "zoo load", "text embed",
    ];

    public static TheoryData<string> Verbs() => new(ModelVerbs);

    private static IEnumerable<(string Path, Command Command)> Walk(Command c, string prefix)
    {
        foreach (var sub in c.Subcommands)
        {
            var path = prefix.Length == 0 ? sub.Name : prefix + " " + sub.Name;
            yield return (path, sub);
            foreach (var x in Walk(sub, path)) yield return x;
        }
    }

    private static Command Find(string verb) => Walk(Program.CreateRoot(), "").Single(x => x.Path == verb).Command;

    /// <summary>The verb's words, dummy values for its required options and arguments (paths that do not exist), then
    /// <c>--device</c>.</summary>
    private static string[] Args(string verb, string device)
    {
        var cmd = Find(verb);
        var args = verb.Split(' ').ToList();
        foreach (var o in cmd.Options.Where(o => o.Required))
        {
            args.Add(o.Name);
            args.Add(o.ValueType == typeof(int) || o.ValueType == typeof(double) ? "1" : "/nonexistent-thorax/x");
        }
        foreach (var a in cmd.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0)) args.Add("/nonexistent-thorax/in.png");
        args.Add("--device");
        args.Add(device);
        return args.ToArray();
    }

    [Fact]
    public void EveryVerbWithADeviceOption_IsAModelVerb_AndEveryModelVerbHasIt_WithTheSharedHelpText()
    {
        var withDevice = Walk(Program.CreateRoot(), "").Where(x => x.Command.Options.Any(o => o.Name == "--device")).Select(x => x.Path).Order().ToList();
        Assert.Equal(ModelVerbs.Order(), withDevice);
        var root = Program.CreateRoot();
        foreach (var verb in ModelVerbs)
        {
            var o = (Option<string>)Walk(root, "").Single(x => x.Path == verb).Command.Options.Single(o => o.Name == "--device");
            Assert.Equal(DeviceOption.Description, o.Description);
            Assert.Equal("cpu", root.Parse(Args(verb, "cpu")[..^2]).GetValue(o)); // the default
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Verbs))]
    public void AbsentCudaDevice_Exit2_NamingTheDevice(string verb)
    {
        Skip.If(torch.cuda.is_available() && torch.cuda.device_count() > 7, "a CUDA device cuda:7 is present");
        var (code, _, err) = CliRunner.Run(Args(verb, "cuda:7"));
        Assert.True(code == 2, $"{verb}: exit {code}\n{err}");
        Assert.Contains("--device: device 'cuda:7'", err);
        Assert.Contains("CUDA", err);
        Assert.DoesNotContain("(Parameter", err);
        Assert.DoesNotContain("nonexistent-thorax", err); // the device is checked before any file is touched
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void MalformedDevice_Exit2_NamingTheInput(string verb)
    {
        var (code, _, err) = CliRunner.Run(Args(verb, "gpu0"));
        Assert.True(code == 2, $"{verb}: exit {code}\n{err}");
        Assert.Contains("--device: unknown device 'gpu0'; expected cpu, cuda or cuda:N", err);
        Assert.DoesNotContain("nonexistent-thorax", err);
    }

    [Fact]
    public void Parse_AcceptsCpuInAnyCase_AndKeepsTheDeviceName()
    {
        Assert.Equal(DeviceType.CPU, DeviceOption.Parse(" CPU ").type);
        var e = Assert.Throws<ArgumentException>(() => DeviceOption.Parse("cuda:x"));
        Assert.Equal("--device: unknown device 'cuda:x'; expected cpu, cuda or cuda:N", e.Message);
        Assert.Null(e.ParamName);
    }

    /// <summary>End to end: naming the CPU gives the default output byte for byte (the encoder and its embedding on the CPU).</summary>
    [Fact]
    public void TextEmbed_DeviceCpu_PrintsExactlyTheDefaultOutput()
    {
        var plain = CliRunner.Run("text", "embed", "Small left apical pneumothorax.", "No effusion.", "--json", "--values", "16");
        var cpu = CliRunner.Run("text", "embed", "Small left apical pneumothorax.", "No effusion.", "--json", "--values", "16", "--device", "CPU");
        Assert.True(plain.Code == 0, plain.Err);
        Assert.Equal(0, cpu.Code);
        Assert.Equal(plain.Out, cpu.Out);
    }
}
