using Thorax.Nn;
using F = Thorax.Functional;

namespace Thorax.Training;

/// <summary>
/// Stochastic Weight Averaging utilities: recomputing BatchNorm statistics for averaged weights
/// (<see cref="UpdateBatchNorm{TIn,TOut}"/>) and averaging state dicts or checkpoint files on disk
/// (<see cref="AverageCheckpointFiles"/>, as the SIIM pneumothorax winners averaged their best checkpoints).
/// The in-training running average is <see cref="SwaAveragedModel{TModule}"/>.
/// </summary>
public static class StochasticWeightAveraging
{
    /// <summary>
    /// Recomputes the running mean and variance of every BatchNorm layer of <paramref name="model"/> that tracks
    /// running statistics, from one pass over <paramref name="batches"/>: statistics are reset
    /// (<c>running_mean</c> 0, <c>running_var</c> 1, <c>num_batches_tracked</c> 0), the model runs in training mode
    /// without gradients, and each layer's statistics become the plain average over batches of the batch mean and
    /// unbiased batch variance (PyTorch's <c>momentum=None</c>). Afterwards each layer's momentum is untouched and the
    /// model is back in the mode it was in.
    /// </summary>
    /// <param name="model">The model (typically <see cref="SwaAveragedModel{TModule}.Averaged"/>).</param>
    /// <param name="batches">Model inputs, e.g. (N, C, H, W) float32 image batches of the training set; not disposed.</param>
    /// <returns>The number of batches run (0 and nothing changed when the model has no tracking BatchNorm layer).</returns>
    /// <remarks>
    /// Each batch counts equally whatever its size, as in PyTorch; dropout layers are active during the pass and draw
    /// from their generators. Tensors created by a forward pass are freed after it.
    /// PyTorch: <c>torch.optim.swa_utils.update_bn(loader, model)</c>.
    /// </remarks>
    public static int UpdateBatchNorm<TIn, TOut>(Module<TIn, TOut> model, IEnumerable<TIn> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        var layers = model.NamedModules().Select(m => m.Module).OfType<BatchNorm>()
            .Where(b => b.RunningMean is not null && b.RunningVar is not null).ToList();
        if (layers.Count == 0) return 0;

        var wasTraining = model.IsTraining;
        var means = new Tensor[layers.Count];
        var vars = new Tensor[layers.Count];
        var calls = new int[layers.Count];
        var hooks = new List<IDisposable>();
        var seen = 0;
        try
        {
            using (Torch.NoGrad())
            {
                for (var i = 0; i < layers.Count; i++)
                {
                    var bn = layers[i];
                    bn.RunningMean!.Zero_();
                    bn.RunningVar!.Fill_(1);
                    bn.NumBatchesTracked?.Zero_();
                    means[i] = Torch.ZerosLike(bn.RunningMean).DetachFromScope();
                    vars[i] = Torch.OnesLike(bn.RunningVar).DetachFromScope();
                    var k = i;
                    // BatchNorm's momentum is fixed at construction, so the cumulative average (factor 1/calls) is
                    // kept in side buffers by the same native kernel and copied in at the end.
                    hooks.Add(bn.RegisterForwardHook((_, input, _) =>
                    {
                        calls[k]++;
                        using var o = F.BatchNorm(input, means[k], vars[k], training: true, momentum: 1.0 / calls[k], eps: bn.Eps);
                    }));
                }
            }
            model.Train();
            foreach (var x in batches)
            {
                using var scope = Torch.NewScope();
                using var noGrad = Torch.NoGrad();
                model.Forward(x);
                seen++;
            }
            using (Torch.NoGrad())
            {
                for (var i = 0; i < layers.Count; i++)
                {
                    layers[i].RunningMean!.Copy_(means[i]);
                    layers[i].RunningVar!.Copy_(vars[i]);
                }
            }
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
            foreach (var t in means) t?.Dispose();
            foreach (var t in vars) t?.Dispose();
            model.Train(wasTraining);
        }
        return seen;
    }

