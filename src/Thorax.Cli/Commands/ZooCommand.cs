using System.CommandLine;
using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Segmentation.Zoo;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax zoo list|load</c>: the encoder/decoder zoo, and loading a weight file into one of its networks.</summary>
internal static class ZooCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var zoo = new Command("zoo", "Encoder and decoder zoo (timm / torchvision / segmentation_models key names): list, load weights.");
        zoo.Subcommands.Add(List());
        zoo.Subcommands.Add(Load());
        return zoo;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (version 1)." };
        var cmd = new Command("list", "Encoders (key source, parameters with the 1000-class head, channels at strides 2..32) and decoders.") { json };
        cmd.SetAction(r =>
        {
            var encoders = EncoderZoo.All.Select(s => new Dictionary<string, object>
            {
                ["name"] = s.Name,
                ["key_source"] = s.KeySource,
                ["params_with_head"] = s.ParamsWithHead,
                ["channels"] = s.Channels,
                ["stem_conv_key"] = s.StemConvKey,
                ["head_prefix"] = s.HeadPrefix,
            }).ToList();
            var decoders = SegmentationZoo.DecoderNames.Select(d => new Dictionary<string, object> { ["name"] = d, ["description"] = SegmentationZoo.Describe(d) }).ToList();
            if (r.GetValue(json))
            {
                CliJson.Print(new Dictionary<string, object> { ["encoders"] = encoders, ["decoders"] = decoders });
                return 0;
            }
            Console.WriteLine($"{"encoder",-22}{"params",12}  {"channels (stride 2..32)",-28}key names");
            foreach (var s in EncoderZoo.All)
                Console.WriteLine($"{s.Name,-22}{(s.ParamsWithHead > 0 ? (s.ParamsWithHead / 1e6).ToString("F2") + " M" : "-"),12}  {string.Join(",", s.Channels),-28}{s.KeySource}");
            Console.WriteLine();
            foreach (var d in SegmentationZoo.DecoderNames) Console.WriteLine($"decoder {d,-14}{SegmentationZoo.Describe(d)}");
            return 0;
        });
        return cmd;
    }

    private static Command Load()
    {
        var encoder = new Option<string>("--encoder") { Description = "Encoder name (see 'zoo list').", Required = true };
        var decoder = new Option<string?>("--decoder") { Description = "Decoder name: build the segmentation network (unet, scse-unet, albunet, ...)." };
        var weights = new Option<string>("--weights") { Description = "torch.save (plain or {\"model\": sd}), safetensors, or a ResNet ONNX graph.", Required = true };
        var inChans = new Option<int>("--in-chans") { Description = "Input channels (3-channel first convolutions are adapted by timm's rule).", DefaultValueFactory = _ => 3 };
        var classes = new Option<int>("--classes") { Description = "Encoder alone: classifier outputs (0: none). With --decoder: segmentation classes.", DefaultValueFactory = _ => 0 };
        var key = new Option<string?>("--key") { Description = "torch.save files: the top-level entry holding the state dict." };
        var prefix = new Option<string?>("--prefix") { Description = "Only keys with this prefix, removed (e.g. encoder.)." };
        var encoderOnly = new Option<bool>("--encoder-only") { Description = "With --decoder: the file holds encoder weights only (loaded into the network's encoder)." };
        var nonStrict = new Option<bool>("--non-strict") { Description = "Load what fits and report the rest instead of failing." };
        var samePadding = new Option<bool>("--same-padding") { Description = "Encoder alone: stride-exact padding for xception / inception_resnet_v2 (always on with --decoder)." };
        var size = new Option<int>("--size") { Description = "Side of the test input run through the network after loading.", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print JSON (version 1)." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("load", "Build a zoo network, load a weight file by key name (naming every missing, unexpected and mis-shaped key), run one input.")
            { encoder, decoder, weights, inChans, classes, key, prefix, encoderOnly, nonStrict, samePadding, size, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            var encName = r.GetValue(encoder)!;
            var decName = r.GetValue(decoder);
            var path = r.GetValue(weights)!;
            var strict = !r.GetValue(nonStrict);
            var n = r.GetValue(inChans);
            if (r.GetValue(size) < 32) throw new ArgumentException($"--size must be at least 32, got {r.GetValue(size)}");
            nn.Module<Tensor, Tensor> net;
            nn.Module target;
            if (decName is null)
            {
                net = EncoderZoo.Create(encName, n, r.GetValue(classes), 0, r.GetValue(samePadding));
                target = net;
            }
            else
            {
                net = SegmentationZoo.Create(encName, decName, n, Math.Max(1, r.GetValue(classes)));
                target = net is EncoderDecoder ed ? ed.Encoder : net is AlbuNet a ? a.Encoder : net;
            }
            using var _net = net;
            // Weights are read on the CPU; the loaded network then runs on the device (the test input is made there).
            LoadStateDictResult result;
            bool adapted = false;
            IReadOnlyList<string> dropped = [];
            if (decName is null || r.GetValue(encoderOnly))
            {
                var report = EncoderZoo.LoadWeights(target, encName, path, strict, r.GetValue(key), r.GetValue(prefix));
                (result, adapted, dropped) = (report.Result, report.AdaptedStem, report.DroppedHeadKeys);
            }
            else
            {
                var sd = StateDicts.ReadFile(path, r.GetValue(key));
                try
                {
                    var sel = r.GetValue(prefix) is { } p ? sd.WithPrefixRemoved(p) : sd;
                    result = StateDicts.Load(net, sel, strict, path);
                    if (!ReferenceEquals(sel, sd)) sel.DisposeAll();
                }
                finally
                {
                    sd.DisposeAll();
                }
            }
            net.eval();
            net.MoveTo(dev);
            long[] outShape;
            using (no_grad())
            using (var x = zeros(1, n, r.GetValue(size), r.GetValue(size), device: dev))
            using (var y = net.call(x))
                outShape = y.shape;
            var own = net.state_dict().Count;
            var info = new Dictionary<string, object>
            {
                ["encoder"] = EncoderZoo.Spec(encName).Name,
                ["decoder"] = (object?)decName ?? "none",
                ["weights"] = Path.GetFullPath(path),
                ["params"] = net.parameters().Sum(p => p.numel()),
                ["keys"] = own,
                ["missing_keys"] = result.MissingKeys,
                ["unexpected_keys"] = result.UnexpectedKeys,
                ["mismatched_keys"] = result.Mismatches.Select(m => m.ToString()).ToList(),
                ["adapted_stem"] = adapted,
                ["dropped_head_keys"] = dropped,
                ["output_shape"] = outShape,
            };
            if (r.GetValue(json)) CliJson.Print(info);
            else
            {
                Console.WriteLine($"{info["encoder"]}{(decName is null ? "" : " + " + decName)}: {info["params"]:N0} parameters, {own} keys; loaded {path}");
                Console.WriteLine($"missing {result.MissingKeys.Count}, unexpected {result.UnexpectedKeys.Count}, mis-shaped {result.Mismatches.Count}; stem adapted: {adapted}; head keys left out: {dropped.Count}");
                foreach (var k in result.MissingKeys) Console.WriteLine("  missing    " + k);
                foreach (var k in result.UnexpectedKeys) Console.WriteLine("  unexpected " + k);
                foreach (var m in result.Mismatches) Console.WriteLine("  mis-shaped " + m);
                Console.WriteLine($"output for a [1, {n}, {r.GetValue(size)}, {r.GetValue(size)}] input: [{string.Join(", ", outShape)}]");
            }
            return 0;
        }));
        return cmd;
    }
}
