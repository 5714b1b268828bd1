using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Thorax.Data;
using Thorax.Data.Gaze;
using Thorax.Data.Reports;
using Thorax.Data.Siim;
using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using Thorax.Models.Weights.Onnx;
using Thorax.Pipelines.Lungs;
using Thorax.Synthetic;
using static TorchSharp.torch;

namespace Thorax.Cli.Fuzz;

/// <summary>
/// The formats Thorax reads, as fuzz targets, and their seed inputs: files found under the given folders (by default
/// the repository's tests/data and ../shared/data when present) plus inputs generated here (synthetic studies written
/// by Thorax.Synthetic, encoded images, safetensors, a small ONNX model, a lung run folder).
/// </summary>
public static class FuzzCatalog
{
    public static readonly IReadOnlyList<string> Names = ["dicom", "dicom-structure", "png", "jpeg", "rle", "gaze", "report", "safetensors", "torch", "onnx", "run"];

    /// <summary>Reads a DICOM case fully: the file, its pixel data's description, and up to two frames decoded and
    /// rendered through the grayscale pipeline.</summary>
    public static void DecodeDicom(byte[] bytes, string source)
    {
        var f = DicomFile.Parse(bytes, source);
        if (!f.Dataset.Contains(DicomTag.PixelData)) return;
        var px = DicomPixelData.Create(f);
        var pipeline = GrayscalePipeline.Create(f.Dataset, px.Info, PresentationOptions.Default, source);
        for (var i = 0; i < Math.Min(px.FrameCount, 2); i++) pipeline.Render(px.DecodeFrame(i));
    }

