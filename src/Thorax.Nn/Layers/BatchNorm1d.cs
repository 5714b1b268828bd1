namespace Thorax.Nn;

/// <summary>Batch normalisation of (N, C) or (N, C, L) inputs; see <see cref="BatchNorm"/>.</summary>
/// <remarks>PyTorch: <c>torch.nn.BatchNorm1d</c>.</remarks>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer (PyTorch defaults: eps 1e-5, momentum 0.1, affine, tracking running statistics).</summary>
    public BatchNorm1d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
                       DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
    {
    }

    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        var d = input.Dim;
        if (d != 2 && d != 3) throw new TorchException("batch_norm1d", $"expected 2D or 3D input (got {d}D input)");
    }
}
