using System.Text.RegularExpressions;
using Thorax.Data;
using Thorax.Data.Reports;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Reports;

/// <summary>Reports built from the real Indiana University corpus in ../shared/data/reports (those tests skip when it
/// is absent), and Load's errors and sentence cleaning on small hand-written files.</summary>
public class ReportCorpusTests
{
    private const string Missing = "../shared/data/reports/indiana_reports.csv not found; the Indiana University report corpus is not available on this machine";
    private const RegexOptions Opt = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    // The test's own word lists (independent of the implementation's patterns).
    private static readonly Regex Ptx = new(@"pneumothora\w*", Opt);
    private static readonly Regex DeviceWords = new(
        @"\b(?:tubes?|catheters?|lines?|pacemakers?|pacer|wires?|leads?|clips?|sternotomy|ports?|stents?|hardware|drains?|drainage|electrodes?|devices?|sutures?|staples?)\b", Opt);
    private static readonly Regex Abnormal = new(
        @"pneumothora\w*|effusions?|consolidation|opacit\w*|infiltrat\w*|pneumonia|edema|congestion|cardiomegaly|enlarged|atelectasis|nodules?|\bmass(?:es)?\b|fractures?|degenerative|scarring|granulomas?|emphysema|hyperinflat\w*|hyperexpan\w*|tortuous|calcifi\w*|\bshift", Opt);

    private static readonly Lazy<ReportCorpus?> Corpus = new(() =>
    {
        string? file = CorpusFile();
        return file is null ? null : ReportCorpus.Load(file);
    });

    private static string? CorpusFile()
    {
        var shared = TestUtil.SharedData();
        string? f = shared is null ? null : Path.Combine(shared, "reports", "indiana_reports.csv");
        return f is not null && File.Exists(f) ? f : null;
    }

    private static ReportCorpus RealCorpus()
    {
        Skip.If(Corpus.Value is null, Missing);
        return Corpus.Value!;
    }

    /// <summary>A random plan and render info covering every class, pneumothorax side/location/size/tension and device mix.</summary>
    internal static (StudyPlan Plan, RenderInfo Info) RandomStudy(int index, ref Rng rng)
    {
        var cls = (FindingClass)rng.Next(3);
        PneumothoraxFinding? ptx = rng.Chance(0.5)
            ? new PneumothoraxFinding((BodySide)rng.Next(2), (PneumothoraxLocation)rng.Next(3), (PneumothoraxSize)rng.Next(3), rng.Chance(0.25))
            : null;
        var devices = (SupportDevices)rng.Next(4);
        var plan = new StudyPlan(index, DatasetSplit.Train, cls, ptx, devices, (BodySide)rng.Next(2), false, false,
            StudyEncoding.None, 60, "F");
        BodySide? side = cls == FindingClass.Pneumonia ? (BodySide)rng.Next(2) : null;
        string? zone = cls == FindingClass.Pneumonia ? new[] { "upper", "middle", "lower" }[rng.Next(3)] : null;
        var info = new RenderInfo(default, default, default, [], side, zone,
            cls == FindingClass.HeartFailure && rng.Chance(0.5), cls == FindingClass.HeartFailure ? rng.Range(0.52, 0.66) : rng.Range(0.4, 0.5));
        return (plan, info);
    }

    private static IEnumerable<(StudyPlan Plan, RenderInfo Info, CorpusReport Report)> Many(ReportCorpus corpus, int n = 3000, ulong seed = 11)
    {
        var rng = new Rng(seed);
        for (int i = 0; i < n; i++)
        {
            var (plan, info) = RandomStudy(i, ref rng);
            var r = Rng.For(7, 3, i);
            yield return (plan, info, corpus.Write(plan, info, ref r));
        }
    }

    private static List<string> Sentences(string text) =>
        text.Split('\n').SelectMany(l => SentenceSplitter.Split(l.Replace("FINDINGS:", "").Replace("IMPRESSION:", ""))).ToList();

