using System.Text.Json;
using System.Text.Json.Serialization;

namespace Thorax.Metrics;

/// <summary>Shared System.Text.Json settings for the report records (camelCase, indented, NaN/∞ as strings).</summary>
internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string F(double value) => double.IsNaN(value) ? "nan" : value.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);

    public static string F(double? value) => value is null ? "-" : F(value.Value);
}
