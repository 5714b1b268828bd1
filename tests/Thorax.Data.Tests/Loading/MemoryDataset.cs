using Thorax.Data.Datasets;

namespace Thorax.Data.Tests.Loading;

/// <summary>An in-memory dataset of small synthetic samples (image = ramp + index, one square mask, label = index % 2).</summary>
internal sealed class MemoryDataset(int count, int width = 12, int height = 10, int? failAt = null) : IDataset
{
    public int Count => count;

    public IReadOnlyList<string> LabelNames => ["odd"];

    public string IdOf(int index) => $"s{index:D3}";

    public float[] LabelsOf(int index) => [index % 2];

    public Sample Get(int index)
    {
        if (index == failAt) throw new InvalidDataException($"sample {index} is corrupt");
        var img = new float[width * height];
        var mask = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                img[y * width + x] = (x + y + index) % 17 / 17f;
                mask[y * width + x] = (byte)(x >= 3 && x < 8 && y >= 2 && y < 6 ? 1 : 0);
            }
        return new Sample { Id = IdOf(index), Image = img, Channels = 1, Width = width, Height = height, Masks = [mask], Labels = LabelsOf(index) };
    }
}
