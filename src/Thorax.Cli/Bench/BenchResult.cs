namespace Thorax.Cli.Bench;

/// <summary>One benchmark row: the case, Thorax's median and, when PyTorch ran, PyTorch's median (milliseconds).</summary>
internal sealed record BenchResult(string Case, double ThoraxMs, double? PyTorchMs, string Unit = "ms")
{
    /// <summary>Thorax time / PyTorch time (lower is better for Thorax).</summary>
    public double? Ratio => PyTorchMs is > 0 ? ThoraxMs / PyTorchMs : null;
}
