using Thorax.Models.Weights;
using static TorchSharp.torch;

namespace Thorax.Training;

public static partial class StochasticWeightAveraging
{
    /// <summary>
    /// Averages the model weights stored in several files, reading one file at a time: Thorax training checkpoints
    /// (their <c>model.</c> state) or plain safetensors weight files. Same rule as <see cref="AverageStateDicts"/>.
    /// BatchNorm statistics of averaged weights are best recomputed with <see cref="UpdateBatchNorm{TIn,TOut}"/>.
    /// </summary>
    /// <param name="paths">At least one file.</param>
    /// <returns>A new CPU state dict owned by the caller.</returns>
    /// <exception cref="TrainingCheckpointException">A file cannot be read, or its keys or shapes differ from the first file's (message names the file and key).</exception>
    public static Dictionary<string, Tensor> AverageCheckpointFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Dictionary<string, Tensor>? avg = null;
        long n = 0;
        try
        {
            foreach (var path in paths)
            {
                var sd = ReadModelState(path);
                try
                {
                    var problem = Fold(ref avg, sd, n);
                    if (problem is { } p) throw new TrainingCheckpointException(path, p.Key, p.Message + " (compared with the first file)");
                }
                finally
                {
                    sd.DisposeAll();
                }
                n++;
            }
            if (avg is null) throw new ArgumentException("no checkpoint files to average", nameof(paths));
            return avg;
        }
        catch
        {
            DisposeAll(avg);
            throw;
        }
    }

    private static Dictionary<string, Tensor> ReadModelState(string path)
    {
        if (!File.Exists(path)) throw new TrainingCheckpointException(path, null, "file not found");
        Dictionary<string, Tensor> tensors;
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
        var model = tensors.WithPrefixRemoved("model.");
        tensors.DisposeAll();
        return model;
    }
}
