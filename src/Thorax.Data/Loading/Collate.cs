using Thorax.Data.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Data.Loading;

/// <summary>Collation of samples into batch arrays and tensors (PyTorch: <c>default_collate</c>).</summary>
public static class Collate
{
    /// <summary>Stacks the images into one planar array [N, C, H, W].</summary>
    /// <exception cref="ArgumentException">Empty list or samples of different shapes (message names both ids).</exception>
    public static float[] Images(IReadOnlyList<Sample> samples) => ImagesCore(samples, CheckShapes(samples));

    private static float[] ImagesCore(IReadOnlyList<Sample> samples, Sample first)
    {
        int per = first.Image.Length;
        var result = new float[(long)per * samples.Count];
        for (int i = 0; i < samples.Count; i++) samples[i].Image.CopyTo(result, (long)i * per);
        return result;
    }

    /// <summary>Stacks the masks into [N, M, H, W] floats (0/1), or null when no sample has masks.</summary>
    /// <exception cref="ArgumentException">Samples with different mask counts.</exception>
    public static float[]? Masks(IReadOnlyList<Sample> samples) => MasksCore(samples, CheckShapes(samples));

    private static float[]? MasksCore(IReadOnlyList<Sample> samples, Sample first)
    {
        int m = first.Masks.Count, plane = first.PlaneSize;
        foreach (var s in samples)
            if (s.Masks.Count != m) throw new ArgumentException($"sample '{s.Id}' has {s.Masks.Count} masks but '{first.Id}' has {m}");
        if (m == 0) return null;
        var result = new float[(long)samples.Count * m * plane];
        for (int i = 0; i < samples.Count; i++)
            for (int k = 0; k < m; k++)
            {
                var src = samples[i].Masks[k];
                var dst = result.AsSpan((int)(((long)i * m + k) * plane), plane);
                for (int p = 0; p < plane; p++) dst[p] = src[p];
            }
        return result;
    }

    /// <summary>Stacks the gaze maps into [N, 1, H, W], or null when no sample has one.</summary>
    /// <exception cref="ArgumentException">Some samples have a gaze map and others do not.</exception>
    public static float[]? Gaze(IReadOnlyList<Sample> samples) => GazeCore(samples, CheckShapes(samples));

    private static float[]? GazeCore(IReadOnlyList<Sample> samples, Sample first)
    {
        int with = samples.Count(s => s.Gaze is not null);
        if (with == 0) return null;
        if (with != samples.Count) throw new ArgumentException($"{samples.Count - with} of {samples.Count} samples in the batch have no gaze map");
        int plane = first.PlaneSize;
        var result = new float[(long)samples.Count * plane];
        for (int i = 0; i < samples.Count; i++) samples[i].Gaze!.CopyTo(result, (long)i * plane);
        return result;
    }

    /// <summary>Stacks the label vectors into [N, K], or null when K = 0.</summary>
    /// <exception cref="ArgumentException">Label vectors of different lengths.</exception>
    public static float[]? Labels(IReadOnlyList<Sample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        int k = samples[0].Labels.Length;
        foreach (var s in samples)
            if (s.Labels.Length != k) throw new ArgumentException($"sample '{s.Id}' has {s.Labels.Length} labels but '{samples[0].Id}' has {k}");
        if (k == 0) return null;
        var result = new float[samples.Count * k];
        for (int i = 0; i < samples.Count; i++) samples[i].Labels.CopyTo(result, i * k);
        return result;
    }

    /// <summary>Collates into a <see cref="Batch"/> whose tensors are owned by the caller (detached from any scope).</summary>
    public static Batch ToBatch(IReadOnlyList<Sample> samples, int[] indices, int epoch = 0, int batchIndex = 0, bool keepSamples = false)
    {
        var first = CheckShapes(samples);
        var images = ImagesCore(samples, first);
        var masks = MasksCore(samples, first);
        var gaze = GazeCore(samples, first);
        var labels = Labels(samples);
        long n = samples.Count;
        Tensor? img = null, msk = null, gz = null, lab = null;
        try
        {
            img = torch.tensor(images, new long[] { n, first.Channels, first.Height, first.Width }).DetachFromDisposeScope();
            if (masks is not null) msk = torch.tensor(masks, new long[] { n, first.Masks.Count, first.Height, first.Width }).DetachFromDisposeScope();
            if (gaze is not null) gz = torch.tensor(gaze, new long[] { n, 1, first.Height, first.Width }).DetachFromDisposeScope();
            if (labels is not null) lab = torch.tensor(labels, new long[] { n, first.Labels.Length }).DetachFromDisposeScope();
            return new Batch(epoch, batchIndex, indices, samples, img, msk, gz, lab, keepSamples);
        }
        catch
        {
            img?.Dispose(); msk?.Dispose(); gz?.Dispose(); lab?.Dispose();
            throw;
        }
    }

    private static Sample CheckShapes(IReadOnlyList<Sample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        var f = samples[0];
        foreach (var s in samples)
        {
            s.Validate();
            if (s.Channels != f.Channels || s.Height != f.Height || s.Width != f.Width)
                throw new ArgumentException($"sample '{s.Id}' is [{s.Channels}, {s.Height}, {s.Width}] but '{f.Id}' is [{f.Channels}, {f.Height}, {f.Width}]; resize to one size before batching");
        }
        return f;
    }
}
