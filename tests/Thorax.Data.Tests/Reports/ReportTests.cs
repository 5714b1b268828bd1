using Thorax.Data.Reports;

namespace Thorax.Data.Tests.Reports;

public class ReportTests
{
    [Fact]
    public void Split_DecimalsAndAbbreviations_NotSplit()
    {
        var s = SentenceSplitter.Split("There is a small right apical pneumothorax which measures approx. 2.0 cm.  No effusion!\nDr. Smith notified. Heart normal");
        Assert.Equal(new[]
        {
            "There is a small right apical pneumothorax which measures approx. 2.0 cm.",
            "No effusion!",
            "Dr. Smith notified.",
            "Heart normal",
        }, s);
    }

    [Theory]
    [InlineData("Small right apical pneumothorax. Left lung clear.", "Small left apical pneumothorax. Right lung clear.")]
    [InlineData("RIGHT-to-left shift; rt chest tube", "LEFT-to-right shift; lt chest tube")]
    [InlineData("Bright brightness leftover", "Bright brightness leftover")]
    public void FlipHorizontal_SwapsLateralityWords(string text, string expected)
    {
        Assert.Equal(expected, ReportLaterality.FlipHorizontal(text));
        Assert.Equal(text, ReportLaterality.FlipHorizontal(expected));
    }

    [Fact]
    public void Augmenter_DefaultOptions_ReturnsTextUnchanged()
    {
        var a = new ReportAugmenter(ReportAugmentationOptions.Default);
        Assert.Equal("A. B.", a.Apply("A. B.", new Random(1)));
    }

    [Fact]
    public void Augmenter_ShuffleAndSynonyms_SeededAndReproducible()
    {
        var table = new SynonymTable([KeyValuePair.Create("chest", new[] { "thorax" }), KeyValuePair.Create("normal", new[] { "unremarkable" })]);
        var a = new ReportAugmenter(new ReportAugmentationOptions { ShuffleSentences = true, SynonymProbability = 1, Synonyms = table });
        const string text = "Chest is normal. Heart size normal. No pneumothorax. Lungs clear.";
        string x = a.Apply(text, new Random(3)), y = a.Apply(text, new Random(3));
        Assert.Equal(x, y);
        Assert.DoesNotContain("normal", x);
        Assert.Contains("unremarkable", x);
        Assert.Equal(SentenceSplitter.Split(text.Replace("Chest", "Thorax").Replace("normal", "unremarkable")).Order(), SentenceSplitter.Split(x).Order());
    }

    [Fact]
    public void Augmenter_LastReplacementOnly_ReproducesTheReferenceBug()
    {
        var table = new SynonymTable([KeyValuePair.Create("chest", new[] { "thorax" }), KeyValuePair.Create("normal", new[] { "unremarkable" })]);
        const string text = "Chest is normal. The chest wall is normal.";
        var fixedOne = new ReportAugmenter(new ReportAugmentationOptions { SynonymProbability = 1, Synonyms = table });
        Assert.Equal("Thorax is unremarkable. The thorax wall is unremarkable.", fixedOne.Apply(text, new Random(1)));
        // the reference restarts from the original text for every word: only the last triggered one ("normal") survives
        var quirk = new ReportAugmenter(new ReportAugmentationOptions { SynonymProbability = 1, Synonyms = table, LastReplacementOnly = true });
        Assert.Equal("Chest is unremarkable. The chest wall is unremarkable.", quirk.Apply(text, new Random(1)));
        // a word that is not in the text does not undo an earlier replacement
        var t2 = new SynonymTable([KeyValuePair.Create("chest", new[] { "thorax" }), KeyValuePair.Create("zebra", new[] { "horse" })]);
        var q2 = new ReportAugmenter(new ReportAugmentationOptions { SynonymProbability = 1, Synonyms = t2, LastReplacementOnly = true });
        Assert.Equal("Thorax is normal. The thorax wall is normal.", q2.Apply(text, new Random(1)));
    }

    [Fact]
    public void SynonymTable_Read_PythonListAndSemicolonForms()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("syn.csv"), "word,synonyms\nchest,\"['thorax', 'chest cavity']\"\nright,right position;dextral\n");
        var t = SynonymTable.Read(dir.File("syn.csv"));
        Assert.Equal(new[] { "thorax", "chest cavity" }, t.SynonymsOf("Chest"));
        Assert.Equal(new[] { "right position", "dextral" }, t.SynonymsOf("right"));
    }

    [Fact]
    public void ReadCandidPtx_ValidatesAbsoluteRle()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.csv"), "image_id,text,label\na.dcm,\"Large right pneumothorax.\nChest tube.\",3 4\nb.dcm,No pneumothorax.,-1\n");
        var rows = ReportRecord.ReadCandidPtx(dir.File("c.csv"), 4, 4);
        Assert.Equal(2, rows.Count);
        Assert.Equal(4, rows[1].Line);
        Assert.Equal(4, Thorax.Data.Siim.StandardRle.ToMask(rows[0].Rle!, 4, 4).CountNonZero());
        File.WriteAllText(dir.File("bad.csv"), "image_id,text,label\na.dcm,x,3 40\n");
        var e = Assert.Throws<DataFormatException>(() => ReportRecord.ReadCandidPtx(dir.File("bad.csv"), 4, 4));
        Assert.Equal((2L, "label"), (e.Line!.Value, e.Column));
    }

    [SkippableFact]
    public void Indiana_PositiveSubset_MentionsSidesAndFlipsConsistently()
    {
        string p = TestData.RequireShared("reports/subset_pneumothorax_positive_mesh.csv");
        var reports = IndianaReport.Read(p);
        Assert.Equal(26, reports.Count);
        foreach (var r in reports)
        {
            var sentences = SentenceSplitter.Split(r.Text);
            Assert.NotEmpty(sentences);
            Assert.Equal(r.Text, string.Join(" ", sentences));
            Assert.Equal(r.Text, ReportLaterality.FlipHorizontal(ReportLaterality.FlipHorizontal(r.Text)));
        }
        var rightApex = reports.Where(r => r.MeSH.Contains("Pneumothorax/apex/right", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(rightApex);
        Assert.All(rightApex, r => Assert.Contains("left", ReportLaterality.FlipHorizontal(r.Text), StringComparison.OrdinalIgnoreCase));
    }

    [SkippableFact]
    public void Indiana_NegatedSubset_AllMentionPneumothorax()
    {
        string p = TestData.RequireShared("reports/subset_pneumothorax_negated_sample50.csv");
        var reports = IndianaReport.Read(p);
        Assert.Equal(50, reports.Count);
        Assert.All(reports, r => Assert.Contains("pneumothora", r.Text, StringComparison.OrdinalIgnoreCase));
    }
}
