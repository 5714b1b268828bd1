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
}
