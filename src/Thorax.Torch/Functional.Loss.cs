using Thorax.Native;

namespace Thorax;

public static partial class Functional
{
    /// <summary>Binary cross-entropy on logits (numerically stable), as <c>F.binary_cross_entropy_with_logits</c>.</summary>
    public static unsafe Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null,
                                                            Reduction reduction = Reduction.Mean)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_bce_with_logits(input.Handle, target.Handle, Tensor.H(weight), Tensor.H(posWeight), (int)reduction, &r),
            "binary_cross_entropy_with_logits");
        return new Tensor(r);
    }

    /// <summary>Binary cross-entropy on probabilities in [0, 1].</summary>
    public static unsafe Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_bce(input.Handle, target.Handle, Tensor.H(weight), (int)reduction, &r), "binary_cross_entropy");
        return new Tensor(r);
    }

    /// <summary>
    /// Cross-entropy of logits [N, C, ...] against int64 class indices [N, ...] (or class probabilities of the input's
    /// shape), with class weights, <paramref name="ignoreIndex"/> and label smoothing, as <c>F.cross_entropy</c>.
    /// </summary>
    public static unsafe Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
                                             long ignoreIndex = -100, double labelSmoothing = 0)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_cross_entropy(input.Handle, target.Handle, Tensor.H(weight), (int)reduction, ignoreIndex, labelSmoothing, &r),
            "cross_entropy");
        return new Tensor(r);
    }

    /// <summary>Negative log-likelihood of log-probabilities [N, C, ...] against class indices.</summary>
    public static unsafe Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, long ignoreIndex = -100)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_nll_loss(input.Handle, target.Handle, Tensor.H(weight), (int)reduction, ignoreIndex, &r), "nll_loss");
        return new Tensor(r);
    }

    private static unsafe Tensor Regression(int kind, Tensor input, Tensor target, Reduction reduction, double a, string name)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_regression_loss(kind, input.Handle, target.Handle, (int)reduction, a, &r), name);
        return new Tensor(r);
    }

    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => Regression(0, input, target, reduction, 0, "mse_loss");
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => Regression(1, input, target, reduction, 0, "l1_loss");
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0) => Regression(2, input, target, reduction, beta, "smooth_l1_loss");
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0) => Regression(3, input, target, reduction, delta, "huber_loss");

    /// <summary>
    /// KL divergence with <paramref name="input"/> as log-probabilities, as <c>F.kl_div</c>. <paramref name="batchMean"/>
    /// divides the sum by the batch size (the mathematically correct mean; PyTorch's <c>reduction='batchmean'</c>).
    /// </summary>
    public static unsafe Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool batchMean = false, bool logTarget = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_kl_div(input.Handle, target.Handle, batchMean ? 3 : (int)reduction, logTarget ? 1 : 0, &r), "kl_div");
        return new Tensor(r);
    }

    /// <summary>Triplet margin loss <c>max(d(a,p) - d(a,n) + margin, 0)</c>, as <c>F.triplet_margin_loss</c>.</summary>
    public static unsafe Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1.0, double p = 2, double eps = 1e-6,
                                                  bool swap = false, Reduction reduction = Reduction.Mean)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_triplet_margin_loss(anchor.Handle, positive.Handle, negative.Handle, margin, p, eps, swap ? 1 : 0, (int)reduction, &r),
            "triplet_margin_loss");
        return new Tensor(r);
    }
}
