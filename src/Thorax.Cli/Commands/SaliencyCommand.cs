using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Thorax.Pipelines.Saliency;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax saliency predict</c>: the authors' dual-encoder multi-task model (Qiu et al., CXRGazeLearn
/// <c>MTL_UNet_preset</c>) from their checkpoint: class logits/probabilities and the gaze-saliency map per image.</summary>
internal static class SaliencyCommand
{
    public static Command Create()
    {
        var saliency = new Command("saliency", "Joint diagnosis (normal / heart failure / pneumonia) and gaze saliency (Qiu et al., CXRGazeLearn).");
        saliency.Subcommands.Add(Predict());
        return saliency;
    }

    private static Command Predict()
    {
        var weights = new Option<string>("--weights") { Description = "torch.save(net.state_dict()) of CXRGazeLearn's final model (MTL_UNet_preset), or safetensors; a module. prefix is accepted.", Required = true };
        var images = new Argument<string[]>("IMAGE") { Description = "DICOM, PNG or JPEG files; padded centrally and subsampled to 320x256 as the reference (an image already 320x256 is used as is), divided by its maximum.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print per image file, class_logits, class_probabilities, predicted_class as JSON." };
        var maps = new Option<string?>("--maps") { Description = "Folder for STEM.npy (float32 saliency log-probabilities, H x W) and STEM-overlay.png." };
        var cmd = new Command("predict", "Class logits/probabilities and the saliency map (log-softmax over all pixels) of each image.") { weights, images, json, maps };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            using var predictor = new SaliencyPredictor(r.GetValue(weights)!);
            var results = new List<Dictionary<string, object>>();
            foreach (var file in r.GetValue(images)!)
            {
                var p = predictor.Predict(file);
                string? npy = null, png = null;
                if (r.GetValue(maps) is { } dir) (npy, png) = SaliencyPredictor.WriteMaps(p, dir);
                var row = new Dictionary<string, object>
                {
                    ["file"] = file,
                    ["class_logits"] = p.ClassLogits,
                    ["class_probabilities"] = p.ClassProbabilities,
                    ["predicted_class"] = p.PredictedClass,
                    ["predicted_label"] = SaliencyPredictor.ClassNames[p.PredictedClass],
                };
                if (npy is not null) { row["map_npy"] = npy; row["overlay_png"] = png!; }
                results.Add(row);
                if (!r.GetValue(json))
                {
                    var probs = string.Join(", ", SaliencyPredictor.ClassNames.Select((n, i) => $"{n} {p.ClassProbabilities[i].ToString("F3", CultureInfo.InvariantCulture)}"));
                    Console.WriteLine($"{file}: {SaliencyPredictor.ClassNames[p.PredictedClass]} ({probs}){(npy is null ? "" : $"; map {npy}, overlay {png}")}");
                }
            }
            if (r.GetValue(json)) CliJson.Print(new { images = results });
            return 0;
        }));
        return cmd;
    }
}
