using Thorax.Data.Reports;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Reports;

/// <summary>The NegEx-style detector on hand-written sentences (closed cases; the decisions are documented on
/// <see cref="NegationDetector"/>).</summary>
public class NegationDetectorTests
{
    [Theory]
    [InlineData("No pneumothorax.")]
    [InlineData("There is no evidence of pneumothorax.")]
    [InlineData("No pneumothorax or pleural effusion.")]
    [InlineData("No focal consolidation, pleural effusion, or pneumothorax identified.")]
    [InlineData("The lungs are clear of focal airspace disease, pneumothorax, or pleural effusion.")]
    [InlineData("Lungs are clear without focal consolidation, effusion, or pneumothorax.")]
    [InlineData("Negative for pneumothorax or pleural effusion.")]
    [InlineData("No pleural effusion or pneumothorax is seen.")]
    [InlineData("Pneumothorax is not seen.")]
    [InlineData("Pneumothorax has resolved.")]
    [InlineData("The previously seen right pneumothorax has resolved.")]
    [InlineData("Pneumothorax is no longer visible.")]
    [InlineData("There is no focal air space opacity to suggest a pneumonia or pneumothorax.")]
    [InlineData("Specifically, no evidence of focal consolidation, pneumothorax, or pleural effusion.")]
    public void Negated(string sentence) =>
        Assert.Equal(MentionStatus.Negated, NegationDetector.Classify(sentence, SentenceTopics.PneumothoraxTerm));

    [Theory]
    [InlineData("Small right apical pneumothorax.")]
    [InlineData("There is a moderate sized right pneumothorax.")]
    [InlineData("Large left hydropneumothorax, with complete collapse of the left lung.")]
    [InlineData("No significant change in right pneumothorax or pleural fluid.")]
    [InlineData("No interval change in the small left apical pneumothorax.")]
    [InlineData("No pleural effusion, but there is a small right pneumothorax.")]
    [InlineData("No effusion; small left pneumothorax.")]
    [InlineData("No pleural effusion, there is a small right pneumothorax.")]
    [InlineData("COPD with almost completely resolved right apical pneumothorax.")]
    [InlineData("The pneumothorax has not resolved.")]
    [InlineData("There is pneumothorax.")]
    public void Asserted(string sentence) =>
        Assert.Equal(MentionStatus.Asserted, NegationDetector.Classify(sentence, SentenceTopics.PneumothoraxTerm));

    [Theory]
    [InlineData("A small pneumothorax cannot be excluded.")]
    [InlineData("No definite pneumothorax, although a tiny apical pneumothorax can not be ruled out.")]
    [InlineData("Probable residual left pneumothorax.")]
    [InlineData("Evaluation for pneumothorax is limited.")]
    public void Uncertain(string sentence) =>
        Assert.Equal(MentionStatus.Uncertain, NegationDetector.Classify(sentence, SentenceTopics.PneumothoraxTerm));

    [Theory]
    [InlineData("The lungs are clear.")]
    [InlineData("Heart size is normal.")]
    public void NotMentioned(string sentence) =>
        Assert.Equal(MentionStatus.NotMentioned, NegationDetector.Classify(sentence, SentenceTopics.PneumothoraxTerm));

    [Fact]
    public void SentenceIsOnlyNegatedWhenEveryMentionIs() =>
        Assert.Equal(MentionStatus.Asserted,
            NegationDetector.Classify("No left pneumothorax, however a small right pneumothorax is present.", SentenceTopics.PneumothoraxTerm));

    [Theory]
    [InlineData("No acute cardiopulmonary abnormality.", false)]
    [InlineData("Heart size is not enlarged.", false)]
    [InlineData("There are no nodules or masses.", false)]
    [InlineData("Visualized osseous structures of the thorax are without acute abnormality.", false)]
    [InlineData("The lungs are clear.", false)]
    [InlineData("Borderline cardiomegaly.", true)]
    [InlineData("Small T-spine osteophytes.", true)]
    [InlineData("Mildly hyperexpanded lungs.", true)]
    [InlineData("Calcified granuloma in the right upper lobe.", true)]
    [InlineData("No focal consolidation, but there is mild degenerative change of the spine.", true)]
    public void AbnormalityScreen(string sentence, bool asserts) =>
        Assert.Equal(asserts, SentenceTopics.AssertsAbnormality(sentence));

    [Theory]
    [InlineData("No pneumothorax or pleural effusion.", (int)(SentenceTopic.Pneumothorax | SentenceTopic.Effusion))]
    [InlineData("The lungs are clear.", (int)(SentenceTopic.Lung))]
    [InlineData("Heart size normal.", (int)(SentenceTopic.Heart))]
    [InlineData("The cardiomediastinal silhouette is within normal limits.", (int)(SentenceTopic.Heart | SentenceTopic.Mediastinum))]
    [InlineData("Pulmonary vascularity is within normal limits.", (int)(SentenceTopic.Vascular))]
    [InlineData("No acute cardiopulmonary abnormality.", (int)(SentenceTopic.Global))]
    [InlineData("No acute bony abnormality.", (int)(SentenceTopic.Distractor))]
    [InlineData("Cholecystectomy clips are present.", (int)(SentenceTopic.Device))]
    [InlineData("The costophrenic angles are sharp.", (int)(SentenceTopic.Effusion))]
    public void Topics(string sentence, int expected) => Assert.Equal((SentenceTopic)expected, SentenceTopics.Classify(sentence));

    private static string? Subset(string name)
    {
        var shared = TestUtil.SharedData();
        string? f = shared is null ? null : Path.Combine(shared, "reports", name);
        Skip.If(f is null || !File.Exists(f), $"../shared/data/reports/{name} not found; the Indiana University report subsets are not available on this machine");
        return f;
    }

    /// <summary>The corpus' sample of reports that deny a pneumothorax: every mention reads as negated.</summary>
    [SkippableFact]
    public void RealNegatedSample_AllMentionsNegated()
    {
        var reports = IndianaReport.Read(Subset("subset_pneumothorax_negated_sample50.csv")!);
        int withMention = 0;
        foreach (var r in reports)
        {
            var mentions = SentenceSplitter.Split(r.Text).Where(s => SentenceTopics.PneumothoraxTerm.IsMatch(s)).ToList();
            if (mentions.Count > 0) withMention++;
            foreach (var s in mentions)
                Assert.True(NegationDetector.IsNegated(s, SentenceTopics.PneumothoraxTerm), $"uid {r.Uid}: {s}");
        }
        Assert.True(withMention >= 45, $"only {withMention} of {reports.Count} reports mention pneumothorax");
    }

    /// <summary>The MeSH-tagged positives: nearly all state (or hedge) a pneumothorax. Known exceptions: uid 830 describes
    /// an apical air collection without the word, uid 3056 (tagged hydropneumothorax) says "No visualized pneumothorax.".</summary>
    [SkippableFact]
    public void RealPositives_MostlyAsserted()
    {
        var reports = IndianaReport.Read(Subset("subset_pneumothorax_positive_mesh.csv")!);
        int positive = reports.Count(r => SentenceSplitter.Split(r.Text)
            .Any(s => NegationDetector.Classify(s, SentenceTopics.PneumothoraxTerm) is MentionStatus.Asserted or MentionStatus.Uncertain));
        Assert.True(positive >= reports.Count - 2, $"{positive} of {reports.Count} positives read as asserted");
    }
}