    [SkippableFact]
    public void NegativePool_HasHundredsOfEligibleReports()
    {
        var c = RealCorpus();
        Assert.Equal(3851, c.TotalReports);
        Assert.InRange(c.NormalReports, 1000, 2000);
        Assert.InRange(c.EligibleNegativeReports, 500, c.NormalReports);
        Assert.InRange(c.SentencePool, 300, 10_000);
        Assert.True(c.DroppedXxxxSentences > 0 && c.DroppedDeviceSentences > 0 && c.DroppedAbnormalSentences > 0);
        // The builder draws from many base reports, not a handful.
        Assert.True(Many(c, 2000).Select(x => x.Report.SourceUid).Distinct().Count() > 400);
    }

    [SkippableFact]
    public void WithoutPneumothorax_EveryMentionIsNegated()
    {
        int mentions = 0;
        foreach (var (plan, _, report) in Many(RealCorpus()).Where(x => x.Plan.Pneumothorax is null))
            foreach (var s in Sentences(report.Text).Where(s => Ptx.IsMatch(s)))
            {
                mentions++;
                Assert.True(NegationDetector.Classify(s, Ptx) == MentionStatus.Negated, $"asserted in study {plan.Index}: {s}");
            }
        Assert.True(mentions > 100, $"only {mentions} negated pneumothorax mentions; real negatives usually deny it");
    }

    [SkippableFact]
    public void WithoutDevices_NoDeviceWords()
    {
        int n = 0;
        foreach (var (plan, _, report) in Many(RealCorpus()).Where(x => x.Plan.Devices == SupportDevices.None))
        {
            n++;
            Assert.False(DeviceWords.IsMatch(report.Text), $"study {plan.Index}: device word {DeviceWords.Match(report.Text).Value}");
        }
        Assert.True(n > 500);
    }

    [SkippableFact]
    public void WithDevices_DevicesAreNamed()
    {
        foreach (var (plan, _, report) in Many(RealCorpus()).Where(x => x.Plan.Devices != SupportDevices.None))
        {
            if ((plan.Devices & SupportDevices.ChestTube) != 0)
            {
                string side = plan.ChestTubeSide == BodySide.Right ? "right" : "left";
                Assert.Contains(Sentences(report.Text), s => Regex.IsMatch(s, $@"\b{side}\b.*\b(chest tube|drainage catheter)", Opt));
            }
            if ((plan.Devices & SupportDevices.EcgLeads) != 0)
                Assert.Matches(new Regex(@"\b(ECG|monitoring) (leads|wires)|monitoring leads", Opt), report.Text);
        }
    }

    [SkippableFact]
    public void Pneumothorax_SideSizeLocationConsistent()
    {
        int n = 0;
        foreach (var (plan, _, report) in Many(RealCorpus()).Where(x => x.Plan.Pneumothorax is not null))
        {
            n++;
            var f = plan.Pneumothorax!;
            string side = f.Side == BodySide.Right ? "right" : "left", other = f.Side == BodySide.Right ? "left" : "right";
            string size = f.Size.ToString().ToLowerInvariant();
            string loc = f.Location switch
            {
                PneumothoraxLocation.Apical => "apical|apex",
                PneumothoraxLocation.Lateral => "lateral",
                _ => "basilar|basal|base",
            };
            var mentions = Sentences(report.Text).Where(s => Regex.IsMatch(s, @"pneumothora|pleural air", Opt)).ToList();
            Assert.NotEmpty(mentions);
            foreach (var s in mentions)
            {
                Assert.True(Regex.IsMatch(s, $@"\b{side}\b", Opt), $"study {plan.Index}: side '{side}' missing: {s}");
                Assert.False(Regex.IsMatch(s, $@"\b{other}\b", Opt), $"study {plan.Index}: opposite side in: {s}");
                Assert.True(Regex.IsMatch(s, $@"\b{size}", Opt), $"study {plan.Index}: size '{size}' missing: {s}");
                Assert.True(Regex.IsMatch(s, $@"\b({loc})\b", Opt), $"study {plan.Index}: location '{loc}' missing: {s}");
                Assert.Equal(MentionStatus.Asserted, NegationDetector.Classify(s, new Regex(@"pneumothora\w*|pleural air", Opt)));
            }
            string[] parts = report.Text.Split('\n');
            Assert.Contains(mentions, s => parts[0].Contains(s, StringComparison.Ordinal));
            Assert.Contains(mentions, s => parts[1].Contains(s, StringComparison.Ordinal));
            var shift = Sentences(report.Text).Where(s => Regex.IsMatch(s, @"shift", Opt)).ToList();
            if (f.Tension)
                Assert.Contains(shift, s => Regex.IsMatch(s, $@"(to the |-to-){other}\b", Opt) && NegationDetector.Classify(s, new Regex("shift", Opt)) == MentionStatus.Asserted);
            else
                Assert.All(shift, s => Assert.Equal(MentionStatus.Negated, NegationDetector.Classify(s, new Regex("shift", Opt))));
            Assert.DoesNotMatch(new Regex(@"no acute cardiopulmonary|lungs are clear|normal chest", Opt), report.Text);
        }
        Assert.True(n > 500);
    }

