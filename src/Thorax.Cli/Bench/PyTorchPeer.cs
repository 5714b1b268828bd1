using System.Diagnostics;
using System.Text.Json;

namespace Thorax.Cli.Bench;

/// <summary>Runs a benchmark peer script with Debian's /usr/bin/python3 + torch, when installed, and reads its JSON medians.</summary>
internal static class PyTorchPeer
{
    public const string Python = "/usr/bin/python3";

    public static bool Available(out string why)
    {
        why = "";
        if (!File.Exists(Python)) { why = "/usr/bin/python3 not found"; return false; }
        var psi = new ProcessStartInfo(Python, "-c \"import torch\"") { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) { why = "python3-torch is not installed (apt-get install python3-torch)"; return false; }
        return true;
    }

    /// <summary>Runs <paramref name="script"/> (relative to tools/bench) and returns case -> median ms.</summary>
    public static Dictionary<string, double> Run(string script, IEnumerable<string> args)
    {
        var path = Path.Combine(RepoPaths.Root, "tools", "bench", script);
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"PyTorch peer {script} failed: {stderr.Trim()}");
        var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetDouble());
    }
}

/// <summary>Finds the repository root (for tools/ scripts) from the running assembly.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Thorax.slnx"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }
}
