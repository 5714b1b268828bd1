using System.Text.Json;
using System.Text.Json.Serialization;

namespace Thorax.Metrics;

/// <summary>
/// The JSON conventions of every Thorax output (reports, run files, the CLI's <c>--json</c>): snake_case property names
/// with "IoU" and "NaN" as one word each (<c>mean_iou</c>), enums as snake_case strings, NaN/∞ as strings, indented.
/// </summary>
public static class ThoraxJson
{
    /// <summary>snake_case_lower that keeps "IoU" and "NaN" one word each (<c>MeanIoU</c> -> <c>mean_iou</c>).</summary>
    public static JsonNamingPolicy Naming { get; } = new SnakeCase();

    /// <summary>Serializer options with <see cref="Naming"/> for properties and enums, named floating-point literals,
    /// indented.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = Naming,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(Naming) },
    };

    private sealed class SnakeCase : JsonNamingPolicy
    {
        public override string ConvertName(string name) =>
            SnakeCaseLower.ConvertName(name.Replace("IoU", "Iou", StringComparison.Ordinal).Replace("NaN", "Nan", StringComparison.Ordinal));
    }
}
