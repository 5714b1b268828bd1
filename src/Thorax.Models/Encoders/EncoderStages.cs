using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Encoders;

/// <summary>
/// Stages of an <see cref="IFeatureEncoder"/> defined by its taps, for schedules that freeze part of an encoder the same
/// way whatever its architecture.
/// </summary>
public static class EncoderStages
{
    /// <summary>
    /// The names of the parameters that the map at tap <paramref name="tap"/> (index into
    /// <see cref="IFeatureEncoder.FeatureStrides"/>) depends on: the stem and the stages up to that tap. Found by autograd
    /// on <paramref name="probe"/>, a throwaway encoder of the architecture (its gradients are written, BatchNorm is run in
    /// eval mode): one forward pass of a [1, InChans, size, size] input and a backward pass from the tap's sum; a parameter
    /// belongs when it received a gradient.
    /// </summary>
    /// <exception cref="ArgumentException">The probe is not an <see cref="IFeatureEncoder"/>, or the tap is out of range.</exception>
    public static IReadOnlyList<string> ParametersUpToTap(nn.Module<Tensor, Tensor> probe, int tap, int size = 96)
    {
        ArgumentNullException.ThrowIfNull(probe);
        if (probe is not IFeatureEncoder fe) throw new ArgumentException($"{probe.GetName()} does not implement IFeatureEncoder", nameof(probe));
        if (tap < 0 || tap >= fe.FeatureStrides.Count)
            throw new ArgumentException($"tap {tap} out of range: {probe.GetName()} has {fe.FeatureStrides.Count} taps", nameof(tap));
        probe.eval();
        var named = probe.named_parameters().ToList();
        foreach (var (_, p) in named) p.requires_grad = true;
        using (var scope = NewDisposeScope())
        {
            var maps = fe.forward_features(zeros(1, fe.InChans, size, size) + 0.5);
            maps[tap].sum().backward();
        }
        var names = new List<string>();
        foreach (var (name, p) in named)
        {
            using var g = p.grad;
            if (g is not null) names.Add(name);
        }
        probe.zero_grad();
        return names;
    }

    /// <summary>
    /// The first half of an encoder: the parameters up to the middle tap (the stride-8 map of the usual four taps at
    /// strides 4, 8, 16, 32: stem and the first two stages), see <see cref="ParametersUpToTap"/>.
    /// </summary>
    public static IReadOnlyList<string> FirstHalf(nn.Module<Tensor, Tensor> probe, int size = 96)
    {
        if (probe is not IFeatureEncoder fe) throw new ArgumentException($"{probe?.GetName()} does not implement IFeatureEncoder", nameof(probe));
        return ParametersUpToTap(probe, fe.FeatureStrides.Count / 2 - 1, size);
    }
}
