using Thorax.Pipelines.Lungs;

namespace Thorax.Pipelines.Tests.Lungs;

public class LungTrainerResumeTests
{
    internal static List<LungSample> Blobs(int n, int size)
    {
        var rng = new Random(5);
        var list = new List<LungSample>();
        for (var k = 0; k < n; k++)
        {
            var img = new float[size * size];
            var mask = new byte[size * size];
            int cx = rng.Next(8, size - 8), cy = rng.Next(8, size - 8), r = rng.Next(4, 8);
            for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                mask[y * size + x] = inside ? (byte)1 : (byte)0;
                img[y * size + x] = (inside ? 0.8f : 0.2f) + (float)rng.NextDouble() * 0.1f;
            }
            list.Add(new LungSample($"blob{k}", img, mask, size, "blobs"));
        }
        return list;
    }

    internal static LungTrainingOptions Options(int epochs) => new()
    {
        Size = 32, BaseChannels = 4, Epochs = epochs, BatchSize = 8, LearningRate = 5e-3, TimeBudget = TimeSpan.FromMinutes(5), EarlyStoppingPatience = 50,
    };

    [Fact]
    public void KilledRun_ResumesFromItsCheckpoint_AndEndsLikeAnUninterruptedRun()
    {
        var data = Blobs(40, 32);
        var straight = Directory.CreateTempSubdirectory("thorax-straight-").FullName;
        var resumed = Directory.CreateTempSubdirectory("thorax-resumed-").FullName;
        var (full, m1, _) = new LungTrainer(Options(3) with { Deterministic = true }).Train(data, straight);
        m1.Dispose();
        var (_, m2, _) = new LungTrainer(Options(2) with { Deterministic = true }).Train(data, resumed); // "killed" after epoch 2
        m2.Dispose();
        var trainer = new LungTrainer(Options(3) with { Deterministic = true });
        var resumedAfter = -1;
        trainer.Resumed += e => resumedAfter = e;
        var (rest, m3, _) = trainer.Train(data, resumed);
        m3.Dispose();
        Assert.Equal(2, resumedAfter);
        Assert.Equal(3, rest.History.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(full.History[i].TrainLoss, rest.History[i].TrainLoss, 9);
            Assert.Equal(full.History[i].ValDice, rest.History[i].ValDice, 9);
        }
        // Deterministic mode: the resumed run's weights are the uninterrupted run's, bit for bit.
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
        Directory.Delete(straight, true);
        Directory.Delete(resumed, true);
    }

    [Fact]
    public void Fingerprint_NamesTheBatchNormMomentumOnlyWhenItDiffersFromTheArchitecturesOwn()
    {
        var o = Options(1);
        Assert.Equal(0.1, o.BatchNormMomentum);
        Assert.DoesNotContain("bn=", o.Fingerprint());                                   // U-Net's own is 0.1
        Assert.Contains(";bn=0.01", (o with { BatchNormMomentum = 0.01 }).Fingerprint());
        Assert.Contains(";bn=0.1", (o with { Model = "sa-unet" }).Fingerprint());       // SA-UNet's own is 0.01
        Assert.DoesNotContain("bn=", (o with { Model = "sa-unet", BatchNormMomentum = null }).Fingerprint());
        Assert.Equal(0.01, (o with { Model = "sa-unet", BatchNormMomentum = null }).EffectiveBatchNormMomentum);
        var e = Assert.Throws<ArgumentException>(() => (o with { BatchNormMomentum = 2 }).Validate());
        Assert.Contains("[0, 1]", e.Message);
    }

    [Fact]
    public void Resume_WithOtherSettings_IsAnErrorNamingBothAndLeavesTheRunAlone()
    {
        var data = Blobs(24, 32);
        var dir = Directory.CreateTempSubdirectory("thorax-mismatch-").FullName;
        var (_, m, _) = new LungTrainer(Options(1)).Train(data, dir);
        m.Dispose();
        var before = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => new LungTrainer(Options(2) with { LearningRate = 1e-3 }).Train(data, dir));
        Assert.Contains("lr=0.005", e.Message);
        Assert.Contains("lr=0.001", e.Message);
        Assert.Contains("checkpoints", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Run_WritesCurvesHistoryRatesAndTheSchedule()
    {
        var data = Blobs(24, 32);
        var dir = Directory.CreateTempSubdirectory("thorax-curves-").FullName;
        var (r, m, _) = new LungTrainer(Options(2) with { LearningRate = 0.004, PlateauPatience = 2 }).Train(data, dir);
        m.Dispose();
        var svg = File.ReadAllText(Path.Combine(dir, "curves.svg"));
        Assert.StartsWith("<?xml", svg);
        Assert.Equal(3, svg.Split("<polyline").Length - 1); // train loss, val loss, val Dice
        Assert.All(r.History, h => Assert.Equal(0.004, h.LearningRate, 12));
        Assert.Contains("reduce-on-plateau(val loss, factor 0.1, patience 2", File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.Contains("0.004", File.ReadAllLines(Path.Combine(dir, "history.csv"))[1]);
        Directory.Delete(dir, true);
    }
}
