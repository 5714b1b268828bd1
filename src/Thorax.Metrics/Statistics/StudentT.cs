namespace Thorax.Metrics;

/// <summary>Student t distribution with ν degrees of freedom (scipy <c>stats.t</c>), via the regularized incomplete beta.</summary>
public static class StudentT
{
    /// <summary>P(T &lt;= t).</summary>
    /// <param name="t">Statistic (±∞ allowed).</param>
    /// <param name="degreesOfFreedom">ν &gt; 0 (need not be an integer).</param>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        var lower = LowerTail(Math.Abs(t), degreesOfFreedom); // P(T <= -|t|)
        return t <= 0 ? lower : 1 - lower;
    }

    /// <summary>P(T &gt; t) (survival function), accurate in the upper tail.</summary>
    public static double Sf(double t, double degreesOfFreedom) => Cdf(-t, degreesOfFreedom);

    private static double LowerTail(double absT, double df)
    {
        if (!(df > 0) || double.IsNaN(df))
        {
            throw new MetricException($"Degrees of freedom must be positive, got {df}.", nameof(df));
        }

        if (double.IsNaN(absT))
        {
            return double.NaN;
        }

        if (double.IsPositiveInfinity(absT))
        {
            return 0;
        }

        var t2 = absT * absT;
        var x = df / (df + t2);
        var y = t2 / (df + t2);
        return 0.5 * SpecialFunctions.BetaRegularized(df / 2, 0.5, x, y);
    }
}
