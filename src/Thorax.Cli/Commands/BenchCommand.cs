using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Thorax.Cli.Bench;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax bench engine [--json] [--device cpu|cuda] [--repeats N] [--no-pytorch]</c>.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks: Thorax and PyTorch side by side in one run.");
        var json = new Option<bool>("--json") { Description = "Print JSON rows instead of a table." };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per case (median reported).", DefaultValueFactory = _ => 10 };
        var noPy = new Option<bool>("--no-pytorch") { Description = "Skip the PyTorch peer." };
        var engine = new Command("engine", "Engine cases: conv-BN-ReLU, U-Net step, matmul, KNN graph, attention, per-op overhead.")
            { json, device, repeats, noPy };
        engine.SetAction(r =>
        {
            Device dev;
            try { dev = Device.Parse(r.GetValue(device)!); }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
            if (r.GetValue(repeats) < 1) { Console.Error.WriteLine("--repeats must be at least 1"); return 2; }
            if (dev.Type == DeviceType.Cuda && !Torch.CudaIsAvailable)
            {
                Console.Error.WriteLine("--device cuda: this libtorch has no usable CUDA device (build against a CUDA libtorch with THORAX_TORCH_DIR)");
                return 2;
            }
            var asJson = r.GetValue(json);
            var rows = EngineBench.Run(dev, r.GetValue(repeats), !r.GetValue(noPy), m => { if (!asJson) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"); });
            Print(rows, asJson, $"engine on {dev}, {Torch.NumThreads} threads, libtorch {Torch.Version}");
            return 0;
        });
        bench.Subcommands.Add(engine);
        return bench;
    }

    internal static void Print(List<BenchResult> rows, bool json, string title)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new
            {
                @case = r.Case, thorax = Math.Round(r.ThoraxMs, 4), pytorch = r.PyTorchMs is { } p ? Math.Round(p, 4) : (double?)null,
                ratio = r.Ratio is { } q ? Math.Round(q, 3) : (double?)null, unit = r.Unit,
            }), new JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        var t = new Table().Title(title).AddColumns("case", "Thorax", "PyTorch", "Thorax/PyTorch");
        foreach (var r in rows)
            t.AddRow(Markup.Escape(r.Case), $"{r.ThoraxMs:F3} {r.Unit}", r.PyTorchMs is { } p ? $"{p:F3} {r.Unit}" : "-", r.Ratio is { } q ? $"{q:F2}x" : "-");
        AnsiConsole.Write(t);
    }
}
