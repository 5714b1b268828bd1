namespace Thorax.Data.Datasets;

/// <summary>A random-access collection of <see cref="Sample"/>s (PyTorch: <c>torch.utils.data.Dataset</c>).</summary>
/// <remarks>Implementations must be safe to call from several threads at once: the loader's workers call
/// <see cref="Get"/> concurrently.</remarks>
public interface IDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Names of the label vector entries, in order (may be empty).</summary>
    IReadOnlyList<string> LabelNames { get; }

    /// <summary>Id of sample <paramref name="index"/>, without decoding pixels.</summary>
    string IdOf(int index);

    /// <summary>Label vector of sample <paramref name="index"/>, without decoding pixels (for samplers).</summary>
    float[] LabelsOf(int index);

    /// <summary>Loads and decodes sample <paramref name="index"/>.</summary>
    /// <param name="index">0 .. Count-1.</param>
    /// <returns>A new sample; the caller may keep it.</returns>
    Sample Get(int index);
}
