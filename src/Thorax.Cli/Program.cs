using System.CommandLine;
using Thorax.Cli.Commands;

namespace Thorax.Cli;

/// <summary>The <c>thorax</c> command line: thin verbs that parse options and call one library entry point each.</summary>
public static class Program
{
    /// <summary>Exit codes: 0 success, 1 failure of the work, 2 bad input or usage.</summary>
    public static int Main(string[] args)
    {
        using var stress = Thorax.Training.Diagnostics.GcStress.FromEnvironment(); // debugging aid: README "Engine"
        return CreateRoot().Parse(args).Invoke();
    }

    /// <summary>Every verb, as the command tree (the tests walk it: each verb with <c>--json</c> has a schema).</summary>
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("Thorax: chest X-ray AI from .NET (engine: libtorch).");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DicomCommand.Create());
        root.Subcommands.Add(MetricsCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(SiimCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(EvalsetCommand.Create());
        root.Subcommands.Add(LungsCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(TextCommand.Create());
        root.Subcommands.Add(SaliencyCommand.Create());
        root.Subcommands.Add(GdVigCommand.Create());
        root.Subcommands.Add(ZooCommand.Create());
        root.Subcommands.Add(PtxCommand.Create());
        root.Subcommands.Add(ContextualCommand.Create());
        root.Subcommands.Add(FuzzCommand.Create());
        root.Subcommands.Add(CrashResumeCommand.Create());
        return root;
    }
}
