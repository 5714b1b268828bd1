namespace Thorax.Data.Loading;

/// <summary>Chooses the dataset indices of one epoch (PyTorch: <c>torch.utils.data.Sampler</c>).</summary>
public interface ISampler
{
    /// <summary>The indices of epoch <paramref name="epoch"/>, in order; may repeat indices (sampling with replacement).</summary>
    /// <param name="epoch">0-based epoch (schedules such as <see cref="SlidingRateSampler"/> depend on it).</param>
    /// <param name="seed">The epoch's seed (<see cref="SeedSequence.Epoch"/>).</param>
    int[] Indices(int epoch, ulong seed);
}
