using Thorax.Models.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Runtime;

/// <summary>
/// Runs the 2-D convolutions whose channel counts are not a multiple of 16 on channels-last (NHWC-strided) CPU inputs,
/// the layout in which libtorch 2.10's oneDNN computes their gradients correctly.
/// </summary>
/// <remarks>
/// <para>
/// Why: with TorchSharp-cpu 0.107 (libtorch 2.10, oneDNN 3) on this AVX-512 CPU, a float32 convolution on ordinary
/// NCHW tensors is computed in oneDNN's channel-blocked layout (16 channels per block). When an input or output channel
/// count is not a multiple of the block (a 1-channel output head, SA-UNet's 2 -> 1 spatial attention, base widths 4,
/// 8 or 24) the input gradient is wrong (max error 0.3-0.9 on unit-scale gradients against a float64 computation) and,
/// when recycled memory holds NaN or Inf, NaN. Forward outputs are right. On channels-last inputs oneDNN uses the
/// plain NHWC layout, with no padded lanes: the same cases match float64 to 1e-5 (tests/Thorax.Models.Tests/Runtime).
/// Channels-last is not used for every convolution: on this machine (a VM that reports no cache sizes) oneDNN's NHWC
/// kernel for large 1x1 convolutions (1024 -> 512 channels) dies with a division by zero (SIGFPE), while the blocked
/// NCHW kernels, correct for multiples of 16, run.
/// </para>
/// <para>
/// How: on each such <c>Conv2d</c> / <c>ConvTranspose2d</c>, a forward pre-hook restrides a 4-D float CPU input to
/// channels-last and a forward hook returns the output in the ordinary contiguous layout, so the layout change stays
/// inside the layer (and its backward). Weights keep their layout, so state dicts and weight files are unchanged.
/// TorchSharp runs hooks from <c>call()</c> (and <c>Sequential</c>), which is how Thorax modules invoke their layers.
/// CUDA inputs are left alone.
/// </para>
/// </remarks>
public static class ConvolutionLayout
{
    private const string Marker = "thorax.channels_last";

    /// <summary>The channel block of oneDNN's AVX-512 convolution kernels.</summary>
    public const int ChannelBlock = 16;

    /// <summary>
    /// Registers the channels-last hooks on every 2-D (transposed) convolution below <paramref name="root"/> whose
    /// input or output channel count is not a multiple of <see cref="ChannelBlock"/> (idempotent: a convolution that
    /// has them is skipped).
    /// </summary>
    /// <returns>The number of convolutions that got the hooks.</returns>
    public static int UseChannelsLast(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var count = 0;
        foreach (var m in Modules(root))
        {
            if (m is not (Conv2d or ConvTranspose2d) || !NeedsChannelsLast(m)) continue;
            lock (Hooked)
            {
                if (Hooked.TryGetValue(m, out _)) continue;
                Hooked.Add(m, Marker);
            }
            var conv = (nn.Module<Tensor, Tensor>)m;
            conv.register_forward_pre_hook((_, x) => ToChannelsLast(x));
            conv.register_forward_hook((_, x, y) => ReferenceEquals(x, y) || y.is_contiguous() ? y : y.contiguous());
            count++;
        }
        return count;
    }

    /// <summary>True when a convolution's weight (<c>[out, in/groups, ...]</c>, transposed: <c>[in, out/groups, ...]</c>)
    /// has a channel count off the <see cref="ChannelBlock"/>.</summary>
    public static bool NeedsChannelsLast(nn.Module conv)
    {
        var w = conv switch
        {
            Conv2d c => c.weight,
            ConvTranspose2d t => t.weight,
            _ => null,
        };
        return w is not null && (w.shape[0] % ChannelBlock != 0 || w.shape[1] % ChannelBlock != 0);
    }

    /// <summary>True when <paramref name="conv"/> has the hooks (see <see cref="UseChannelsLast"/>).</summary>
    public static bool HasChannelsLastHook(nn.Module conv)
    {
        lock (Hooked) return Hooked.TryGetValue(conv, out _);
    }

    /// <summary>
    /// A 4-D float CPU tensor restrided to channels-last (NHWC memory, NCHW shape); the tensor itself when it already
    /// is, or when it is not a 4-D float CPU tensor.
    /// </summary>
    public static Tensor ToChannelsLast(Tensor x)
    {
        if (x.dim() != 4 || x.device_type != DeviceType.CPU || !x.dtype.IsFloatingPoint()) return x;
        if (IsChannelsLast(x)) return x;
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>True when the strides of a 4-D tensor are those of a dense channels-last tensor.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        if (x.dim() != 4) return false;
        var s = x.stride();
        long c = x.shape[1], h = x.shape[2], w = x.shape[3];
        return s[1] == 1 && s[3] == c && s[2] == c * w && (x.shape[0] == 1 || s[0] == c * h * w);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<nn.Module, string> Hooked = new();

    private static IEnumerable<nn.Module> Modules(nn.Module root)
    {
        yield return root; // TorchSharp's modules() leaves the root out
        foreach (var (_, m) in root.named_modules()) yield return m;
    }
}
