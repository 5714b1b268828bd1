using Thorax.Cli;

namespace Thorax.Cli.Tests;

/// <summary>Runs the CLI in-process with stdout and stderr captured (the test assembly runs its classes one at a time,
/// tests/xunit.runner.json, so swapping the console writers is safe).</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var (po, pe) = (Console.Out, Console.Error);
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (Program.Main(args), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(po);
            Console.SetError(pe);
        }
    }
}