    /// <summary>
    /// The equal-weight average of several state dicts with identical keys and shapes, folded in order with
    /// <see cref="SwaAveragedModel{TModule}"/>'s rule (so the result equals an average with <c>useBuffers</c>):
    /// floating tensors are averaged in their dtype; integer tensors (e.g. <c>num_batches_tracked</c>) get the
    /// truncated average.
    /// </summary>
    /// <param name="stateDicts">At least one dictionary; not modified or disposed.</param>
    /// <returns>A new state dict (CPU or the first dictionary's devices) owned by the caller.</returns>
    /// <exception cref="ArgumentException">No dictionaries, or keys or shapes differ (message names the key and the dictionary index).</exception>
    public static StateDict AverageStateDicts(IEnumerable<IReadOnlyDictionary<string, Tensor>> stateDicts)
    {
        ArgumentNullException.ThrowIfNull(stateDicts);
        StateDict? avg = null;
        long n = 0;
        try
        {
            foreach (var sd in stateDicts)
            {
                var problem = Fold(ref avg, sd, n);
                if (problem is { } p) throw new ArgumentException($"state dict {n}: '{p.Key}' {p.Message}", nameof(stateDicts));
                n++;
            }
            if (avg is null) throw new ArgumentException("no state dicts to average", nameof(stateDicts));
            return avg;
        }
        catch
        {
            avg?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Averages the model weights stored in several files, reading one file at a time: Thorax training checkpoints
    /// (their <c>model.</c> state) or plain safetensors weight files. Same rule as <see cref="AverageStateDicts"/>.
    /// BatchNorm statistics of averaged weights are best recomputed with <see cref="UpdateBatchNorm{TIn,TOut}"/>.
    /// </summary>
    /// <param name="paths">At least one file.</param>
    /// <returns>A new CPU state dict owned by the caller.</returns>
    /// <exception cref="TrainingCheckpointException">A file cannot be read, or its keys or shapes differ from the first file's (message names the file and key).</exception>
    public static StateDict AverageCheckpointFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        StateDict? avg = null;
        long n = 0;
        try
        {
            foreach (var path in paths)
            {
                using var sd = ReadModelState(path);
                var problem = Fold(ref avg, sd, n);
                if (problem is { } p) throw new TrainingCheckpointException(path, p.Key, p.Message + " (compared with the first file)");
                n++;
            }
            if (avg is null) throw new ArgumentException("no checkpoint files to average", nameof(paths));
            return avg;
        }
        catch
        {
            avg?.Dispose();
            throw;
        }
    }

    private static StateDict ReadModelState(string path)
    {
        StateDict tensors;
        IReadOnlyDictionary<string, string> meta;
        try
        {
            (tensors, meta) = SafeTensors.LoadWithMetadata(path);
        }
        catch (WeightFileException e)
        {
            throw new TrainingCheckpointException(path, e.TensorKey, "cannot read the weights: " + e.Message, e);
        }
        if (!meta.TryGetValue("format", out var format) || format != TrainingCheckpoint.FormatName) return tensors;
        using (tensors) return tensors.WithPrefixRemoved("model.");
    }

    /// <summary>Adds <paramref name="next"/> as the (n+1)-th member of the average; returns a problem instead of throwing.</summary>
    private static (string Key, string Message)? Fold(ref StateDict? avg, IReadOnlyDictionary<string, Tensor> next, long n)
    {
        ArgumentNullException.ThrowIfNull(next);
        using var noGrad = Torch.NoGrad();
        if (avg is null)
        {
            var first = new StateDict();
            foreach (var (k, t) in next) first.Add(k, t.Detach().Clone());
            avg = first;
            return null;
        }
        foreach (var key in avg.Keys)
        {
            if (!next.TryGetValue(key, out var t)) return (key, "is missing");
            var a = avg[key];
            if (!a.Shape.AsSpan().SequenceEqual(t.Shape) || a.DType.IsFloatingPoint() != t.DType.IsFloatingPoint())
                return (key, $"is {t.Describe()}, expected {a.Describe()}");
        }
        foreach (var key in next.Keys)
            if (!avg.ContainsKey(key)) return (key, "is not in the first state dict");
        using var scope = Torch.NewScope();
        foreach (var (key, a) in avg)
        {
            var src = next[key].Detach();
            if (src.Device != a.Device) src = src.To(a.Device);
            AverageInto(a, src, n);
        }
        return null;
    }

    /// <summary>
    /// <c>avg ← avg + (x − avg) / (n + 1)</c> in place, with <c>n + 1</c> as an int64 0-d tensor so dtypes promote as
    /// in PyTorch's <c>AveragedModel</c> (float32 stays float32; integer tensors get a truncated result).
    /// </summary>
    internal static void AverageInto(Tensor avg, Tensor x, long n)
    {
        using var scope = Torch.NewScope();
        using var noGrad = Torch.NoGrad();
        var count = Torch.Scalar(n + 1, DType.Int64, avg.Device);
        var updated = avg.Add(x.Sub(avg).Div(count));
        avg.Copy_(updated);
    }
}