    [SkippableFact]
    public void NormalImages_AssertNoAbnormality()
    {
        int n = 0;
        foreach (var (plan, _, report) in Many(RealCorpus()).Where(x => x.Plan.Pneumothorax is null && x.Plan.Class == FindingClass.Normal))
        {
            n++;
            foreach (var s in Sentences(report.Text).Where(s => Abnormal.IsMatch(s)))
                Assert.True(NegationDetector.Classify(s, Abnormal) == MentionStatus.Negated, $"study {plan.Index}: {s}");
        }
        Assert.True(n > 200);
    }

    [SkippableFact]
    public void HeartFailureAndPneumonia_AreDescribedAndNotContradicted()
    {
        foreach (var (plan, info, report) in Many(RealCorpus()).Where(x => x.Plan.Class != FindingClass.Normal))
        {
            Assert.DoesNotMatch(new Regex(@"no acute cardiopulmonary|lungs are clear|clear lungs|normal chest", Opt), report.Text);
            if (plan.Class == FindingClass.HeartFailure)
            {
                Assert.Matches(new Regex(@"cardiomegaly|heart is \w+ly enlarged|silhouette is enlarged", Opt), report.Text);
                Assert.Matches(new Regex(@"congestion|edema", Opt), report.Text);
                Assert.DoesNotMatch(new Regex(@"heart (size )?is normal|normal heart size|heart size normal", Opt), report.Text);
                if (info.Effusion) Assert.Matches(new Regex(@"bilateral (pleural )?effusions|effusions", Opt), report.Text);
                else Assert.All(Sentences(report.Text).Where(s => Regex.IsMatch(s, "effusion", Opt)),
                    s => Assert.Equal(MentionStatus.Negated, NegationDetector.Classify(s, new Regex("effusions?", Opt))));
            }
            else
            {
                string side = info.PneumoniaSide == BodySide.Right ? "right" : "left";
                string where = (info.PneumoniaSide, info.PneumoniaZone) switch
                {
                    (BodySide.Left, "middle") => "lingula|left mid lung",
                    (_, "middle") => "right middle lobe|right mid lung",
                    (_, var z) => $"{side} {z}",
                };
                var pneumonia = Sentences(report.Text).Where(s => Regex.IsMatch(s, "pneumonia|consolidation|airspace", Opt) && !Regex.IsMatch(s, @"\bno\b", Opt)).ToList();
                Assert.NotEmpty(pneumonia);
                Assert.All(pneumonia, s => Assert.Matches(new Regex(where, Opt), s));
                Assert.DoesNotMatch(new Regex(@"left middle lobe|right lingula", Opt), report.Text);
            }
        }
    }

