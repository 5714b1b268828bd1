using System.Text.Json;
using Thorax.Imaging;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using Thorax.Pipelines.Lungs;
using TorchSharp;

namespace Thorax.Pipelines.Tests.Lungs;

/// <summary>
/// A small lung run folder whose masks are neither empty nor full: a seeded base-4 U-Net whose output bias is moved to
/// the median logit of a reference image, so about half of that image's pixels come out positive. Tests that compare
/// masks between two paths use it so that a wrong pixel path cannot hide behind an all-zero mask.
/// </summary>
public static class LungTestRun
{
    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c> into <paramref name="runDir"/>.</summary>
    /// <param name="runDir">The folder (created).</param>
    /// <param name="reference">An X-ray file (DICOM, PNG or JPEG) that sets the bias.</param>
    /// <param name="size">The model input size.</param>
    public static void Write(string runDir, string reference, int size = 32)
    {
        Directory.CreateDirectory(runDir);
        torch.manual_seed(7);
        using var net = SegmentationModels.Create("unet", 1, 1, 4);
        net.eval();
        var unit = XrayImage.ReadUnit(reference);
        var grey = new Image<byte>(unit.Width, unit.Height);
        for (var i = 0; i < grey.Pixels.Length; i++) grey.Pixels[i] = (byte)Math.Clamp(MathF.Round(unit.Pixels[i] * 255f), 0f, 255f);
        var sample = LungDataset.Preprocess("x", grey, new Image<byte>(grey.Width, grey.Height), size, "x");
        var head = net.named_parameters().Last(p => p.name.EndsWith("bias", StringComparison.Ordinal) && p.parameter.shape.SequenceEqual([1L]));
        using (torch.no_grad())
        {
            using var x = torch.tensor(sample.Image).reshape(1, 1, size, size);
            using var logits = net.call(x);
            using var median = logits.flatten().median();
            head.parameter.sub_(median);
        }
        SafeTensors.Save(Path.Combine(runDir, "model.safetensors"), net.state_dict());
        File.WriteAllText(Path.Combine(runDir, "config.json"), JsonSerializer.Serialize(new { model = "unet", base_channels = 4, size }));
    }
}
