using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Thorax.Cli.Bench;
using Thorax.Models.Runtime;
using TorchSharp;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax bench engine|imaging|data|lungs [--json] [--repeats N] [--no-pytorch]</c> (engine also takes
/// <c>--device cpu|cuda</c>).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks: Thorax and PyTorch side by side in one run.");
        var json = new Option<bool>("--json") { Description = "Print JSON rows instead of a table." };
        var device = DeviceOption.Create();
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per case (median reported).", DefaultValueFactory = _ => 10 };
        var noPy = new Option<bool>("--no-pytorch") { Description = "Skip the PyTorch peer." };
        var cases = new Option<string?>("--cases") { Description = "Comma-separated substrings: run only the cases whose name contains one (e.g. conv,per_op)." };
        var engine = new Command("engine", "Engine cases: conv-BN-ReLU, U-Net step, matmul, KNN graph, attention, per-op overhead.")
            { json, device, repeats, noPy, cases, NoMkldnn };
        engine.SetAction(r =>
        {
            if (r.GetValue(repeats) < 1) { Console.Error.WriteLine("--repeats must be at least 1"); return 2; }
            return CliErrors.Run(() =>
            {
                // Names the device and why it cannot be used (e.g. "--device: device 'cuda' is not available: this
                // libtorch build has no usable CUDA device (TorchSharp-cpu, ...)"); exit 2.
                var dev = DeviceOption.Parse(r, device);
                var asJson = r.GetValue(json);
                var only = (r.GetValue(cases) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var rows = EngineBench.Run(dev, r.GetValue(repeats), !r.GetValue(noPy), Logger(asJson), only, !r.GetValue(NoMkldnn));
                Print(rows, asJson, $"engine on {EngineBench.DeviceName(dev)}, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp)");
                return 0;
            });
        });
        bench.Subcommands.Add(engine);
        bench.Subcommands.Add(CreateImaging());
        bench.Subcommands.Add(CreateData());
        bench.Subcommands.Add(CreateLungs());
        bench.Subcommands.Add(CreateContextual());
        bench.Subcommands.Add(CreateZoo());
        bench.Subcommands.Add(CreatePtx());
        bench.Subcommands.Add(CreateGdVig());
        bench.Subcommands.Add(CreateSaliency());
        return bench;
    }

    /// <summary><c>thorax bench zoo [--encoders a,b] [--decoder unet|scse-unet] [--size 256] [--json] [--repeats N] [--no-python]</c>.</summary>
    private static Command CreateZoo()
    {
        var json = JsonOption();
        var repeats = RepeatsOption(3);
        var noPeer = NoPeerOption();
        var encoders = new Option<string>("--encoders") { Description = "Comma-separated zoo encoders (see 'zoo list').", DefaultValueFactory = _ => "resnet34,efficientnet_b0,xception" };
        var decoder = new Option<string>("--decoder") { Description = "unet or scse-unet.", DefaultValueFactory = _ => "unet" };
        var size = new Option<int>("--size") { Description = "Image side (a multiple of 32).", DefaultValueFactory = _ => 256 };
        var cmd = new Command("zoo", "Zoo U-Nets (1-channel input): train step (b2) and eval inference (b4) vs the PyTorch peers.") { json, repeats, noPeer, encoders, decoder, size };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(repeats) < 1) throw new ArgumentException("--repeats must be at least 1");
            if (r.GetValue(size) < 32 || r.GetValue(size) % 32 != 0) throw new ArgumentException($"--size must be a positive multiple of 32, got {r.GetValue(size)}");
            if (r.GetValue(decoder) is not ("unet" or "scse-unet")) throw new ArgumentException($"--decoder must be unet or scse-unet, got '{r.GetValue(decoder)}'");
            var names = r.GetValue(encoders)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(n => Models.Encoders.EncoderZoo.Spec(n).Name).Distinct().ToList();
            if (names.Count == 0) throw new ArgumentException("--encoders is empty");
            var asJson = r.GetValue(json);
            var rows = ZooBench.Run(names, r.GetValue(decoder)!, r.GetValue(size), 2, 4, r.GetValue(repeats), !r.GetValue(noPeer), Logger(asJson));
            Print(rows, asJson, $"zoo U-Nets, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp)");
            return 0;
        }));
        return cmd;
    }

    /// <summary>An argument exception's message without .NET's " (Parameter 'x')" suffix.</summary>
    private static readonly Option<bool> NoMkldnn = new("--no-mkldnn")
    {
        Description = "Turn oneDNN (mkldnn) off on both sides (libtorch's setUserEnabledMkldnn(false), PyTorch's torch.backends.mkldnn.enabled = False).",
    };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON rows instead of a table." };

    private static Option<int> RepeatsOption(int defaultValue) =>
        new("--repeats") { Description = "Timed repetitions per case (median reported).", DefaultValueFactory = _ => defaultValue };

    private static Option<bool> NoPeerOption() =>
        new("--no-python", "--no-pytorch") { Description = "Skip the Python peer (only Thorax figures)." };

    private static Option<string> DataOption() => new("--data")
    {
        Description = "Folder holding the real sample data (siim/, lungs/); default ../shared/data next to the repository.",
        DefaultValueFactory = _ => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "data")),
    };

    private static Action<string> Logger(bool asJson) => m =>
    {
        if (asJson) Console.Error.WriteLine(m);
        else AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]");
    };

    /// <summary><c>thorax bench imaging [--json] [--repeats N] [--no-python] [--data DIR] [--dicom FILE]</c>.</summary>
    private static Command CreateImaging()
    {
        var json = JsonOption();
        var repeats = RepeatsOption(5);
        var noPeer = NoPeerOption();
        var data = DataOption();
        var dicom = new Option<string?>("--dicom") { Description = "8-bit 1024x1024 DICOM to decode; default the first SIIM file under --data." };
        var cmd = new Command("imaging", "DICOM decode, resize, CLAHE, Gaussian blur, connected components vs pydicom/OpenCV/SciPy.")
            { json, repeats, noPeer, data, dicom };
        cmd.SetAction(r =>
        {
            if (r.GetValue(repeats) < 1) { Console.Error.WriteLine("--repeats must be at least 1"); return 2; }
            var path = r.GetValue(dicom);
            if (path is null)
            {
                var siim = Path.Combine(r.GetValue(data)!, "siim");
                path = Directory.Exists(siim)
                    ? Directory.EnumerateFiles(siim, "1.2.*.dcm").Order(StringComparer.Ordinal).FirstOrDefault()
                    : null;
                if (path is null) { Console.Error.WriteLine($"no SIIM DICOM (1.2.*.dcm) under {siim}; pass --dicom FILE or --data DIR"); return 2; }
            }
            else if (!File.Exists(path)) { Console.Error.WriteLine($"--dicom: {path} not found"); return 2; }
            var asJson = r.GetValue(json);
            var threads = Environment.ProcessorCount;
            return CliErrors.Run(() =>
            {
                var rows = ImagingBench.Run(path, threads, r.GetValue(repeats), !r.GetValue(noPeer), Logger(asJson));
                Print(rows, asJson, $"imaging, {threads} threads ({Path.GetFileName(path)})", "Python");
                return 0;
            });
        });
        return cmd;
    }

    /// <summary><c>thorax bench data [--json] [--repeats N] [--no-python] [--data DIR]</c>.</summary>
    private static Command CreateData()
    {
        var json = JsonOption();
        var repeats = RepeatsOption(3);
        var noPeer = NoPeerOption();
        var data = DataOption();
        var cmd = new Command("data", "SIIM RLE decode, data loader, ROC AUC, synthetic studies, U-Net feed vs numpy/torch/sklearn.")
            { json, repeats, noPeer, data };
        cmd.SetAction(r =>
        {
            if (r.GetValue(repeats) < 1) { Console.Error.WriteLine("--repeats must be at least 1"); return 2; }
            var dir = r.GetValue(data)!;
            if (!Directory.Exists(dir)) { Console.Error.WriteLine($"--data: {dir} not found"); return 2; }
            var asJson = r.GetValue(json);
            return CliErrors.Run(() =>
            {
                var rows = DataBench.Run(dir, Environment.ProcessorCount, r.GetValue(repeats), !r.GetValue(noPeer), Logger(asJson));
                Print(rows, asJson, $"data, {TorchRuntime.NumThreads} torch threads, {Environment.ProcessorCount} cores, libtorch {torch.__version__}", "Python");
                return 0;
            });
        });
        return cmd;
    }

    /// <summary><c>thorax bench lungs [--json] [--repeats N] [--no-pytorch] [--models a,b] [--reference-widths]</c>.</summary>
    private static Command CreateLungs()
    {
        var json = JsonOption();
        var repeats = RepeatsOption(3);
        var noPeer = NoPeerOption();
        var models = new Option<string>("--models")
        {
            Description = $"Comma-separated subset of {string.Join(", ", Models.Segmentation.SegmentationModels.Names)}.",
            DefaultValueFactory = _ => string.Join(",", Models.Segmentation.SegmentationModels.Names),
        };
        var referenceWidths = new Option<bool>("--reference-widths")
        {
            Description = $"Use each paper's width (U-Net/Attention U-Net 64, U-Net++ 32, SA-UNet 16) instead of the lung trainer's base width {LungsBench.DefaultBaseChannels}; much slower.",
        };
        var cmd = new Command("lungs", "Segmentation models: train step (b4), eval, fused and fused-bf16 inference (b32), 256 px, vs PyTorch eager (bf16: autocast).")
            { json, repeats, noPeer, models, referenceWidths, NoMkldnn };
        cmd.SetAction(r =>
        {
            if (r.GetValue(repeats) < 1) { Console.Error.WriteLine("--repeats must be at least 1"); return 2; }
            var names = r.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(n => n.ToLowerInvariant()).Distinct().ToList();
            var unknown = names.Where(n => !Models.Segmentation.SegmentationModels.Names.Contains(n)).ToList();
            if (names.Count == 0 || unknown.Count > 0)
            {
                Console.Error.WriteLine($"--models: unknown or empty ({string.Join(", ", unknown)}); valid: {string.Join(", ", Models.Segmentation.SegmentationModels.Names)}");
                return 2;
            }
            var asJson = r.GetValue(json);
            return CliErrors.Run(() =>
            {
                var reference = r.GetValue(referenceWidths);
                var rows = LungsBench.Run(names, r.GetValue(repeats), !r.GetValue(noPeer), reference, Logger(asJson), !r.GetValue(NoMkldnn));
                var widths = reference ? "reference widths" : $"base width {LungsBench.DefaultBaseChannels}";
                Print(rows, asJson, $"lungs models, {widths}, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp); bf16 row vs PyTorch autocast bf16");
                return 0;
            });
        });
        return cmd;
    }

    /// <summary><c>thorax bench contextual [--json] [--repeats N] [--no-pytorch] [--sizes 256,512] [--width 16]</c>.</summary>
    private static Command CreateContextual()
    {
        var json = JsonOption();
        var repeats = RepeatsOption(1);
        var noPeer = NoPeerOption();
        var sizes = new Option<string>("--sizes") { Description = "Image sizes in pixels.", DefaultValueFactory = _ => "256,512" };
        var width = new Option<int>("--width") { Description = "First-level width (the paper: 64).", DefaultValueFactory = _ => 16 };
        var cmd = new Command("contextual", "ConTEXTual Net and its U-Net: train step (b2, AdamW) and inference (b4) at 256/512 px on cached report embeddings, Thorax vs PyTorch with the same weights.")
            { json, repeats, noPeer, sizes, width };
        cmd.SetAction(r =>
        {
            var asJson = r.GetValue(json);
            return CliErrors.Run(() =>
            {
                var s = r.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.TryParse(v, out var n) && n >= 32 ? n : throw new ArgumentException($"--sizes: '{v}' is not a size of at least 32")).ToArray();
                if (r.GetValue(repeats) < 1) throw new ArgumentException("--repeats must be at least 1");
                var rows = ContextualBench.Run(s, r.GetValue(width), r.GetValue(repeats), !r.GetValue(noPeer), Logger(asJson));
                Print(rows, asJson, $"contextual, width {r.GetValue(width)}, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp)");
                return 0;
            });
        });
        return cmd;
    }

    /// <summary><c>thorax bench ptx [--json] [--repeats N] [--no-pytorch] [--size 256]</c>.</summary>
    private static Command CreatePtx()
    {
        var json = JsonOption();
        var repeats = RepeatsOption(3);
        var noPeer = NoPeerOption();
        var size = new Option<int>("--size") { Description = "Input size (multiple of 32).", DefaultValueFactory = _ => 256 };
        var cmd = new Command("ptx", "Pneumothorax cascade networks: classifier and FPN segmenter train step (b4) and inference (b8) vs the PyTorch peers.") { json, repeats, noPeer, size };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(repeats) < 1 || r.GetValue(size) % 32 != 0) throw new ArgumentException("--repeats must be at least 1 and --size a multiple of 32");
            var asJson = r.GetValue(json);
            var rows = PtxBench.Run(r.GetValue(size), r.GetValue(repeats), !r.GetValue(noPeer), Logger(asJson));
            Print(rows, asJson, $"ptx cascade networks, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp)");
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>thorax bench gdvig [--json] [--repeats N] [--no-pytorch] [--quick] [--cases a,b]</c>.</summary>
    private static Command CreateGdVig()
    {
        var (json, repeats, noPeer) = (JsonOption(), RepeatsOption(3), NoPeerOption());
        var quick = new Option<bool>("--quick") { Description = "Smoke run: reduced widths, one block per stage, 96 px, batch 2, no PyTorch column." };
        var cases = new Option<string?>("--cases") { Description = "Comma-separated substrings: run only the cases whose name contains one (e.g. knn)." };
        var cmd = new Command("gdvig", "GD-ViG (EGD-CXR, 224 px): inference and train step (b8) and the KNN graphs alone vs the authors' model in PyTorch.") { json, repeats, noPeer, quick, cases };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(repeats) < 1) throw new ArgumentException("--repeats must be at least 1");
            var only = (r.GetValue(cases) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var rows = GdVigBench.Run(r.GetValue(quick), r.GetValue(repeats), !r.GetValue(noPeer), Logger(r.GetValue(json)), only);
            Print(rows, r.GetValue(json), $"gdvig, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp), huge-page allocations {(TorchRuntime.HugePageAllocations ? "on" : "off")}");
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>thorax bench saliency [--json] [--repeats N] [--no-pytorch] [--quick]</c>.</summary>
    private static Command CreateSaliency()
    {
        var (json, repeats, noPeer) = (JsonOption(), RepeatsOption(3), NoPeerOption());
        var quick = new Option<bool>("--quick") { Description = "Smoke run: tiny DenseNet, filters 16..80, 64x64, batch 2, no PyTorch column." };
        var cmd = new Command("saliency", "Dual-encoder MTL U-Net (reference width, 320x256): joint train step (b6), inference (b8) and a train step's peak RSS vs the authors' model in PyTorch.") { json, repeats, noPeer, quick };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(repeats) < 1) throw new ArgumentException("--repeats must be at least 1");
            var rows = SaliencyBench.Run(r.GetValue(quick), r.GetValue(repeats), !r.GetValue(noPeer), Logger(r.GetValue(json)));
            Print(rows, r.GetValue(json), $"saliency, {TorchRuntime.NumThreads} threads, libtorch {torch.__version__} (TorchSharp), huge-page allocations {(TorchRuntime.HugePageAllocations ? "on" : "off")}; memory rows: process peak RSS (VmHWM) of one train step");
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// Runs a peer script from tools/bench with /usr/bin/python3 and returns case -> median; null (with a logged reason)
    /// when Python, or torch for <paramref name="needsTorch"/>, is missing or the script fails. Scripts leave out cases
    /// whose modules are missing, so those rows simply show no peer value.
    /// </summary>
    internal static Dictionary<string, double>? RunPeer(string script, bool needsTorch, IEnumerable<string> args, Action<string> log)
    {
        if (needsTorch)
        {
            if (!PyTorchPeer.Available(out var why)) { log("Python peer skipped: " + why); return null; }
        }
        else if (!File.Exists(PyTorchPeer.Python)) { log($"Python peer skipped: {PyTorchPeer.Python} not found"); return null; }
        try
        {
            return PyTorchPeer.Run(script, args);
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException or System.ComponentModel.Win32Exception)
        {
            log("Python peer failed: " + e.Message);
            return null;
        }
    }

    /// <summary>Prints the rows as a table (peer column named <paramref name="peer"/>) or as JSON (key <c>pytorch</c>
    /// holds the peer's median whatever the peer, so every bench verb has the same JSON shape).</summary>
    internal static void Print(List<BenchResult> rows, bool json, string title, string peer = "PyTorch")
    {
        if (json)
        {
            CliJson.Print(new { title, rows = rows.Select(r => new
            {
                @case = r.Case, thorax = Math.Round(r.ThoraxMs, 4), pytorch = r.PyTorchMs is { } p ? Math.Round(p, 4) : (double?)null,
                ratio = r.Ratio is { } q ? Math.Round(q, 3) : (double?)null, unit = r.Unit,
            }) });
            return;
        }
        var t = new Table().Title(title).AddColumns("case", "Thorax", peer, $"Thorax/{peer}");
        foreach (var r in rows)
            t.AddRow(Markup.Escape(r.Case), $"{r.ThoraxMs:F3} {r.Unit}", r.PyTorchMs is { } p ? $"{p:F3} {r.Unit}" : "-", r.Ratio is { } q ? $"{q:F2}x" : "-");
        AnsiConsole.Write(t);
    }
}
