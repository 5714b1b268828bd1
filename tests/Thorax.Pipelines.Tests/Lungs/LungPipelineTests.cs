using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Pipelines.Lungs;

namespace Thorax.Pipelines.Tests.Lungs;

public class LungPipelineTests
{
    private static string? SharedLungs()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "shared", "data", "lungs");
            if (File.Exists(Path.Combine(p, "pairs.csv"))) return p;
        }
        return null;
    }

    [Fact]
    public void Preprocess_MismatchedSizes_NamesBothFiles()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            LungDataset.Preprocess("x", new Image<byte>(64, 64), new Image<byte>(32, 32), 32, "test", "img.png", "mask.png"));
        Assert.Contains("mask.png", ex.Message);
        Assert.Contains("img.png", ex.Message);
    }

    [Fact]
    public void Preprocess_ThresholdsMaskAndScalesImage()
    {
        var img = new Image<byte>(64, 64);
        var mask = new Image<byte>(64, 64);
        for (var y = 10; y < 40; y++) for (var x = 5; x < 30; x++) { mask[x, y] = 255; img[x, y] = 200; }
        var s = LungDataset.Preprocess("x", img, mask, 32, "test");
        Assert.Equal(32 * 32, s.Image.Length);
        Assert.All(s.Image, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(15 * 12, s.Mask.Count(v => v == 1)); // nearest: rows 10..39 -> 5..19, columns 5..29 -> 3..14
        Assert.All(s.Mask, v => Assert.True(v is 0 or 1));
    }

    [Theory]
    [InlineData(200, 150, 64)]
    [InlineData(64, 64, 64)]
    public void PreprocessImage_IsClaheThenBilinearResizeThenDivideBy255(int w, int h, int size)
    {
        var img = new Image<byte>(w, h);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++) img[x, y] = (byte)((x * 3 + y * 5 + (x * y) % 17) % 256);
        var clahe = Histogram.Clahe(img, 2.0, 8, 8);
        var resized = w == size && h == size ? clahe : Resampling.Resize(clahe, size, size, Interpolation.Linear);
        var expected = Array.ConvertAll(resized.Data, v => v / 255f);
        Assert.Equal(expected, LungDataset.PreprocessImage(img, size));
        Assert.Equal(expected, LungDataset.Preprocess("x", img, new Image<byte>(w, h), size, "test").Image);
    }

    [SkippableFact]
    public void ShortTraining_OnRealLungPairs_LearnsMasks()
    {
        var dir = SharedLungs();
        Skip.If(dir is null, "../shared/data/lungs is absent: the real-data training check is skipped");
        var all = LungDataset.LoadPairs(dir!, 64);
        var samples = all.Where((_, i) => i % 6 == 0).ToList(); // ~100 pairs keep the test short
        var run = Directory.CreateTempSubdirectory("thorax-lungs-").FullName;
        var trainer = new LungTrainer(new LungTrainingOptions
        {
            Size = 64, BaseChannels = 8, Epochs = 4, BatchSize = 8, LearningRate = 3e-3, TimeBudget = TimeSpan.FromMinutes(3),
        });
        var (result, model, _) = trainer.Train(samples, run);
        model.Dispose();
        Assert.True(result.MeanDice > 0.75, $"mean validation Dice {result.MeanDice:F3} after {result.History.Count} epochs");
        foreach (var f in new[] { "model.safetensors", "config.json", "metrics.json", "history.csv" })
            Assert.True(File.Exists(Path.Combine(run, f)), f + " missing");
        Directory.Delete(run, true);
    }
}
