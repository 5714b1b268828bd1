using System.CommandLine;
using System.Text.Json;
using Thorax.Models.Runtime;
using TorchSharp;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax info [--json]</c>: engine version, threads, devices.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var cmd = new Command("info", "Show the engine: libtorch version, threads, CUDA devices.") { json };
        cmd.SetAction(r =>
        {
            TorchRuntime.EnsureLoaded();
            var info = new Dictionary<string, object>
            {
                ["libtorch"] = torch.__version__,
                ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?",
                ["threads"] = torch.get_num_threads(),
                ["cores"] = Environment.ProcessorCount,
                ["cuda_devices"] = torch.cuda.is_available() ? torch.cuda.device_count() : 0,
                ["dotnet"] = Environment.Version.ToString(),
            };
            if (r.GetValue(json)) CliJson.Print(info);
            else foreach (var (k, v) in info) Console.WriteLine($"{k,-14}{v}");
            return 0;
        });
        return cmd;
    }
}
