using System.CommandLine;
using System.Text.Json;
using Thorax.Pipelines;
using Thorax.Imaging.Codecs;
using Thorax.Metrics;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax metrics classify --csv F [--json]</c> and the other metric verbs.</summary>
internal static class MetricsCommand
{
    public static Command Create()
    {
        var metrics = new Command("metrics", "Score predictions: classification, segmentation, saliency.");
        var csv = new Option<string>("--csv") { Description = "CSV with a 'label' column and 'p' (binary) or 'p_<class>' columns.", Required = true };
        var threshold = new Option<double>("--threshold") { Description = "Decision threshold for binary scores.", DefaultValueFactory = _ => 0.5 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var classify = new Command("classify", "Accuracy, balanced accuracy, precision/recall/F1, MCC, ROC/PR AUC, confusion matrix (scikit-learn semantics).")
            { csv, threshold, json };
        classify.SetAction(r => CliErrors.Run(() =>
        {
            var report = ClassificationReport.FromCsv(r.GetValue(csv)!, r.GetValue(threshold));
            if (r.GetValue(json)) CliJson.PrintJson(report.ToJson()); else Console.WriteLine(report.ToText());
            return 0;
        }));
        metrics.Subcommands.Add(classify);

        var pred = new Option<string>("--pred") { Description = "Folder of predicted PNG maps.", Required = true };
        var truth = new Option<string>("--truth") { Description = "Folder of ground-truth PNG maps with the same file names.", Required = true };
        var json2 = new Option<bool>("--json") { Description = "Print JSON." };
        var segment = new Command("segment", "Dice (empty/empty = 1, Kaggle), IoU, precision, recall, F1, F2 per mask and the mean; masks: PNG, non-zero = foreground.")
            { pred, truth, json2 };
        segment.SetAction(r => CliErrors.Run(() =>
        {
            var items = Pairs(r.GetValue(pred)!, r.GetValue(truth)!).Select(p =>
            {
                var a = Png.Read(p.Pred).ToByte();
                var b = Png.Read(p.Truth).ToByte();
                if (a.Width != b.Width || a.Height != b.Height)
                    throw new InvalidDataException($"{p.Pred} is {a.Width}x{a.Height} but {p.Truth} is {b.Width}x{b.Height}");
                return (p.Id, new BinaryMask(Grey(a), a.Width, a.Height), new BinaryMask(Grey(b), b.Width, b.Height));
            }).ToList();
            var report = SegmentationReport.FromMasks(items);
            if (r.GetValue(json2)) CliJson.PrintJson(report.ToJson()); else Console.WriteLine(report.ToText());
            return 0;
        }));
        metrics.Subcommands.Add(segment);

        var spred = new Option<string>("--pred") { Description = "Folder of predicted saliency maps (PNG, grey).", Required = true };
        var struth = new Option<string>("--truth") { Description = "Folder of ground-truth fixation-density maps (PNG, grey), same file names.", Required = true };
        var json3 = new Option<bool>("--json") { Description = "Print JSON." };
        var saliency = new Command("saliency", "KL divergence, Pearson CC and histogram similarity (MIT saliency benchmark definitions) per map and the mean.")
            { spred, struth, json3 };
        saliency.SetAction(r => CliErrors.Run(() =>
        {
            var rows = Pairs(r.GetValue(spred)!, r.GetValue(struth)!).Select(p =>
            {
                var a = XrayImage.ReadUnit(p.Pred);
                var b = XrayImage.ReadUnit(p.Truth);
                if (a.Width != b.Width || a.Height != b.Height)
                    throw new InvalidDataException($"{p.Pred} is {a.Width}x{a.Height} but {p.Truth} is {b.Width}x{b.Height}");
                return new { id = p.Id, kl = SaliencyMetrics.KlDivergence(a.Pixels, b.Pixels), cc = SaliencyMetrics.CorrelationCoefficient(a.Pixels, b.Pixels),
                    sim = SaliencyMetrics.Similarity(a.Pixels, b.Pixels) };
            }).ToList();
            var mean = new { kl = rows.Average(x => x.kl), cc = rows.Average(x => x.cc), sim = rows.Average(x => x.sim) };
            if (r.GetValue(json3)) CliJson.Print(new { images = rows, mean });
            else
            {
                Console.WriteLine($"{"image",-40} {"KL",9} {"CC",9} {"SIM",9}");
                foreach (var x in rows) Console.WriteLine($"{x.id,-40} {x.kl,9:F4} {x.cc,9:F4} {x.sim,9:F4}");
                Console.WriteLine($"{"mean (" + rows.Count + " maps)",-40} {mean.kl,9:F4} {mean.cc,9:F4} {mean.sim,9:F4}");
            }
            return 0;
        }));
        metrics.Subcommands.Add(saliency);
        return metrics;
    }

    private static byte[] Grey(Thorax.Imaging.Image<byte> img)
    {
        if (img.Channels == 1) return img.Data;
        return Thorax.Imaging.Ops.PixelConvert.ToGrey(img).Data;
    }

    private static List<(string Id, string Pred, string Truth)> Pairs(string predDir, string truthDir)
    {
        if (!Directory.Exists(predDir)) throw new DirectoryNotFoundException($"{predDir}: no such folder (--pred)");
        if (!Directory.Exists(truthDir)) throw new DirectoryNotFoundException($"{truthDir}: no such folder (--truth)");
        var preds = Directory.GetFiles(predDir, "*.png").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (preds.Count == 0) throw new FileNotFoundException($"{predDir}: no .png files (--pred)");
        var list = new List<(string, string, string)>();
        foreach (var p in preds)
        {
            var t = Path.Combine(truthDir, Path.GetFileName(p));
            if (!File.Exists(t)) throw new FileNotFoundException($"{t}: no ground truth for prediction {p}", t);
            list.Add((Path.GetFileNameWithoutExtension(p), p, t));
        }
        return list;
    }
}
