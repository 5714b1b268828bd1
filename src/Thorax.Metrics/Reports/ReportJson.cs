using System.Text.Json;
using System.Text.Json.Serialization;

namespace Thorax.Metrics;

/// <summary>Shared System.Text.Json settings for the report records (snake_case as every Thorax JSON output, "IoU" as one
/// word; indented; NaN/∞ as strings; enums as snake_case strings).</summary>
internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = new SnakeCase(),
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(new SnakeCase()) },
    };

    public static string F(double value) => double.IsNaN(value) ? "nan" : value.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);

    public static string F(double? value) => value is null ? "-" : F(value.Value);

    private sealed class SnakeCase : JsonNamingPolicy
    {
        public override string ConvertName(string name) => SnakeCaseLower.ConvertName(name.Replace("IoU", "Iou", StringComparison.Ordinal).Replace("NaN", "Nan", StringComparison.Ordinal));
    }
}
