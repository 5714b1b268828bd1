using System.Text.Json;
using Thorax.Pipelines.Lungs;

namespace Thorax.Pipelines.Tests.Lungs;

public class LungComparisonTests
{
    private static LungComparisonRow Row(string model, double dice, double loss) =>
        new(model, 1000, 3, 2, 90, loss, dice, dice - 0.05, 0.9, 0.8, 10);

    [Fact]
    public void Markdown_IsInPaperOrder_InPercent_WithTheBestBold()
    {
        var rows = LungComparison.InPaperOrder(new[] { Row("sa-unet", 0.9680, 0.1259), Row("unet", 0.9288, 0.1692), Row("unetpp", 0.9488, 0.1302) });
        var md = LungComparison.Markdown(rows, new LungTrainingOptions { Size = 256 }, "test data");
        var lines = md.Split('\n');
        Assert.StartsWith("| Model |", lines[0]);
        Assert.StartsWith("| U-Net |", lines[2]);
        Assert.StartsWith("| U-Net++ |", lines[3]);
        Assert.StartsWith("| SA-UNet |", lines[4]);
        Assert.Contains("| **96.80** |", lines[4]);   // best DC
        Assert.Contains("| **12.59** |", lines[4]);   // lowest loss
        Assert.Contains("| 92.88 |", lines[2]);
        Assert.Contains("256 px", md);
        Assert.Contains("test data", md);
        Assert.Contains("BatchNorm momentum 0.1,", md);
        Assert.Contains("each architecture's own BatchNorm momentum", LungComparison.Markdown(rows, new LungTrainingOptions { BatchNormMomentum = null }, "x"));
    }

    [Fact]
    public void Run_TrainsEachModelIntoItsFolder_WritesTables_AndResumesWithoutRetraining()
    {
        var data = LungTrainerResumeTests.Blobs(24, 32);
        var dir = Directory.CreateTempSubdirectory("thorax-compare-").FullName;
        var o = LungTrainerResumeTests.Options(2);
        var rows = LungComparison.Run(data, new[] { "sa-unet", "unet" }, o, dir, "blobs");
        Assert.Equal(new[] { "unet", "sa-unet" }, rows.Select(r => r.Model));
        Assert.All(rows, r => Assert.Equal(2, r.EpochsRun));
        Assert.All(rows, r => Assert.InRange(r.Dice, 0, 1));
        Assert.True(File.Exists(Path.Combine(dir, "unet", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "sa-unet", "curves.svg")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "table.json")));
        Assert.Equal(2, json.RootElement.GetProperty("rows").GetArrayLength());
        Assert.Contains("| SA-UNet |", File.ReadAllText(Path.Combine(dir, "table.md")));

        var epochsTrained = 0;
        var again = LungComparison.Run(data, new[] { "sa-unet", "unet" }, o, dir, "blobs", (_, t) => t.EpochCompleted += _ => epochsTrained++);
        Assert.Equal(0, epochsTrained);
        Assert.Equal(rows.Select(r => r.Dice), again.Select(r => r.Dice));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Run_RejectsUnknownAndDuplicateModels()
    {
        var data = LungTrainerResumeTests.Blobs(8, 32);
        var dir = Directory.CreateTempSubdirectory("thorax-compare-bad-").FullName;
        Assert.Contains("model must be one of", Assert.Throws<ArgumentException>(() => LungComparison.Run(data, new[] { "resnet" }, LungTrainerResumeTests.Options(1), dir, "x")).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => LungComparison.Run(data, new[] { "unet", "unet" }, LungTrainerResumeTests.Options(1), dir, "x")).Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        Directory.Delete(dir, true);
    }
}
