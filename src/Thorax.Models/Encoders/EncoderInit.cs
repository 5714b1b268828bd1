using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>Shared initialisation and input checks of the zoo encoders.</summary>
internal static class EncoderInit
{
    /// <summary>timm's classifier tail: global average pool to [N, C], then (with a head) dropout at
    /// <paramref name="dropRate"/> in training and the linear head; without one, the pooled features.</summary>
    public static Tensor PoolAndClassify(Tensor features, Linear? head, double dropRate, bool training)
    {
        var x = functional.adaptive_avg_pool2d(features, [1, 1]).flatten(1);
        if (head is null) return x;
        if (dropRate > 0) x = functional.dropout(x, dropRate, training);
        return head.call(x);
    }

    /// <summary>Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm scale 1 / shift 0, zero linear biases: the
    /// usual starting point of timm's CNNs when no weights are loaded.</summary>
    public static void KaimingConvUnitNorm(Module root)
    {
        using (no_grad())
        {
            foreach (var (_, m) in root.named_modules())
            {
                switch (m)
                {
                    case Conv2d c:
                        init.kaiming_normal_(c.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                        if (c.bias is not null) init.zeros_(c.bias);
                        break;
                    case BatchNorm2d bn:
                        init.ones_(bn.weight);
                        init.zeros_(bn.bias);
                        break;
                    case Linear l when l.bias is not null:
                        init.zeros_(l.bias);
                        break;
                }
            }
        }
    }

    /// <summary>Throws a clear <see cref="ArgumentException"/> unless the input is [N, inChans, H, W].</summary>
    public static void CheckInput(Tensor input, int inChans)
    {
        if (input.dim() != 4 || input.shape[1] != inChans)
            throw new ArgumentException($"expected input [N, {inChans}, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
    }
}
