using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// A K×K confusion matrix: rows are true classes, columns are predicted classes (sklearn
/// <c>confusion_matrix(y_true, y_pred, labels=range(K))</c>). Immutable once built.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    private ConfusionMatrix(int numClasses, long[] counts)
    {
        NumClasses = numClasses;
        _counts = counts;
    }

    /// <summary>Number of classes K.</summary>
    public int NumClasses { get; }

    /// <summary>Count of samples with true class <paramref name="trueClass"/> predicted as <paramref name="predictedClass"/>.</summary>
    public long this[int trueClass, int predictedClass]
    {
        get
        {
            if ((uint)trueClass >= (uint)NumClasses || (uint)predictedClass >= (uint)NumClasses)
            {
                throw new MetricException(
                    $"Class index ({trueClass}, {predictedClass}) outside 0..{NumClasses - 1}.", nameof(trueClass));
            }

            return _counts[trueClass * NumClasses + predictedClass];
        }
    }

    /// <summary>Total number of samples.</summary>
    public long Total
    {
        get
        {
            long s = 0;
            foreach (var c in _counts)
            {
                s += c;
            }

            return s;
        }
    }

    /// <summary>Builds the matrix from true and predicted class indices.</summary>
    /// <param name="yTrue">True class per sample, each in 0..K-1.</param>
    /// <param name="yPred">Predicted class per sample, same length, each in 0..K-1.</param>
    /// <param name="numClasses">K &gt;= 2.</param>
    /// <exception cref="MetricException">Empty input, length mismatch, or a label outside 0..K-1 (names the index).</exception>
    public static ConfusionMatrix Compute(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses)
    {
        Guard.NumClasses(numClasses, nameof(numClasses));
        Guard.SameLength(yTrue.Length, yPred.Length, nameof(yTrue), nameof(yPred));
        Guard.NotEmpty(yTrue.Length, nameof(yTrue));
        Guard.Labels(yTrue, numClasses, nameof(yTrue));
        Guard.Labels(yPred, numClasses, nameof(yPred));
        var counts = new long[numClasses * numClasses];
        for (var i = 0; i < yTrue.Length; i++)
        {
            counts[yTrue[i] * numClasses + yPred[i]]++;
        }

        return new ConfusionMatrix(numClasses, counts);
    }

    /// <summary>Builds a matrix from explicit counts (row-major, rows = true class).</summary>
    /// <param name="counts">K×K non-negative counts with a positive total.</param>
    /// <exception cref="MetricException">Not square, fewer than 2 classes, a negative count, or all zero.</exception>
    public static ConfusionMatrix FromCounts(long[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var k = counts.GetLength(0);
        if (counts.GetLength(1) != k)
        {
            throw new MetricException($"Confusion counts must be square, got {k}x{counts.GetLength(1)}.", nameof(counts));
        }

        Guard.NumClasses(k, nameof(counts));
        var flat = new long[k * k];
        long total = 0;
        for (var r = 0; r < k; r++)
        {
            for (var c = 0; c < k; c++)
            {
                if (counts[r, c] < 0)
                {
                    throw new MetricException($"Negative count {counts[r, c]} at ({r}, {c}).", nameof(counts), r * k + c);
                }

                flat[r * k + c] = counts[r, c];
                total += counts[r, c];
            }
        }

        if (total == 0)
        {
            throw new MetricException("Confusion counts are all zero.", nameof(counts));
        }

        return new ConfusionMatrix(k, flat);
    }

    /// <summary>Samples whose true class is <paramref name="cls"/> (the class support).</summary>
    public long TrueCount(int cls)
    {
        long s = 0;
        for (var p = 0; p < NumClasses; p++)
        {
            s += this[cls, p];
        }

        return s;
    }

    /// <summary>Samples predicted as <paramref name="cls"/>.</summary>
    public long PredictedCount(int cls)
    {
        long s = 0;
        for (var t = 0; t < NumClasses; t++)
        {
            s += this[t, cls];
        }

        return s;
    }

    /// <summary>Correctly classified samples (the trace).</summary>
    public long Correct
    {
        get
        {
            long s = 0;
            for (var c = 0; c < NumClasses; c++)
            {
                s += _counts[c * NumClasses + c];
            }

            return s;
        }
    }

    /// <summary>A copy of the counts as a K×K array (rows = true class).</summary>
    public long[,] ToArray()
    {
        var a = new long[NumClasses, NumClasses];
        for (var r = 0; r < NumClasses; r++)
        {
            for (var c = 0; c < NumClasses; c++)
            {
                a[r, c] = _counts[r * NumClasses + c];
            }
        }

        return a;
    }
}
