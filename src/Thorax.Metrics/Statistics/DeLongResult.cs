namespace Thorax.Metrics;

/// <summary>Result of DeLong's test for two correlated ROC AUCs measured on the same samples.</summary>
/// <param name="Auc1">ROC AUC of the first score set.</param>
/// <param name="Auc2">ROC AUC of the second score set.</param>
/// <param name="Variance1">DeLong variance of <paramref name="Auc1"/>.</param>
/// <param name="Variance2">DeLong variance of <paramref name="Auc2"/>.</param>
/// <param name="Covariance">DeLong covariance of the two AUCs.</param>
/// <param name="Z">(Auc1 − Auc2) / √(Var1 + Var2 − 2·Cov); 0 when both the difference and its variance are 0.</param>
/// <param name="PValue">Two-sided normal p-value 2·P(Z &gt; |z|); 1 when <paramref name="Z"/> is 0.</param>
public sealed record DeLongResult(double Auc1, double Auc2, double Variance1, double Variance2, double Covariance, double Z, double PValue);
