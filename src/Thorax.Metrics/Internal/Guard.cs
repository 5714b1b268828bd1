namespace Thorax.Metrics.Internal;

/// <summary>Input validation shared by all metrics; every failure is a <see cref="MetricException"/>.</summary>
internal static class Guard
{
    public static void SameLength(int a, int b, string nameA, string nameB)
    {
        if (a != b)
        {
            throw new MetricException($"Length mismatch: {nameA} has {a} elements, {nameB} has {b}.", nameB);
        }
    }

    public static void NotEmpty(int length, string name)
    {
        if (length == 0)
        {
            throw new MetricException($"{name} is empty.", name);
        }
    }

    public static void Finite(ReadOnlySpan<double> values, string name)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new MetricException($"{name} contains a non-finite value {values[i]}.", name, i);
            }
        }
    }

    public static void Finite(ReadOnlySpan<float> values, string name)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new MetricException($"{name} contains a non-finite value {values[i]}.", name, i);
            }
        }
    }

    public static void NonNegative(ReadOnlySpan<float> values, string name)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!(values[i] >= 0f) || float.IsInfinity(values[i]))
            {
                throw new MetricException($"{name} must hold finite values >= 0, found {values[i]}.", name, i);
            }
        }
    }

    public static void Labels(ReadOnlySpan<int> labels, int numClasses, string name)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)numClasses)
            {
                throw new MetricException(
                    $"{name} value {labels[i]} is outside the class list 0..{numClasses - 1}.", name, i);
            }
        }
    }

    public static void BinaryLabels(ReadOnlySpan<int> labels, string name) => Labels(labels, 2, name);

    public static void NumClasses(int numClasses, string name, int minimum = 2)
    {
        if (numClasses < minimum)
        {
            throw new MetricException($"{name} must be >= {minimum}, got {numClasses}.", name);
        }
    }
}
