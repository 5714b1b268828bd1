using System.Text.RegularExpressions;
using System.Xml.Linq;
using Thorax.Pipelines.Lungs;
using Thorax.Training;

namespace Thorax.Pipelines.Tests.Lungs;

/// <summary>curves.svg: losses and validation Dice in two panels, each with its own labelled axis.</summary>
public class LungReportCurvesTests
{
    private static readonly EpochRecord[] History =
    [
        new(1, 0.80, 0.70, 0.62, 1e-3, 10),
        new(2, 0.40, 0.45, 0.88, 1e-3, 10),
        new(3, 0.20, 0.30, 0.95, 1e-3, 10),
    ];

    [Fact]
    public void TwoPanels_LossTicksSpanTheLosses_DiceTicksSpanTheDice()
    {
        var svg = LungReport.CurvesSvg(History);
        var doc = XDocument.Parse(svg); // well-formed
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("loss", texts);
        Assert.Contains("validation Dice", texts);
        var ticks = doc.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => double.Parse(t.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(10, ticks.Count);
        // Loss panel: 0 .. the largest loss (0.80); Dice panel: a tenth below the lowest Dice (0.6) .. 1.
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8], ticks.Take(5), new Tol());
        Assert.Equal([0.6, 0.7, 0.8, 0.9, 1.0], ticks.Skip(5), new Tol());
        Assert.Equal(3, doc.Descendants(ns + "polyline").Count());
        // Each Dice point lies inside the Dice panel, below the loss panel.
        var dice = doc.Descendants(ns + "polyline").Last().Attribute("points")!.Value;
        var lossPanelBottom = doc.Descendants(ns + "polyline").First().Attribute("points")!.Value.Split(' ')
            .Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).Max();
        Assert.All(dice.Split(' '), p => Assert.True(double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture) > lossPanelBottom));
        Assert.Matches(new Regex("epoch 3"), svg);
    }

    /// <summary>The demo report's validation table: one row for all images and one per source, each with the means of its own
    /// images, next to the two-panel curves.</summary>
    [Fact]
    public void Html_HasTheValidationTablePerSource_AndTheTwoPanelCurves()
    {
        LungImageScore S(string id, string source, double dice) => new(id, source, dice, dice - 0.05, dice + 0.01, dice - 0.01);
        var scores = new[] { S("m1", "montgomery", 0.90), S("s1", "shenzhen", 0.96), S("m2", "montgomery", 0.80), S("s2", "shenzhen", 0.98) };
        var samples = scores.Select(s => new LungSample(s.Id, new float[16], new byte[16], 4, s.Source)).ToList();
        var preds = samples.Select(_ => new byte[16]).ToList();
        var result = new LungTrainingResult("run", History, 3, scores, 10, 12.0);
        var html = LungReport.Html(result, samples, preds, "demo", "note");
        string Row(string name, int n, double dice) => FormattableString.Invariant(
            $"<tr><td style=\"text-align:left\">{name}</td><td>{n}</td><td>{dice:F4}</td>");
        Assert.Contains(Row("all", 4, 0.91), html);
        Assert.Contains(Row("montgomery", 2, 0.85), html);
        Assert.Contains(Row("shenzhen", 2, 0.97), html);
        Assert.Contains(">loss<", html);
        Assert.Contains(">validation Dice<", html);
        // one source: the "all" row only
        var single = LungReport.Html(result with { Validation = scores.Select(s => s with { Source = "shenzhen" }).ToList() }, samples, preds, "demo", "note");
        Assert.DoesNotContain(">shenzhen<", single);
    }

    [Fact]
    public void NoEpoch_SaysSo()
    {
        Assert.Contains("no finished epoch", LungReport.CurvesSvg([]));
    }

    private sealed class Tol : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-3;
        public int GetHashCode(double v) => 0;
    }
}
