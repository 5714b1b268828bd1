using System.Text.RegularExpressions;
using Thorax.Data;
using Thorax.Data.IO;
using Thorax.Data.Reports;

namespace Thorax.Synthetic.Internal;

/// <summary>A report built from real report sentences.</summary>
/// <param name="Text">"FINDINGS: ...\nIMPRESSION: ..."</param>
/// <param name="SourceUid">uid of the real normal report the text starts from.</param>
internal sealed record CorpusReport(string Text, string SourceUid);

/// <summary>A cleaned, classified real sentence.</summary>
internal sealed record CorpusSentence(string Text, SentenceTopic Topics);

/// <summary>A real normal report reduced to sentences that are true of any image without findings or devices.</summary>
internal sealed record BaseReport(string Uid, IReadOnlyList<CorpusSentence> Findings, IReadOnlyList<CorpusSentence> Impression);

/// <summary>
/// Reports in real radiology language from the Indiana University (OpenI) corpus, <c>indiana_reports.csv</c>.
/// <para>Base pool: reports whose MeSH and Problems are both "normal". Their findings and impression are split into
/// sentences (<see cref="SentenceSplitter"/>); enumeration marks ("1.") are removed; a sentence is dropped when it
/// contains "XXXX" (the de-identification mark can hide any word, a device or a negation included, so such sentences
/// cannot be checked), has fewer than two words, is about another body part (<see cref="SentenceTopics.OffTopic"/>), mentions a device or post-surgical material (negated or not,
/// <see cref="SentenceTopics.DeviceTerm"/>), or asserts any abnormality that the <see cref="NegationDetector"/> does
/// not find negated (<see cref="SentenceTopics.AbnormalTerm"/>). A report is eligible when at least two findings
/// sentences and one impression sentence survive.</para>
/// <para>A study without findings or devices gets an eligible report as it is. For findings the base report's sentences
/// whose topics the findings contradict are dropped (pneumothorax: pneumothorax, lung and global sentences, plus
/// mediastinum for tension; heart failure: heart, vascular, lung, global, and effusion when effusions are drawn;
/// pneumonia: lung and global) and positive sentences phrased like the corpus' MeSH-tagged positives take the place of
/// the first dropped sentence on their topic (<see cref="ReportPhrases"/>). Distractor sentences (bones, aorta,
/// technique) are kept.</para>
/// </summary>
internal sealed class ReportCorpus
{
    /// <summary>File name looked for when <see cref="Load"/> is given a folder.</summary>
    public const string FileName = "indiana_reports.csv";

    private static readonly Regex Enumeration = new(@"^\(?\d{1,2}[.)]\s*", RegexOptions.CultureInvariant);
    private static readonly Regex TrailingDots = new(@"[\s.]+$", RegexOptions.CultureInvariant);

    private readonly List<BaseReport> _eligible;

    private ReportCorpus(string source, List<BaseReport> eligible, int total, int normal, int pool,
        int droppedXxxx, int droppedDevice, int droppedAbnormal)
    {
        Source = source;
        _eligible = eligible;
        TotalReports = total;
        NormalReports = normal;
        SentencePool = pool;
        DroppedXxxxSentences = droppedXxxx;
        DroppedDeviceSentences = droppedDevice;
        DroppedAbnormalSentences = droppedAbnormal;
    }

    /// <summary>The CSV file read.</summary>
    public string Source { get; }

    /// <summary>Reports in the file.</summary>
    public int TotalReports { get; }

    /// <summary>Reports whose MeSH and Problems are "normal".</summary>
    public int NormalReports { get; }

    /// <summary>Normal reports with at least two clean findings sentences and one clean impression sentence.</summary>
    public int EligibleNegativeReports => _eligible.Count;

    /// <summary>Distinct clean sentences over the eligible reports (findings and impression).</summary>
    public int SentencePool { get; }

    /// <summary>Sentences of normal reports dropped for containing "XXXX".</summary>
    public int DroppedXxxxSentences { get; }

    /// <summary>Sentences of normal reports dropped for mentioning a device or post-surgical material.</summary>
    public int DroppedDeviceSentences { get; }

    /// <summary>Sentences of normal reports dropped for asserting (or hedging) an abnormality.</summary>
    public int DroppedAbnormalSentences { get; }

    /// <summary>The eligible base reports, in file order.</summary>
    public IReadOnlyList<BaseReport> Eligible => _eligible;

    /// <summary>Reads <c>indiana_reports.csv</c> (columns uid, MeSH, Problems, findings, impression), or the file of
    /// that name in the folder <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file (the message names the path tried).</exception>
    /// <exception cref="DataFormatException">A missing column (file and column named), an empty uid (file, line,
    /// column) or no eligible normal report (file named).</exception>
    public static ReportCorpus Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
            throw new FileNotFoundException(
                $"Report corpus '{file}' not found (expected {FileName} or a folder holding it).", file);
        var csv = CsvTable.Read(file);
        int uid = csv.Require("uid"), mesh = csv.Require("MeSH"), problems = csv.Require("Problems");
        int findings = csv.Require("findings"), impression = csv.Require("impression");

