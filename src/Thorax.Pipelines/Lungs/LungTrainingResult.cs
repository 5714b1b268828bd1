using Thorax.Training;

namespace Thorax.Pipelines.Lungs;

/// <summary>Per-image validation scores of a lung model.</summary>
public sealed record LungImageScore(string Id, string Source, double Dice, double IoU, double Recall, double Precision);

/// <summary>What a training run produced: history, best epoch, validation scores and the run folder.</summary>
public sealed record LungTrainingResult(
    string RunDirectory,
    IReadOnlyList<EpochRecord> History,
    int BestEpoch,
    IReadOnlyList<LungImageScore> Validation,
    int TrainCount,
    double TrainSeconds)
{
    /// <summary>Mean per-image Dice over the validation images.</summary>
    public double MeanDice => Validation.Average(v => v.Dice);

    /// <summary>Mean per-image IoU over the validation images.</summary>
    public double MeanIoU => Validation.Average(v => v.IoU);

    /// <summary>Mean per-image recall over the validation images.</summary>
    public double MeanRecall => Validation.Average(v => v.Recall);

    /// <summary>Mean per-image precision over the validation images.</summary>
    public double MeanPrecision => Validation.Average(v => v.Precision);

    /// <summary>Validation loss (BCE + Dice) of the best epoch (NaN when no epoch ran).</summary>
    public double BestValLoss => History.FirstOrDefault(h => h.Epoch == BestEpoch)?.ValLoss ?? double.NaN;
}
