using TorchSharp;
using static TorchSharp.torch;
using Thorax.Data.Augmentation;
using Thorax.Data.Loading;

namespace Thorax.Data.Tests.Loading;

public class DataLoaderTests
{
    private static readonly SampleTransform Aug = new Compose(new ShiftScaleRotate { Probability = 0.7 }, new RandomBrightnessContrast());

    private static List<(string[] Ids, float[] Images, float[] Masks)> Run(int workers, int epoch = 0, ulong seed = 7)
    {
        var loader = new DataLoader(new MemoryDataset(23), new DataLoaderOptions
        {
            BatchSize = 4, Shuffle = true, NumWorkers = workers, Seed = seed, Transform = Aug,
        });
        var result = new List<(string[], float[], float[])>();
        foreach (var b in loader.Epoch(epoch))
            using (b)
                result.Add((b.Ids.ToArray(), b.Images.data<float>().ToArray(), b.Masks!.data<float>().ToArray()));
        return result;
    }

    [Fact]
    public void Epoch_DifferentWorkerCounts_IdenticalBatches()
    {
        var serial = Run(0);
        foreach (int workers in new[] { 1, 3 })
        {
            var parallel = Run(workers);
            Assert.Equal(serial.Count, parallel.Count);
            for (int i = 0; i < serial.Count; i++)
            {
                Assert.Equal(serial[i].Ids, parallel[i].Ids);
                Assert.Equal(serial[i].Images, parallel[i].Images);
                Assert.Equal(serial[i].Masks, parallel[i].Masks);
            }
        }
    }

    [Fact]
    public void Epoch_OtherEpochOrSeed_DifferentOrder()
    {
        var a = Run(0).SelectMany(b => b.Ids).ToArray();
        Assert.NotEqual(a, Run(0, epoch: 1).SelectMany(b => b.Ids).ToArray());
        Assert.NotEqual(a, Run(0, seed: 8).SelectMany(b => b.Ids).ToArray());
        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"s{i:D3}"), a.Order());
    }

    [Fact]
    public void Epoch_Shapes_CollatedAsNchw()
    {
        var loader = new DataLoader(new MemoryDataset(10), new DataLoaderOptions { BatchSize = 4 });
        var batches = loader.Epoch(0).ToList();
        try
        {
            Assert.Equal(3, batches.Count);
            Assert.Multiple(
                () => Assert.Equal(new long[] { 4, 1, 10, 12 }, batches[0].Images.shape),
                () => Assert.Equal(new long[] { 4, 1, 10, 12 }, batches[0].Masks!.shape),
                () => Assert.Equal(new long[] { 4, 1 }, batches[0].Labels!.shape),
                () => Assert.Equal(new long[] { 2, 1, 10, 12 }, batches[2].Images.shape),
                () => Assert.Null(batches[0].Gaze),
                () => Assert.Equal(ScalarType.Float32, batches[0].Images.dtype),
                () => Assert.Equal(new float[] { 0, 1, 0, 1 }, batches[0].Labels!.data<float>().ToArray()));
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    [Fact]
    public void Epoch_DropLast_SkipsPartialBatch()
    {
        var loader = new DataLoader(new MemoryDataset(10), new DataLoaderOptions { BatchSize = 4, DropLast = true, NumWorkers = 2 });
        Assert.Equal(2, loader.BatchCount());
        int n = 0;
        foreach (var b in loader.Epoch(0)) using (b) { Assert.Equal(4, b.Count); n++; }
        Assert.Equal(2, n);
    }

    [Fact]
    public void Epoch_BatchesOutliveConsumerScopes_AndDisposeFreesThem()
    {
        long before = torch.Tensor.TotalCount;
        var kept = new List<Batch>();
        var loader = new DataLoader(new MemoryDataset(8), new DataLoaderOptions { BatchSize = 2, NumWorkers = 2 });
        foreach (var b in loader.Epoch(0))
        {
            using (torch.NewDisposeScope()) kept.Add(b); // a scope opened per step must not free the batch
            Assert.False(b.Images.IsInvalid);
        }
        Assert.Equal(before + 4 * 3, torch.Tensor.TotalCount); // 4 batches x (images, masks, labels)
        foreach (var b in kept) b.Dispose();
        Assert.Equal(before, torch.Tensor.TotalCount);
    }

    [Fact]
    public void Epoch_BreakEarly_DisposesPrefetchedBatches()
    {
        long before = torch.Tensor.TotalCount;
        var loader = new DataLoader(new MemoryDataset(40), new DataLoaderOptions { BatchSize = 2, NumWorkers = 3, PrefetchFactor = 2 });
        foreach (var b in loader.Epoch(0))
        {
            b.Dispose();
            break;
        }
        Assert.Equal(before, torch.Tensor.TotalCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Epoch_SampleFails_ExceptionSurfacesAtItsBatch(int workers)
    {
        var loader = new DataLoader(new MemoryDataset(12, failAt: 5), new DataLoaderOptions { BatchSize = 2, NumWorkers = workers });
        int seen = 0;
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var b in loader.Epoch(0)) using (b) seen++;
        });
        Assert.Contains("sample 5", e.Message);
        Assert.Equal(2, seen);
    }

    [Fact]
    public void Epoch_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        var loader = new DataLoader(new MemoryDataset(12), new DataLoaderOptions { BatchSize = 2, NumWorkers = 2 });
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var b in loader.Epoch(0, cts.Token)) { b.Dispose(); cts.Cancel(); }
        });
    }

    [Fact]
    public void Collate_MixedSizes_ThrowsNamingBothSamples()
    {
        var a = new MemoryDataset(1).Get(0);
        var b = new MemoryDataset(1, width: 13).Get(0) with { Id = "other" };
        var e = Assert.Throws<ArgumentException>(() => Collate.Images([a, b]));
        Assert.Contains("other", e.Message);
        Assert.Contains("s000", e.Message);
    }
}
