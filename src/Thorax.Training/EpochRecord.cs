using System.Globalization;

namespace Thorax.Training;

/// <summary>One row of a run's <c>history.csv</c>.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValLoss, double ValDice, double LearningRate, double Seconds)
{
    /// <summary>CSV header matching <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "epoch,train_loss,val_loss,val_dice,lr,seconds";

    /// <summary>The row in invariant culture.</summary>
    public string ToCsv() => string.Join(",", Epoch.ToString(CultureInfo.InvariantCulture), F(TrainLoss), F(ValLoss), F(ValDice),
        LearningRate.ToString("G6", CultureInfo.InvariantCulture), Seconds.ToString("F1", CultureInfo.InvariantCulture));

    private static string F(double v) => v.ToString("F6", CultureInfo.InvariantCulture);
}
