using Thorax.Data.Datasets;
using static TorchSharp.torch;

namespace Thorax.Data.Loading;

/// <summary>
/// One collated batch. The consumer owns it: dispose it (or every tensor) when done. Its tensors are created
/// outside any TorchSharp dispose scope (<c>torch.NewDisposeScope()</c>) (on the loader's worker thread, or detached from the consumer's scope), so a
/// scope the consumer opens does not free them; call <see cref="Dispose"/> when the step is done.
/// </summary>
public sealed class Batch : IDisposable
{
    internal Batch(int epoch, int index, int[] indices, IReadOnlyList<Sample> samples, Tensor images, Tensor? masks, Tensor? gaze,
        Tensor? labels, bool keepSamples)
    {
        Epoch = epoch;
        BatchIndex = index;
        Indices = indices;
        Ids = samples.Select(s => s.Id).ToArray();
        Reports = samples.Select(s => s.Report).ToArray();
        Images = images;
        Masks = masks;
        Gaze = gaze;
        Labels = labels;
        Samples = keepSamples ? samples : null;
    }

    /// <summary>Epoch this batch belongs to.</summary>
    public int Epoch { get; }

    /// <summary>0-based position of the batch in its epoch.</summary>
    public int BatchIndex { get; }

    /// <summary>Dataset indices of the samples, in batch order.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Sample ids, in batch order.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Report texts (null where a sample has none).</summary>
    public IReadOnlyList<string?> Reports { get; }

    /// <summary>Number of samples N.</summary>
    public int Count => Ids.Count;

    /// <summary>Images, float32 [N, C, H, W] on the CPU.</summary>
    public Tensor Images { get; }

    /// <summary>Masks, float32 0/1 [N, M, H, W] (M masks per sample, usually 1), or null when samples have none.</summary>
    public Tensor? Masks { get; }

    /// <summary>Gaze maps, float32 [N, 1, H, W], or null when samples have none.</summary>
    public Tensor? Gaze { get; }

    /// <summary>Labels, float32 [N, K] (NaN = unknown), or null when K = 0.</summary>
    public Tensor? Labels { get; }

    /// <summary>The transformed samples when <see cref="DataLoaderOptions.KeepSamples"/> is set, else null.</summary>
    public IReadOnlyList<Sample>? Samples { get; }

    /// <summary>Disposes every tensor of the batch. Safe to call twice.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Masks?.Dispose();
        Gaze?.Dispose();
        Labels?.Dispose();
    }
}
