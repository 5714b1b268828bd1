using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Training;

/// <summary>
/// Stochastic Weight Averaging utilities: recomputing BatchNorm statistics for averaged weights
/// (<see cref="UpdateBatchNorm{TIn,TOut}"/>) and averaging state dicts (<see cref="AverageStateDicts"/>), e.g. of
/// checkpoint files on disk, as the SIIM pneumothorax winners averaged their best checkpoints.
/// The in-training running average is <see cref="SwaAveragedModel{TModule}"/>.
/// </summary>
public static partial class StochasticWeightAveraging
{
    /// <summary>
    /// Recomputes the running mean and variance of every BatchNorm layer of <paramref name="model"/> that tracks
    /// running statistics, from one pass over <paramref name="batches"/>: statistics are reset
    /// (<c>running_mean</c> 0, <c>running_var</c> 1, <c>num_batches_tracked</c> 0), each layer's momentum is set to
    /// none (cumulative average), the model runs in training mode without gradients, and each layer's statistics become
    /// the plain average over batches of the batch mean and unbiased batch variance. Afterwards each layer's momentum
    /// is restored and the model is back in the mode it was in.
    /// </summary>
    /// <param name="model">The model (typically <see cref="SwaAveragedModel{TModule}.Averaged"/>).</param>
    /// <param name="batches">Model inputs, e.g. (N, C, H, W) float32 image batches of the training set; not disposed.</param>
    /// <returns>The number of batches run (0 and nothing changed when the model has no tracking BatchNorm layer).</returns>
    /// <remarks>
    /// Each batch counts equally whatever its size, as in PyTorch; dropout layers are active during the pass and draw
    /// from the global generator. Tensors created by a forward pass are freed after it.
    /// PyTorch: <c>torch.optim.swa_utils.update_bn(loader, model)</c>.
    /// </remarks>
    public static int UpdateBatchNorm<TIn, TOut>(Module<TIn, TOut> model, IEnumerable<TIn> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        // TorchSharp's modules() lists descendants only; PyTorch's includes the module itself.
        var layers = model.modules().Prepend(model).Distinct().OfType<BatchNorm>()
            .Where(b => b.track_running_stats && b.running_mean is not null && b.running_var is not null).ToList();
        if (layers.Count == 0) return 0;

        var wasTraining = model.training;
        var momenta = layers.Select(b => b.momentum).ToArray();
        var seen = 0;
        try
        {
            foreach (var bn in layers)
            {
                bn.reset_running_stats();
                bn.momentum = null;
            }
            model.train();
            foreach (var x in batches)
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                model.call(x);
                seen++;
            }
        }
        finally
        {
            for (var i = 0; i < layers.Count; i++) layers[i].momentum = momenta[i];
            model.train(wasTraining);
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
    /// <returns>A new state dict (on the first dictionary's devices) owned by the caller.</returns>
    /// <exception cref="ArgumentException">No dictionaries, or keys or shapes differ (message names the key and the dictionary index).</exception>
    public static Dictionary<string, Tensor> AverageStateDicts(IEnumerable<IReadOnlyDictionary<string, Tensor>> stateDicts)
    {
        ArgumentNullException.ThrowIfNull(stateDicts);
        Dictionary<string, Tensor>? avg = null;
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
            DisposeAll(avg);
            throw;
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor>? d)
    {
        if (d is null) return;
        foreach (var t in d.Values) t.Dispose();
    }

    /// <summary>Adds <paramref name="next"/> as the (n+1)-th member of the average; returns a problem instead of throwing.</summary>
    private static (string Key, string Message)? Fold(ref Dictionary<string, Tensor>? avg, IReadOnlyDictionary<string, Tensor> next, long n)
    {
        ArgumentNullException.ThrowIfNull(next);
        using var noGrad = torch.no_grad();
        if (avg is null)
        {
            var first = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, t) in next) first.Add(k, t.detach().clone().DetachFromDisposeScope());
            avg = first;
            return null;
        }
        foreach (var key in avg.Keys)
        {
            if (!next.TryGetValue(key, out var t)) return (key, "is missing");
            var a = avg[key];
            if (!a.shape.AsSpan().SequenceEqual(t.shape) || a.is_floating_point() != t.is_floating_point())
                return (key, $"is {Optim.OptimizerStateDict.Describe(t)}, expected {Optim.OptimizerStateDict.Describe(a)}");
        }
        foreach (var key in next.Keys)
            if (!avg.ContainsKey(key)) return (key, "is not in the first state dict");
        using var scope = torch.NewDisposeScope();
        foreach (var (key, a) in avg)
        {
            var src = next[key].detach();
            if (src.device != a.device) src = src.to(a.device);
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
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var count = torch.tensor(n + 1, ScalarType.Int64, avg.device);
        var updated = avg.add(x.sub(avg).div(count));
        avg.copy_(updated);
    }
}
