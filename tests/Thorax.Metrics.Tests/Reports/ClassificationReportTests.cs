using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Thorax.Metrics.Tests.Reports;

public sealed class ClassificationReportTests : IDisposable
{
    private static readonly JsonElement Data = Golden.Load("classification.json");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-metrics-tests-" + Guid.NewGuid().ToString("N"));

    public ClassificationReportTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(true));
        return path;
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void FromCsv_BinaryGolden_MatchesSklearn()
    {
        var c = Data.Items("binary").First(x => x.Name() == "binary_n200_ties");
        var y = c.Ints("labels");
        var s = c.Doubles("scores");
        var sb = new StringBuilder("id,label,p\r\n");
        for (var i = 0; i < y.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\"case {i}, view PA\",{y[i]},{R(s[i])}\r\n");
        }

        var report = ClassificationReport.FromCsv(Write("binary.csv", sb.ToString()));
        Assert.True(report.IsBinary);
        Assert.Equal(200, report.SampleCount);
        Golden.Close(c.D("accuracy"), report.Accuracy);
        Golden.Close(c.D("f1"), report.PerClass[1].F1);
        Golden.Close(c.D("precision"), report.PerClass[1].Precision);
        Golden.Close(c.D("mcc"), report.Mcc);
        Golden.Close(c.D("roc_auc"), report.RocAuc!.Value);
        Golden.Close(c.D("roc_auc"), report.PerClass[0].RocAuc!.Value); // class 0 scored by 1 - p: same AUC
        Golden.Close(c.D("average_precision"), report.AveragePrecision!.Value);
        Golden.Close(c.D("sensitivity"), report.AtThreshold!.Sensitivity);
        Golden.Close(c.GetProperty("youden").D("j"), report.Youden!.YoudenJ);
        Assert.Equal(c.Ints("confusion").Select(v => (long)v), report.ConfusionMatrix.SelectMany(r => r));
    }

    [Fact]
    public void FromCsv_MulticlassGolden_MatchesSklearn_AndRendersJsonAndText()
    {
        var c = Data.Items("multiclass").First(x => x.Name() == "multi_k3_n500_random");
        var y = c.Ints("labels");
        var s = c.Doubles("scores");
        string[] names = { "normal", "chf", "pneumonia" };
        var sb = new StringBuilder("p_normal,p_chf,p_pneumonia,label\n");
        for (var i = 0; i < y.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{R(s[3 * i])},{R(s[3 * i + 1])},{R(s[3 * i + 2])},{names[y[i]]}\n");
        }

        var report = ClassificationReport.FromCsv(Write("multi.csv", sb.ToString()));
        Assert.False(report.IsBinary);
        Assert.Equal(names, report.Classes);
        Golden.Close(c.D("accuracy"), report.Accuracy);
        Golden.Close(c.D("f1_macro"), report.Macro.F1);
        Golden.Close(c.D("f1_weighted"), report.Weighted.F1);
        Golden.Close(c.D("precision_micro"), report.Micro.Precision);
        Golden.Close(c.D("balanced_accuracy"), report.BalancedAccuracy);
        Golden.Close(c.D("roc_auc_ovr_macro"), report.RocAuc!.Value);
        Golden.Close(c.D("roc_auc_ovr_weighted"), report.RocAucWeighted!.Value);
        Golden.Close(c.D("ap_macro"), report.AveragePrecision!.Value);
        Golden.AllClose(c.Doubles("recall_per_class"), report.PerClass.Select(r => r.Recall).ToArray());

        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.Equal(500, doc.RootElement.GetProperty("sample_count").GetInt32());
        Assert.Equal(report.Macro.F1, doc.RootElement.GetProperty("macro").GetProperty("f1").GetDouble());
        Assert.Equal("chf", doc.RootElement.GetProperty("per_class")[1].GetProperty("class").GetString());
        var text = report.ToText();
        Assert.Contains("pneumonia", text);
        Assert.Contains("macro avg", text);
        Assert.Contains(report.Accuracy.ToString("0.0000", CultureInfo.InvariantCulture), text);
    }

    [Fact]
    public void FromCsv_ClassAbsent_AucIsNullNotInvented()
    {
        var path = Write("absent.csv", "label,p_a,p_b,p_c\na,0.7,0.2,0.1\nb,0.2,0.7,0.1\na,0.5,0.4,0.1\n");
        var report = ClassificationReport.FromCsv(path);
        Assert.Null(report.PerClass[2].RocAuc);
        Assert.Null(report.RocAuc);
        Assert.NotNull(report.PerClass[0].RocAuc);
        Assert.Contains("\"roc_auc\": null", report.ToJson());
    }

    [Fact]
    public void FromCsv_UnknownLabel_NamesFileRowAndColumn()
    {
        var path = Write("bad-label.csv", "label,p_a,p_b\na,0.9,0.1\nz,0.5,0.5\n");
        var ex = Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(path));
        Assert.Equal(path, ex.FilePath);
        Assert.Equal(3, ex.Row);
        Assert.Equal("label", ex.Column);
        Assert.Contains("'z'", ex.Message);
    }

    [Fact]
    public void FromCsv_NaNProbability_NamesColumn()
    {
        var path = Write("nan.csv", "label,p\n0,0.1\n1,NaN\n");
        var ex = Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(path));
        Assert.Equal(3, ex.Row);
        Assert.Equal("p", ex.Column);
    }

    [Fact]
    public void FromCsv_StructuralErrors_Throw()
    {
        Assert.Equal("label", Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(Write("a.csv", "y,p\n0,0.1\n"))).Column);
        Assert.Equal(2, Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(Write("b.csv", "label,p\n0,0.1,9\n"))).Row);
        Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(Write("c.csv", "label,p\n")));
        Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(Write("d.csv", "label,p\n2,0.3\n")));
        Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(Write("e.csv", "label,p\n\"0,0.1\n")));
        Assert.Throws<MetricFileException>(() => ClassificationReport.FromCsv(Path.Combine(_dir, "missing.csv")));
    }

    [Fact]
    public void FromCsv_TwoClassColumns_TreatedAsBinaryOnSecondClass()
    {
        var path = Write("two.csv", "label,p_neg,p_pos\nneg,0.8,0.2\npos,0.3,0.7\npos,0.6,0.4\nneg,0.4,0.6\n");
        var report = ClassificationReport.FromCsv(path);
        Assert.True(report.IsBinary);
        Assert.Equal(new[] { "neg", "pos" }, report.Classes);
        Assert.Equal(0.75, report.RocAuc!.Value, 12); // pos {0.7, 0.4} vs neg {0.2, 0.6}: 3 of 4 pairs
        Assert.Equal(0.5, report.Accuracy, 12);
    }
}
