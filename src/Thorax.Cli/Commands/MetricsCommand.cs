using System.CommandLine;
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
            Console.WriteLine(r.GetValue(json) ? report.ToJson() : report.ToText());
            return 0;
        }));
        metrics.Subcommands.Add(classify);
        return metrics;
    }
}
