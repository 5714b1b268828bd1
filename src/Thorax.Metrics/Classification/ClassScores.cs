namespace Thorax.Metrics;

/// <summary>Per-class precision, recall, F-beta and support (sklearn <c>precision_recall_fscore_support(average=None)</c>).</summary>
/// <param name="Precision">Precision per class, length K, in [0, 1]; 0 where the class was never predicted.</param>
/// <param name="Recall">Recall per class, length K, in [0, 1]; 0 where the class has no true sample.</param>
/// <param name="FBeta">F-beta per class, length K, in [0, 1]; 0 where precision + recall = 0.</param>
/// <param name="Support">True count per class, length K.</param>
/// <param name="Beta">The β used for <paramref name="FBeta"/>.</param>
public sealed record ClassScores(double[] Precision, double[] Recall, double[] FBeta, long[] Support, double Beta);
