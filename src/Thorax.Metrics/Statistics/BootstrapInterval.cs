namespace Thorax.Metrics;

/// <summary>A percentile bootstrap confidence interval.</summary>
/// <param name="Estimate">The statistic on the original sample.</param>
/// <param name="Lower">Lower bound: the (1 − confidence)/2 percentile of the bootstrap statistics.</param>
/// <param name="Upper">Upper bound: the (1 + confidence)/2 percentile.</param>
/// <param name="Confidence">Confidence level in (0, 1), e.g. 0.95.</param>
/// <param name="Resamples">Resamples whose statistic was finite and used.</param>
/// <param name="Discarded">Resamples whose statistic was NaN (e.g. a single-class resample for AUC) and were dropped.</param>
public sealed record BootstrapInterval(double Estimate, double Lower, double Upper, double Confidence, int Resamples, int Discarded);