    [SkippableFact]
    public void SameSeed_SameText_DifferentSeeds_Vary()
    {
        var c = RealCorpus();
        var a = Many(c, 200).Select(x => x.Report).ToList();
        var b = Many(c, 200).Select(x => x.Report).ToList();
        Assert.Equal(a, b);
        var rng = new Rng(11);
        var (plan, info) = RandomStudy(0, ref rng);
        var texts = Enumerable.Range(0, 50).Select(i => { var r = Rng.For(i, 3, 0); return c.Write(plan, info, ref r).Text; }).Distinct().Count();
        Assert.True(texts > 30, $"only {texts} distinct reports from 50 seeds");
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        string dir = TestUtil.TempDir();
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => ReportCorpus.Load(dir));
            Assert.Contains(Path.Combine(dir, "indiana_reports.csv"), e.Message);
            string file = Path.Combine(dir, "nope.csv");
            Assert.Contains(file, Assert.Throws<FileNotFoundException>(() => ReportCorpus.Load(file)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Load_MissingColumn_NamesFileAndColumn()
    {
        string dir = TestUtil.TempDir();
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "indiana_reports.csv");
        File.WriteAllText(file, "uid,MeSH,Problems,findings\n1,normal,normal,The lungs are clear.\n");
        try
        {
            var e = Assert.Throws<DataFormatException>(() => ReportCorpus.Load(dir));
            Assert.Equal(file, e.FilePath);
            Assert.Equal("impression", e.Column);
            Assert.Contains(file, e.Message);
            Assert.Contains("impression", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Load_NoEligibleReport_NamesFile()
    {
        string dir = TestUtil.TempDir();
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "r.csv");
        File.WriteAllText(file, "uid,MeSH,Problems,findings,impression\n1,Cardiomegaly,Cardiomegaly,The heart is enlarged. Lungs clear.,Cardiomegaly.\n");
        try
        {
            var e = Assert.Throws<DataFormatException>(() => ReportCorpus.Load(file));
            Assert.Equal(file, e.FilePath);
            Assert.Contains("no eligible", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Load_CleansSentences()
    {
        string dir = TestUtil.TempDir();
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "r.csv");
        File.WriteAllText(file, string.Join('\n',
            "uid,MeSH,Problems,image,indication,comparison,findings,impression",
            "1,normal,normal,PA,x,None.,\"The heart is normal in size. There are no XXXX of a pleural effusion. Cholecystectomy clips are present. Small T-spine osteophytes. No pneumothorax or pleural effusion.\",\"1. No acute cardiopulmonary abnormality. .\"",
            "2,Cardiomegaly,Cardiomegaly,PA,x,None.,\"The heart is enlarged. Lungs are clear.\",Cardiomegaly.",
            "3,normal,normal,PA,x,None.,,No acute disease.", ""));
        try
        {
            var c = ReportCorpus.Load(file);
            Assert.Equal(3, c.TotalReports);
            Assert.Equal(2, c.NormalReports);
            Assert.Equal(1, c.EligibleNegativeReports);
            Assert.Equal((1, 1, 1), (c.DroppedXxxxSentences, c.DroppedDeviceSentences, c.DroppedAbnormalSentences));
            var b = c.Eligible[0];
            Assert.Equal(["The heart is normal in size.", "No pneumothorax or pleural effusion."], b.Findings.Select(s => s.Text));
            Assert.Equal(["No acute cardiopulmonary abnormality."], b.Impression.Select(s => s.Text));

            var rng = new Rng(1);
            var plan = new StudyPlan(0, DatasetSplit.Test, FindingClass.Normal, new PneumothoraxFinding(BodySide.Left, PneumothoraxLocation.Apical, PneumothoraxSize.Small),
                SupportDevices.None, BodySide.Left, false, false, StudyEncoding.None, 50, "M");
            var info = new RenderInfo(default, default, default, [], null, null, false, 0.45);
            var report = c.Write(plan, info, ref rng);
            Assert.Equal("1", report.SourceUid);
            string[] lines = report.Text.Split('\n');
            Assert.StartsWith("FINDINGS: The heart is normal in size. ", lines[0]);
            Assert.DoesNotContain("No pneumothorax", report.Text);
            Assert.DoesNotContain("No acute", report.Text);
            Assert.Matches(@"^IMPRESSION: Small left(?:-sided)? apical pneumothorax\.$", lines[1]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
