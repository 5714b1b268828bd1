using System.CommandLine;
using Thorax.Models.Runtime;
using TorchSharp;

namespace Thorax.Cli.Commands;

/// <summary>
/// The one <c>--device</c> option of every verb that builds or runs a model: the same help text everywhere, and the same
/// error (exit 2) for a malformed name or a device this libtorch build or machine does not have. Verbs parse it first,
/// before reading data or training (<see cref="Parse(ParseResult, Option{string})"/>).
/// </summary>
internal static class DeviceOption
{
    /// <summary>The help text.</summary>
    public const string Description =
        "Where the model runs: cpu, cuda or cuda:N. CUDA needs a CUDA TorchSharp package instead of TorchSharp-cpu (never built or run here: README \"Engine\").";

    /// <summary>A new <c>--device</c> option (default <c>cpu</c>).</summary>
    public static Option<string> Create() => new("--device") { Description = Description, DefaultValueFactory = _ => "cpu" };

    /// <summary>The device <paramref name="option"/> names.</summary>
    /// <exception cref="ArgumentException">Malformed or absent device; the message starts with <c>--device:</c> and names
    /// the value (and how many CUDA devices there are).</exception>
    public static torch.Device Parse(ParseResult r, Option<string> option) => Parse(r.GetValue(option)!);

    /// <inheritdoc cref="Parse(ParseResult, Option{string})"/>
    public static torch.Device Parse(string value)
    {
        try
        {
            return TorchRuntime.ParseDevice(value);
        }
        catch (ArgumentException e)
        {
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new ArgumentException($"--device: {message}", e);
        }
    }
}