        var eligible = new List<BaseReport>();
        var pool = new HashSet<string>(StringComparer.Ordinal);
        int normal = 0, xxxx = 0, device = 0, abnormal = 0;
        foreach (var r in csv.Records)
        {
            string id = CsvTable.Field(r, uid).Trim();
            if (id.Length == 0) throw csv.Error(r, uid, "empty uid");
            if (!IsNormal(CsvTable.Field(r, mesh)) || !IsNormal(CsvTable.Field(r, problems))) continue;
            normal++;
            var f = Clean(CsvTable.Field(r, findings), ref xxxx, ref device, ref abnormal);
            var i = Clean(CsvTable.Field(r, impression), ref xxxx, ref device, ref abnormal);
            if (f.Count < 2 || i.Count < 1) continue;
            eligible.Add(new BaseReport(id, f, i));
            foreach (var s in f.Concat(i)) pool.Add(s.Text);
        }
        if (eligible.Count == 0)
            throw new DataFormatException(
                "no eligible negative report (MeSH and Problems 'normal' with two clean findings sentences and a clean impression)", file);
        return new ReportCorpus(file, eligible, csv.Records.Count, normal, pool.Count, xxxx, device, abnormal);
    }

    /// <summary>A report for <paramref name="plan"/>: deterministic in <paramref name="rng"/> (which it advances).</summary>
    public CorpusReport Write(StudyPlan plan, RenderInfo info, ref Rng rng)
    {
        var b = _eligible[rng.Next(_eligible.Count)];
        var phrases = new ReportPhrases(plan, info);
        var conflicts = phrases.Conflicts;

        // Findings: keep what the image agrees with; positive groups replace the first dropped sentence on their topic.
        var groups = phrases.FindingGroups(ref rng, b.Findings.Where(s => (s.Topics & conflicts) == 0).Select(s => s.Text));
        var findings = new List<string>();
        var placed = new bool[groups.Count];
        foreach (var s in b.Findings)
        {
            if ((s.Topics & conflicts) == 0) { findings.Add(s.Text); continue; }
            for (int g = 0; g < groups.Count; g++)
            {
                if (placed[g] || (groups[g].Topics & s.Topics) == 0) continue;
                findings.AddRange(groups[g].Sentences);
                placed[g] = true;
                break;
            }
        }
        int tail = findings.Count;
        while (tail > 0 && b.Findings.Any(s => s.Text == findings[tail - 1] && s.Topics == SentenceTopic.Distractor)) tail--;
        var rest = groups.Where((_, g) => !placed[g]).SelectMany(g => g.Sentences).ToList();
        findings.InsertRange(tail, rest);
        if (phrases.DeviceSentences(ref rng) is { Count: > 0 } devices)
        {
            if (rng.Chance(0.5)) findings.InsertRange(0, devices);
            else findings.AddRange(devices);
        }

        // Impression: positives first, then what of the base impression the findings do not contradict.
        var impression = phrases.ImpressionItems(ref rng);
        impression.AddRange(b.Impression.Where(s => (s.Topics & conflicts) == 0).Select(s => s.Text));
        if (impression.Count == 0) impression.Add(ReportPhrases.Pick(ref rng, "No acute cardiopulmonary abnormality.", "No acute cardiopulmonary disease."));
        string imp = impression.Count >= 2 && phrases.Abnormal && rng.Chance(0.4)
            ? string.Join(' ', impression.Select((s, k) => $"{k + 1}. {s}"))
            : string.Join(' ', impression);
        return new CorpusReport($"FINDINGS: {string.Join(' ', findings)}\nIMPRESSION: {imp}", b.Uid);
    }

    private static bool IsNormal(string field) => field.Trim().Equals("normal", StringComparison.OrdinalIgnoreCase);

    /// <summary>Clean, classified sentences of one report field that are true of an image without findings or devices.</summary>
    internal static List<CorpusSentence> Clean(string text, ref int xxxx, ref int device, ref int abnormal)
    {
        var result = new List<CorpusSentence>();
        foreach (var raw in SentenceSplitter.Split(text))
        {
            string s = Normalize(raw);
            if (s.Length == 0) continue;
            if (s.Contains("XXXX", StringComparison.OrdinalIgnoreCase)) { xxxx++; continue; }
            if (s.Count(c => c == ' ') < 1 || SentenceTopics.OffTopic.IsMatch(s)) continue;
            if (SentenceTopics.DeviceTerm.IsMatch(s)) { device++; continue; }
            if (SentenceTopics.AssertsAbnormality(s)) { abnormal++; continue; }
            result.Add(new CorpusSentence(s, SentenceTopics.Classify(s)));
        }
        return result;
    }

    /// <summary>Removes an enumeration mark, trailing dots and spaces, upper-cases the first letter and ends with one
    /// period; "" for a bare enumeration mark.</summary>
    internal static string Normalize(string sentence)
    {
        string s = Enumeration.Replace(sentence.Trim(), "");
        s = TrailingDots.Replace(s, "").Trim();
        if (s.Length == 0 || s.All(c => char.IsDigit(c) || char.IsPunctuation(c))) return "";
        return char.ToUpperInvariant(s[0]) + s[1..] + (s.EndsWith('?') || s.EndsWith('!') ? "" : ".");
    }
}
