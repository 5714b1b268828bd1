using System.Text.Json;

namespace Thorax.Metrics;

/// <summary>The report records' JSON settings (<see cref="ThoraxJson"/>) and number formatting.</summary>
internal static class ReportJson
{
    public static JsonSerializerOptions Options => ThoraxJson.Options;

    public static string F(double value) => double.IsNaN(value) ? "nan" : value.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);

    public static string F(double? value) => value is null ? "-" : F(value.Value);
}
