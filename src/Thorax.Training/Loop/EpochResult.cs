using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Thorax.Training.Loop;

/// <summary>One finished epoch of an <see cref="EpochTrainer"/> run: one row of the run's <c>history.csv</c>.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps.</param>
/// <param name="Metrics">The method's validation metrics (<see cref="TrainingMethod.MetricNames"/>, e.g. <c>val_loss</c>).</param>
/// <param name="LearningRate">Learning rate of the optimiser's first parameter group during the epoch (NaN without an optimiser).</param>
/// <param name="Seconds">Wall time of the epoch: training plus validation.</param>
/// <param name="Steps">Optimiser steps trained in the epoch (null in rows of checkpoints written before it was recorded).</param>
/// <param name="Partial">True when the time budget ran out inside the epoch and the loop ended it early: it trained
/// <paramref name="Steps"/> of its steps, was evaluated and checkpointed as usual, and counts as done on resume.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, IReadOnlyDictionary<string, double> Metrics, double LearningRate, double Seconds,
    int? Steps = null, bool Partial = false)
{
    /// <summary>The metric named <paramref name="name"/>; throws naming the epoch and the metrics present when absent.</summary>
    public double Metric(string name) => Metrics.TryGetValue(name, out var v)
        ? v
        : throw new KeyNotFoundException($"epoch {Epoch} has no metric '{name}' (it has {string.Join(", ", Metrics.Keys)})");

    /// <summary>The CSV header for rows with the given metric columns:
    /// <c>epoch,train_loss,{metrics},lr,seconds,steps,partial</c>.</summary>
    public static string CsvHeader(IReadOnlyList<string> metricNames) =>
        string.Join(",", new[] { "epoch", "train_loss" }.Concat(metricNames).Concat(new[] { "lr", "seconds", "steps", "partial" }));

    /// <summary>
    /// The row in invariant culture: losses and metrics with six decimals, the learning rate in six significant
    /// digits, seconds with one decimal, the steps trained (empty when unknown) and <c>partial</c> as 1 or 0.
    /// </summary>
    public string ToCsv(IReadOnlyList<string> metricNames)
    {
        var sb = new StringBuilder();
        sb.Append(Epoch.ToString(CultureInfo.InvariantCulture)).Append(',').Append(F(TrainLoss));
        foreach (var m in metricNames) sb.Append(',').Append(F(Metric(m)));
        sb.Append(',').Append(LearningRate.ToString("G6", CultureInfo.InvariantCulture));
        sb.Append(',').Append(Seconds.ToString("F1", CultureInfo.InvariantCulture));
        sb.Append(',').Append(Steps?.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Partial ? '1' : '0');
        return sb.ToString();
    }

    /// <summary>A whole <c>history.csv</c>: the header and one row per epoch, newline-terminated.</summary>
    public static string ToCsv(IEnumerable<EpochResult> history, IReadOnlyList<string> metricNames)
    {
        var sb = new StringBuilder(CsvHeader(metricNames)).Append('\n');
        foreach (var h in history) sb.Append(h.ToCsv(metricNames)).Append('\n');
        return sb.ToString();
    }

    private static string F(double v) => v.ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>The JSON form kept in checkpoints: <c>{"epoch", "train_loss", "metrics": {...}, "lr", "seconds", "steps", "partial"}</c>
    /// (<c>steps</c> only when known);
    /// non-finite numbers are written as the strings <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.</summary>
    public JsonObject ToJson()
    {
        var metrics = new JsonObject();
        foreach (var (k, v) in Metrics) metrics[k] = Number(v);
        var o = new JsonObject
        {
            ["epoch"] = Epoch, ["train_loss"] = Number(TrainLoss), ["metrics"] = metrics, ["lr"] = Number(LearningRate), ["seconds"] = Number(Seconds),
        };
        if (Steps is { } steps) o["steps"] = steps;
        o["partial"] = Partial;
        return o;
    }

    /// <summary>
    /// Reads <see cref="ToJson"/>'s form, or the row form of checkpoints written by the lung trainer before the shared
    /// loop (<c>{"Epoch", "TrainLoss", "ValLoss", "ValDice", "LearningRate", "Seconds"}</c>), whose other numeric
    /// properties become metrics named in snake case (<c>ValDice</c> is <c>val_dice</c>). Rows without <c>steps</c> or
    /// <c>partial</c> (written before they were recorded) read as unknown steps and a full epoch.
    /// </summary>
    /// <param name="node">The row.</param>
    /// <param name="source">File named in errors.</param>
    /// <exception cref="InvalidDataException">A field is missing or not a number.</exception>
    public static EpochResult FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{source}: a history row is not a JSON object");
        if (o["metrics"] is JsonObject m)
        {
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (k, v) in m) metrics[k] = ReadNumber(v, source, "metrics." + k);
            int? steps = o["steps"] is null ? null : (int)ReadNumber(o["steps"], source, "steps");
            var partial = o["partial"] switch
            {
                null => false,
                JsonValue b when b.TryGetValue<bool>(out var flag) => flag,
                var other => throw new InvalidDataException($"{source}: history field 'partial' is not true or false: {other.ToJsonString()}"),
            };
            return new EpochResult((int)ReadNumber(o["epoch"], source, "epoch"), ReadNumber(o["train_loss"], source, "train_loss"), metrics,
                ReadNumber(o["lr"], source, "lr"), ReadNumber(o["seconds"], source, "seconds"), steps, partial);
        }
        var legacy = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in o)
            if (k is not ("Epoch" or "TrainLoss" or "LearningRate" or "Seconds")) legacy[SnakeCase(k)] = ReadNumber(v, source, k);
        return new EpochResult((int)ReadNumber(o["Epoch"], source, "Epoch"), ReadNumber(o["TrainLoss"], source, "TrainLoss"), legacy,
            ReadNumber(o["LearningRate"], source, "LearningRate"), ReadNumber(o["Seconds"], source, "Seconds"));
    }

    private static JsonNode Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(CultureInfo.InvariantCulture));

    private static double ReadNumber(JsonNode? node, string source, string field)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<double>(out var d)) return d;
            if (v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
        }
        throw new InvalidDataException($"{source}: history field '{field}' is {(node is null ? "missing" : "not a number: " + node.ToJsonString())}");
    }

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }
}
