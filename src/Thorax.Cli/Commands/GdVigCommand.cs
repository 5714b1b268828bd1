using System.CommandLine;
using System.Text.Json;
using Thorax.Pipelines.GdVig;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax gdvig predict</c>: the authors' GD-ViG checkpoints on image files.</summary>
internal static class GdVigCommand
{
    public static Command Create()
    {
        var gdvig = new Command("gdvig", "GD-ViG (gaze-directed Vision GNN): run the authors' checkpoints, train, evaluate, and the shortcut demo.");
        gdvig.Subcommands.Add(Predict());
        GdVigTrainCommand.AddTo(gdvig);
        gdvig.Subcommands.Add(GdVigGraphCommand.Create());
        return gdvig;
    }

    private static Command Predict()
    {
        var weights = new Option<string>("--weights") { Description = "Checkpoint: torch.save({\"model\": state_dict, ...}), a plain state dict, or safetensors.", Required = true };
        var variant = new Option<string>("--variant") { Description = "egdcxr (ViG-Ti, 3 classes) or siim (ViG-S, 2 classes).", Required = true };
        var inputs = new Argument<string[]>("images") { Description = "8-bit grey PNG or JPEG files, or DICOM.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "One JSON object per image: file, logits, probabilities, predicted_class." };
        var maps = new Option<string?>("--maps") { Description = "Folder for each image's gaze map: <stem>.npy (float32 224x224, raw GMG output), <stem>_gaze.png (min-max scaled), <stem>_overlay.png." };
        var device = DeviceOption.Create();
        var precision = new Option<string>("--precision") { Description = "fp32, or fp64 (to compare with a float64 reference run: in fp32 near-ties in the KNN are decided by rounding).", DefaultValueFactory = _ => "fp32" };
        var cmd = new Command("predict", "Class scores and predicted gaze maps, preprocessed as the authors' test transform (resize 224, Normalize(.456, .224), /255).")
            { weights, variant, inputs, json, maps, device, precision };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, device);
            var p = r.GetValue(precision) switch
            {
                "fp32" => TorchSharp.torch.ScalarType.Float32,
                "fp64" => TorchSharp.torch.ScalarType.Float64,
                var other => throw new ArgumentException($"--precision: expected fp32 or fp64, got '{other}'"),
            };
            var v = GdVigPredictor.ParseVariant(r.GetValue(variant)!);
            using var predictor = GdVigPredictor.Load(r.GetValue(weights)!, v, dev, p);
            var files = r.GetValue(inputs)!;
            int failed = 0, nonFinite = 0;
            foreach (var file in files)
            {
                try
                {
                    var pred = predictor.Predict(file);
                    if (r.GetValue(maps) is { } dir) GdVigPredictor.WriteMaps(pred, dir);
                    if (r.GetValue(json))
                        Console.WriteLine(CliJson.Format(new Dictionary<string, object>
                        {
                            ["file"] = file, ["logits"] = pred.Logits, ["probabilities"] = pred.Probabilities, ["predicted_class"] = pred.PredictedClass,
                        }, indented: false)); // JSON Lines: one object per image as it is done
                    else
                        Console.WriteLine($"{file}: class {pred.PredictedClass} (p = {pred.Probabilities[pred.PredictedClass]:F4}), logits [{string.Join(", ", pred.Logits.Select(l => l.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}]");
                }
                catch (Exception e) when (CliErrors.IsInputError(e))
                {
                    failed++;
                    Console.Error.WriteLine($"error: {file}: {e.Message}");
                }
                catch (ArithmeticException e)
                {
                    nonFinite++;
                    Console.Error.WriteLine($"error: {e.Message}");
                }
            }
            if (failed + nonFinite > 0) Console.Error.WriteLine($"{failed + nonFinite} of {files.Length} inputs failed");
            return failed > 0 ? 2 : nonFinite > 0 ? 1 : 0;
        }));
        return cmd;
    }
}
