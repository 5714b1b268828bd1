using Thorax.Models.Weights;
using static TorchSharp.torch;

namespace Thorax.Models.Saliency;

/// <summary>Loading the reference's checkpoints (plain <c>torch.save(net.state_dict())</c>, or safetensors) into the
/// saliency networks.</summary>
public static class SaliencyWeights
{
    /// <summary>
    /// Strictly loads a state dict into <paramref name="net"/>, accepting a <c>module.</c> prefix on every key (what
    /// <c>nn.DataParallel</c> writes, as the reference's stage-1 code does). Every missing, unexpected or mis-shaped key
    /// is named with <paramref name="source"/> in the <see cref="StateDictException"/>.
    /// </summary>
    public static void Load(nn.Module net, IReadOnlyDictionary<string, Tensor> stateDict, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(stateDict);
        if (stateDict.Count > 0 && stateDict.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)))
        {
            var stripped = stateDict.WithPrefixRemoved("module.");
            try
            {
                StateDicts.Load(net, stripped, strict: true, source: source);
            }
            finally
            {
                stripped.DisposeAll();
            }
            return;
        }
        StateDicts.Load(net, stateDict, strict: true, source: source);
    }

    /// <summary>Reads a weight file (torch.save or safetensors, see <see cref="StateDicts.ReadFile"/>) and loads it with
    /// <see cref="Load(nn.Module, IReadOnlyDictionary{string, Tensor}, string?)"/>.</summary>
    public static void LoadFile(nn.Module net, string path)
    {
        var sd = StateDicts.ReadFile(path);
        try
        {
            Load(net, sd, path);
        }
        finally
        {
            sd.DisposeAll();
        }
    }
}
