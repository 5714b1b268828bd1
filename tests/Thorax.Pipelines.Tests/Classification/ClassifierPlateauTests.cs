using System.Globalization;
using Thorax.Pipelines.Classification;

namespace Thorax.Pipelines.Tests.Classification;

/// <summary>
/// The cascade classifier's ReduceLROnPlateau (Țimbuș et al.: factor 0.2, patience 3, on validation MCC) acting through
/// <see cref="ClassifierTrainer"/>, not only the scheduler on its own: a validation split of negatives only makes the
/// validation MCC 0 at every epoch (undefined with one class, recorded as 0), so after the first epoch no epoch is
/// better, and the learning rate the loop records per epoch in the history must follow PyTorch's rule (a reduction once
/// more than 3 epochs in a row were not better).
/// </summary>
public class ClassifierPlateauTests
{
    /// <summary>The paper's schedule as <c>ptx train-classifier</c> sets it (2 frozen epochs at 2e-2, then 2e-4; MCC
    /// selection; plateau 0.2 / 3; augment preset), on the dataset's own splits at 32 px.</summary>
    private static ClassifierOptions Paper(int epochs) => new()
    {
        Weights = "none", Size = 32, Epochs = epochs, BatchSize = 4, LearningRate = 2e-4, FreezeEpochs = 2, FrozenLearningRate = 2e-2,
        Selection = "mcc", PlateauFactor = 0.2, PlateauPatience = 3, Preset = "augment", Deterministic = true,
    };

    /// <summary>The classification fixture with its two positive validation studies relabelled negative.</summary>
    private static ClassificationDataset NegativeValidation(out string dir)
    {
        dir = ClassificationFixture.Write(overrideLine: i => ClassificationFixture.Rows[i] is ("validation", 1, _, _, _)
            ? $"s{i:D2},validation,Normal,0,,,,0,0,\"FINDINGS: clear.\""
            : null);
        var ds = ClassificationDataset.Load(dir, ClassificationLabel.Parse("pneumothorax"));
        Assert.All(ds.Split("validation"), s => Assert.Equal(0, s.Label));
        return ds;
    }

    [Fact]
    public void FlatValidationMcc_CutsTheRateBy02_AfterMoreThanThreeEpochsWithoutABetterOne_AndNotBefore_AlsoAcrossAResume()
    {
        var ds = NegativeValidation(out var data);
        var run = Directory.CreateTempSubdirectory("thorax-cls-plateau-").FullName;
        var resumed = Directory.CreateTempSubdirectory("thorax-cls-plateau-resumed-").FullName;
        try
        {
            var r = new ClassifierTrainer(Paper(7)).Train(ds, run);
            Assert.Equal(7, r.Fit.History.Count);
            Assert.All(r.Fit.History, h => Assert.Equal(0.0, h.Metric("val_mcc")));
            Assert.Equal(1, r.Fit.BestEpoch); // ties keep the earlier epoch
            // Epoch 1 sets the best (0 > -inf); epochs 2-5 are not better (4 bad epochs > patience 3): the cut comes after
            // epoch 5, so epoch 6 trains at 0.2 x, and the count restarts (the next cut would follow epoch 9). The switch
            // from the frozen rate to 2e-4 at epoch 3 is the freeze schedule's, not the plateau's.
            double[] expected = [2e-2, 2e-2, 2e-4, 2e-4, 2e-4, 4e-5, 4e-5];
            string Rates(IEnumerable<double> v) => string.Join(", ", v.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));
            Assert.True(expected.Zip(r.Fit.History).All(p => Math.Abs(p.Second.LearningRate - p.First) <= 1e-12 * p.First),
                $"learning rate per epoch {Rates(r.Fit.History.Select(h => h.LearningRate))}, expected {Rates(expected)}");
            // history.csv carries the same column.
            var rows = File.ReadAllLines(Path.Combine(run, "history.csv"));
            int lrColumn = Array.IndexOf(rows[0].Split(','), "lr");
            Assert.Equal(expected.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)), rows.Skip(1).Select(l => l.Split(',')[lrColumn]));

            // Killed after epoch 4 (three bad epochs counted, no cut yet): the resumed run cuts at the same epoch, so the
            // scheduler's count travels in the checkpoint.
            new ClassifierTrainer(Paper(4)).Train(ds, resumed);
            var rest = new ClassifierTrainer(Paper(7)).Train(ds, resumed);
            Assert.Equal(4, rest.Fit.ResumedAfterEpoch);
            Assert.Equal(Rates(r.Fit.History.Select(h => h.LearningRate)), Rates(rest.Fit.History.Select(h => h.LearningRate)));
        }
        finally
        {
            foreach (var d in new[] { data, run, resumed }) Directory.Delete(d, true);
        }
    }
}