    public static FuzzFormat Get(string name) => name switch
    {
        "dicom" => new FuzzFormat
        {
            Name = name, FileName = "case.dcm",
            Decode = (b, src, _) => DecodeDicom(b, src),
            IsOwn = e => e is DicomException,
        },
        // The DICOM seeds with the structure-aware mutator (DicomStructureMutator: elements, VRs, lengths, fragments,
        // transfer syntaxes) instead of the blind one.
        "dicom-structure" => new FuzzFormat
        {
            Name = name, FileName = "case.dcm",
            Decode = (b, src, _) => DecodeDicom(b, src),
            IsOwn = e => e is DicomException,
            CreateMutator = seeds => new DicomStructureMutator(seeds).Mutate,
        },
        "png" => new FuzzFormat { Name = name, FileName = "case.png", Decode = (b, src, _) => Png.Decode(b, src), IsOwn = e => e is ImagingException },
        "jpeg" => new FuzzFormat { Name = name, FileName = "case.jpg", Decode = (b, src, _) => Jpeg.Decode(b, src), IsOwn = e => e is ImagingException },
        "rle" => new FuzzFormat
        {
            Name = name, FileName = "case-rle.csv", IsText = true,
            Decode = (b, src, _) => RleStats.Compute(SiimRleTable.Parse(Encoding.UTF8.GetString(b), src)),
            IsOwn = e => e is DataFormatException,
        },
        "gaze" => new FuzzFormat
        {
            Name = name, FileName = "case-gaze.csv", IsText = true, NeedsFile = true,
            Decode = (_, path, kind) =>
            {
                switch (kind)
                {
                    case "reflacx": ReflacxGaze.ReadFixations(path); break;
                    case "egd-master": EgdCxrGaze.ReadMasterSheet(path); break;
                    default: EgdCxrGaze.Read(path); break;
                }
            },
            IsOwn = e => e is DataFormatException,
        },
        "report" => new FuzzFormat
        {
            Name = name, FileName = "case-report.csv", IsText = true, NeedsFile = true,
            Decode = (_, path, kind) =>
            {
                if (kind == "indiana") IndianaReport.Read(path);
                else ReportRecord.ReadCandidPtx(path);
            },
            IsOwn = e => e is DataFormatException,
        },
        "safetensors" => new FuzzFormat
        {
            Name = name, FileName = "case.safetensors",
            Decode = (b, src, _) => SafeTensors.Read(b, src).Tensors.DisposeAll(),
            IsOwn = e => e is WeightFileException,
        },
        "torch" => new FuzzFormat
        {
            Name = name, FileName = "case.pth", NeedsFile = true,
            // Expanded views (stride 0) are materialised densely by libtorch (native memory, not counted here): the
            // committed GD-ViG goldens (338 KB, every tensor a broadcast of one value) unpickle to 258 MiB of tensors.
            Decode = (_, path, _) => TorchCheckpoint.Load(path).Dispose(),
            IsOwn = e => e is WeightFileException,
        },
        "onnx" => new FuzzFormat
        {
            Name = name, FileName = "case.onnx",
            Decode = (b, src, _) =>
            {
                var m = OnnxReader.Read(b, src);
                foreach (var t in m.Graph.Initializers)
                {
                    if (t.DataType == OnnxDataType.Float) t.GetFloats();
                    else if (t.DataType == OnnxDataType.Int64) t.GetInt64s();
                }
            },
            IsOwn = e => e is OnnxFormatException,
        },
        "run" => new FuzzFormat
        {
            Name = name, FileName = "config.json",
            // The case is one of the run folder's two files (the seed's kind says which); the other stays valid.
            Materialise = (b, dir, kind) =>
            {
                File.WriteAllBytes(Path.Combine(dir, "config.json"), kind == "config" ? b : RunConfig);
                File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), kind == "weights" ? b : RunWeights.Value);
            },
            Decode = (_, dir, _) => LoadRun(dir),
            IsOwn = e => e is InvalidDataException or WeightFileException or StateDictException,
        },
        _ => throw new ArgumentException($"--format: unknown format '{name}' (one of {string.Join(", ", Names)}, or all)"),
    };

    // base_channels 1: the same 118 tensors and header as any U-Net run (the reader's work per key), 43 KB of values
    // instead of 500 KB, so that byte mutations land in the header more often.
    private static readonly byte[] RunConfig = JsonSerializer.SerializeToUtf8Bytes(new { model = "unet", base_channels = 1, size = 32 });

    private static readonly Lazy<byte[]> RunWeights = new(() =>
    {
        using var net = SegmentationModels.Create("unet", 1, 1, 1);
        return SafeTensors.Serialize(net.state_dict());
    });

    [ThreadStatic] private static Dictionary<(string Arch, int Base), nn.Module<Tensor, Tensor>>? _runNets;

    /// <summary>
    /// Reads a run folder as <see cref="LungModel.Load"/> does: its config reader, then its weight loader into a network
    /// of that architecture and width, reused across cases (building and fusing a network per case held the family to
    /// 17 cases/s, and neither step reads the files). A configuration without a network yet goes through
    /// <see cref="LungModel.Load"/> itself; when that succeeds, a network for it is kept (at most four, per worker thread).
    /// <c>FuzzTests</c> checks that this gives the outcome of <see cref="LungModel.Load"/> on mutated cases.
    /// </summary>
    public static void LoadRun(string dir)
    {
        var config = LungModel.ReadConfig(dir);
        var key = (config.Architecture.Trim().ToLowerInvariant(), config.BaseChannels);
        _runNets ??= [];
        if (!_runNets.TryGetValue(key, out var net))
        {
            LungModel.Load(dir).Dispose();
            if (_runNets.Count < 4) _runNets[key] = SegmentationModels.Create(config.Architecture, 1, 1, config.BaseChannels);
            return;
        }
        LungModel.LoadWeights(net, dir, config);
    }

    /// <summary>Seeds for <paramref name="format"/>: files under <paramref name="folders"/> and generated inputs.</summary>
    public static IReadOnlyList<FuzzSeed> Seeds(string format, IReadOnlyList<string> folders, string workDir)
    {
        if (format == "dicom-structure") format = "dicom";
        var seeds = new List<FuzzSeed>();
        foreach (var folder in folders.Where(Directory.Exists))
            seeds.AddRange(FromFolder(format, folder));
        seeds.AddRange(Generated(format, workDir));
        return seeds;
    }

    /// <summary>The repository's tests/data and ../shared/data, found above the working directory or the program.</summary>
    public static IReadOnlyList<string> DefaultFolders()
    {
        var found = new List<string>();
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var tests = Path.Combine(d.FullName, "tests", "data");
                if (Directory.Exists(Path.Combine(tests, "golden")))
                {
                    found.Add(tests);
                    var shared = Path.Combine(d.FullName, "..", "shared", "data");
                    if (Directory.Exists(shared)) found.Add(Path.GetFullPath(shared));
                    break;
                }
            }
        }
        return found.Distinct().ToList();
    }

    private static IEnumerable<FuzzSeed> FromFolder(string format, string folder)
    {
        var (patterns, maxBytes, maxFiles) = format switch
        {
            "dicom" => (new[] { "*.dcm", "*.dicom" }, 2 << 20, 120),
            "png" => (new[] { "*.png" }, 1 << 20, 60),
            "jpeg" => (new[] { "*.jpg", "*.jpeg" }, 1 << 20, 60),
            "rle" => (new[] { "*rle*.csv" }, int.MaxValue, 10),
            "gaze" => (new[] { "fixations.csv", "master_sheet.csv", "*gaze*.csv" }, int.MaxValue, 20),
            "report" => (new[] { "*report*.csv", "image_name_text_label.csv" }, int.MaxValue, 10),
            "safetensors" => (new[] { "*.safetensors" }, 4 << 20, 30),
            // torch.save files up to 64 KB: tests/data/golden/nn and the seeds of tools/fuzz/make_torch_seeds.py (every
            // dtype, shared-storage views, a training checkpoint, 160 storages, pickle protocol 4). The model goldens
            // (150 KB to 1.9 MB, hundreds of tensors; the GD-ViG ones unpickle to 258 MiB of broadcasts) cost 10 ms to
            // 1.3 s a case and held the family to 13.5 cases/s without reaching other reader paths.
            "torch" => (new[] { "*.pth", "*.pt" }, 64 << 10, 30),
            "onnx" => (new[] { "*.onnx" }, 4 << 20, 10),
            _ => (Array.Empty<string>(), 0, 0),
        };
        var files = patterns
            .SelectMany(p => SafeEnumerate(folder, p))
            .Distinct()
            .OrderBy(f => f, StringComparer.Ordinal)
            .Where(f => new FileInfo(f).Length > 0)
            .ToList();
        var count = 0;
        foreach (var f in files)
        {
            if (count >= maxFiles) yield break;
            var length = new FileInfo(f).Length;
            byte[] bytes;
            // A CSV seed over 32 KB is cut to its first 100 lines at a record boundary: every case parses the whole
            // seed, and the full indiana_reports.csv (1.7 MB, 82 ms a case) held the report family to 18 cases/s.
            if (format is "rle" or "gaze" or "report") bytes = length > TextSeedBytes ? HeadRecords(f, TextSeedLines) : File.ReadAllBytes(f);
            else if (length <= maxBytes) bytes = File.ReadAllBytes(f);
            else continue;
            count++;
            yield return new FuzzSeed(Path.GetRelativePath(folder, f), bytes, KindOf(format, f, bytes));
        }
    }

    private static IEnumerable<string> SafeEnumerate(string folder, string pattern)
    {
        try
        {
            return Directory.EnumerateFiles(folder, pattern, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 8 }).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>CSV seeds larger than this are cut to <see cref="TextSeedLines"/> lines.</summary>
    public const int TextSeedBytes = 32 << 10;

    public const int TextSeedLines = 100;

    /// <summary>The first <paramref name="lines"/> lines of a CSV file, continued to the end of a record: a quoted field
    /// may span lines (indiana_reports.csv), and a cut inside one would make every case an unterminated quote.</summary>
    public static byte[] HeadRecords(string path, int lines)
    {
        var sb = new StringBuilder();
        using var r = new StreamReader(path);
        var quotes = 0L;
        for (var i = 0; (i < lines || quotes % 2 != 0) && r.ReadLine() is { } line; i++)
        {
            sb.Append(line).Append('\n');
            foreach (var ch in line) if (ch == '"') quotes++;
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string KindOf(string format, string path, byte[] bytes)
    {
        var head = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 400));
        return format switch
        {
            "gaze" when head.Contains("timestamp_start_fixation", StringComparison.Ordinal) => "reflacx",
            "gaze" when head.Contains("image_top_pad", StringComparison.Ordinal) || Path.GetFileName(path) == "master_sheet.csv" => "egd-master",
            "gaze" => "egd",
            "report" when head.Contains("findings", StringComparison.Ordinal) && head.Contains("uid", StringComparison.Ordinal) => "indiana",
            "report" => "candid",
            _ => "",
        };
    }

    private static IEnumerable<FuzzSeed> Generated(string format, string workDir)
    {
        switch (format)
        {
            case "png":
            {
                var rng = new Random(7);
                foreach (var (w, h, c) in new[] { (17, 9, 1), (8, 8, 3), (5, 13, 4), (32, 1, 2) })
                {
                    var img = new Image<byte>(w, h, c);
                    rng.NextBytes(img.Data);
                    yield return new FuzzSeed($"generated {w}x{h}x{c}", Png.Encode(img));
                }
                var i16 = new Image<ushort>(9, 7);
                for (var i = 0; i < i16.Data.Length; i++) i16.Data[i] = (ushort)rng.Next(65536);
                yield return new FuzzSeed("generated 16-bit", Png.Encode(i16));
                break;
            }
            case "jpeg":
            {
                var rng = new Random(8);
                foreach (var (w, h, c, sub) in new[] { (16, 16, 1, JpegSubsampling.S444), (33, 17, 3, JpegSubsampling.S420), (24, 9, 3, JpegSubsampling.S422) })
                {
                    var img = new Image<byte>(w, h, c);
                    rng.NextBytes(img.Data);
                    yield return new FuzzSeed($"generated {w}x{h}x{c}", Jpeg.Encode(img, 80, sub));
                }
                break;
            }
            case "safetensors":
            {
                using var a = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
                using var b = ones(2, 2, dtype: ScalarType.Int64);
                using var c = zeros(5, dtype: ScalarType.Float16);
                yield return new FuzzSeed("generated", SafeTensors.Serialize(new Dictionary<string, Tensor> { ["a.weight"] = a, ["b"] = b, ["c.h"] = c },
                    new Dictionary<string, string> { ["format"] = "pt" }));
                yield return new FuzzSeed("generated unet", RunWeights.Value);
                break;
            }
            case "onnx":
                yield return new FuzzSeed("generated conv", SmallOnnx());
                break;
            case "run":
                yield return new FuzzSeed("config.json", RunConfig, "config");
                yield return new FuzzSeed("model.safetensors", RunWeights.Value, "weights");
                break;
            case "dicom" or "rle" or "gaze" or "report":
                var synth = Synth(workDir);
                foreach (var s in FromFolder(format, synth)) yield return s with { Name = "generated " + s.Name };
                break;
        }
    }

    private static string? _synth;

    /// <summary>Four synthetic studies (DICOM of every kind Synth writes, gaze, reports, SIIM RLE), written once.</summary>
    private static string Synth(string workDir)
    {
        var dir = Path.Combine(workDir, "synth");
        if (_synth == dir && Directory.Exists(dir)) return dir;
        if (!File.Exists(Path.Combine(dir, "manifest.json")))
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            SyntheticDatasetWriter.Write(new SynthOptions { OutputDirectory = dir, Count = 6, Seed = 11, ImageSize = 64, PneumothoraxRate = 0.5 });
        }
        return _synth = dir;
    }

    /// <summary>A small ONNX model (one Conv with weight and bias initializers, raw and float data, an Int64 shape).</summary>
    private static byte[] SmallOnnx()
    {
        static byte[] Msg(Action<CodedOutputStream> w)
        {
            using var ms = new MemoryStream();
            var o = new CodedOutputStream(ms);
            w(o);
            o.Flush();
            return ms.ToArray();
        }
        static void Bytes(CodedOutputStream o, int n, byte[] v) { o.WriteTag(n, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(v)); }
        static void Str(CodedOutputStream o, int n, string v) { o.WriteTag(n, WireFormat.WireType.LengthDelimited); o.WriteString(v); }
        static void Int(CodedOutputStream o, int n, long v) { o.WriteTag(n, WireFormat.WireType.Varint); o.WriteInt64(v); }
        var weight = Msg(o =>
        {
            foreach (var d in new long[] { 2, 1, 3, 3 }) Int(o, 1, d);
            Int(o, 2, 1); // FLOAT
            Str(o, 8, "conv.weight");
            Bytes(o, 9, Enumerable.Range(0, 18).SelectMany(i => BitConverter.GetBytes(i * 0.1f)).ToArray());
        });
        var bias = Msg(o =>
        {
            Int(o, 1, 2);
            Int(o, 2, 1);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(BitConverter.GetBytes(0.5f).Concat(BitConverter.GetBytes(-0.5f)).ToArray()));
            Str(o, 8, "conv.bias");
        });
        var shape = Msg(o =>
        {
            Int(o, 1, 2);
            Int(o, 2, 7); // INT64
            Str(o, 8, "shape");
            Bytes(o, 9, BitConverter.GetBytes(1L).Concat(BitConverter.GetBytes(-1L)).ToArray());
        });
        var attr = Msg(o => { Str(o, 1, "kernel_shape"); Int(o, 8, 3); Int(o, 8, 3); Int(o, 20, 7); });
        var node = Msg(o => { Str(o, 1, "x"); Str(o, 1, "conv.weight"); Str(o, 1, "conv.bias"); Str(o, 2, "y"); Str(o, 3, "conv"); Str(o, 4, "Conv"); Bytes(o, 5, attr); });
        var valueInfo = (string n) => Msg(o => Str(o, 1, n));
        var graph = Msg(o =>
        {
            Bytes(o, 1, node);
            Str(o, 2, "g");
            Bytes(o, 5, weight);
            Bytes(o, 5, bias);
            Bytes(o, 5, shape);
            Bytes(o, 11, valueInfo("x"));
            Bytes(o, 12, valueInfo("y"));
        });
        var opset = Msg(o => { Str(o, 1, ""); Int(o, 2, 13); });
        return Msg(o => { Int(o, 1, 8); Str(o, 2, "thorax-fuzz"); Bytes(o, 7, graph); Bytes(o, 8, opset); });
    }
}
