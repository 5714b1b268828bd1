using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Thorax.Pipelines.Lungs;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax lungs train|eval|predict</c>: the CXLSeg lung-segmentation method.</summary>
internal static class LungsCommand
{
    public static Command Create()
    {
        var lungs = new Command("lungs", "Lung segmentation (CXLSeg): train, evaluate and run U-Net, U-Net++, Attention U-Net and SA-UNet.");
        lungs.Subcommands.Add(Train());
        lungs.Subcommands.Add(Eval());
        lungs.Subcommands.Add(Predict());
        lungs.Subcommands.Add(LungsBuildDatasetCommand.Create());
        return lungs;
    }

    private static Command Train()
    {
        var d = new LungTrainingOptions();
        var data = new Option<string>("--data") { Description = "Folder with pairs.csv (+ images/, masks/), or with images/ and masks/ holding same-name files.", Required = true };
        var model = new Option<string>("--model") { Description = "unet, unetpp, attention-unet or sa-unet.", DefaultValueFactory = _ => d.Model };
        var output = new Option<string>("--out") { Description = "Run folder to write.", Required = true };
        var size = new Option<int>("--size") { Description = "Input size (multiple of 16).", DefaultValueFactory = _ => d.Size };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs.", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var width = new Option<int>("--base-channels") { Description = "Channels of the first level.", DefaultValueFactory = _ => d.BaseChannels };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget in minutes.", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Seed for split, weights, shuffling, augmentation.", DefaultValueFactory = _ => d.Seed };
        var json = new Option<bool>("--json") { Description = "Print the final metrics as JSON." };
        var cmd = new Command("train", "Train on image/mask pairs: CLAHE, augmentation, BCE+Dice, Adam, best-epoch selection, early stopping; writes model.safetensors, config.json, metrics.json, history.csv.")
            { data, model, output, size, epochs, batch, lr, width, minutes, seed, json };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var o = new LungTrainingOptions
            {
                Model = r.GetValue(model)!, Size = r.GetValue(size), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                BaseChannels = r.GetValue(width), TimeBudget = TimeSpan.FromMinutes(r.GetValue(minutes)), Seed = r.GetValue(seed),
            };
            o.Validate();
            var dir = r.GetValue(data)!;
            var samples = Load(dir, o.Size);
            var trainer = new LungTrainer(o);
            trainer.EpochCompleted += e => Console.Error.WriteLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val loss {e.ValLoss:F4}, val Dice {e.ValDice:F4} ({e.Seconds:F0} s)");
            var (res, net, _) = trainer.Train(samples, r.GetValue(output)!);
            net.Dispose();
            PrintScores(res.Validation, r.GetValue(json), $"{o.Model}: best epoch {res.BestEpoch} of {res.History.Count}, {res.TrainSeconds:F0} s");
            return 0;
        }));
        return cmd;
    }

    private static Command Eval()
    {
        var model = new Option<string>("--model") { Description = "Run folder (config.json + model.safetensors).", Required = true };
        var images = new Option<string>("--images") { Description = "Folder of images.", Required = true };
        var masks = new Option<string>("--masks") { Description = "Folder of masks with the images' file names.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var cmd = new Command("eval", "Dice (DC), IoU, recall and precision per image and their means (the paper's Table IV).") { model, images, masks, json };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            using var m = LungModel.Load(r.GetValue(model)!);
            var samples = LungDataset.LoadFolders(r.GetValue(images)!, r.GetValue(masks)!, m.Size, "eval");
            var (_, scores) = LungTrainer.Evaluate(m.Network, samples);
            PrintScores(scores, r.GetValue(json), $"{m.Architecture} on {samples.Count} images at {m.Size} px");
            return 0;
        }));
        return cmd;
    }

    private static Command Predict()
    {
        var model = new Option<string>("--model") { Description = "Run folder (config.json + model.safetensors).", Required = true };
        var inputs = new Argument<string[]>("inputs") { Description = "DICOM, PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var cmd = new Command("predict", "Lung mask, lung-masked image and overlay PNGs for each input (morphological clean-up as CXLSeg).") { model, inputs, output };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            using var m = LungModel.Load(r.GetValue(model)!);
            foreach (var input in r.GetValue(inputs)!)
            {
                var lung = m.PredictFile(input, r.GetValue(output)!);
                Console.WriteLine($"{input}: {lung} lung pixels -> {Path.Combine(r.GetValue(output)!, Path.GetFileNameWithoutExtension(input))}-{{mask,masked,overlay}}.png");
            }
            return 0;
        }));
        return cmd;
    }

    private static IReadOnlyList<LungSample> Load(string dir, int size) =>
        File.Exists(Path.Combine(dir, "pairs.csv"))
            ? LungDataset.LoadPairs(dir, size)
            : LungDataset.LoadFolders(Path.Combine(dir, "images"), Directory.Exists(Path.Combine(dir, "masks", "lungs")) ? Path.Combine(dir, "masks", "lungs") : Path.Combine(dir, "masks"), size,
                Path.GetFileName(Path.GetFullPath(dir)));

    private static void PrintScores(IReadOnlyList<LungImageScore> s, bool json, string title)
    {
        var mean = new { dice = s.Average(v => v.Dice), iou = s.Average(v => v.IoU), recall = s.Average(v => v.Recall), precision = s.Average(v => v.Precision) };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { images = s.Count, mean, per_image = s }, new JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        var t = new Table().Title(Markup.Escape(title)).AddColumns("images", "Dice (DC)", "IoU", "Recall", "Precision");
        t.AddRow(s.Count.ToString(), $"{mean.dice:F4}", $"{mean.iou:F4}", $"{mean.recall:F4}", $"{mean.precision:F4}");
        AnsiConsole.Write(t);
    }
}
