namespace Thorax.Training.Tests.Swa;

public class SwaScheduleTests
{
    [Fact]
    public void AtEpochs_PneumothoraxRecipe_IncludesOnly13To16()
    {
        var s = SwaSchedule.AtEpochs(13, 14, 15, 16);
        Assert.Equal(new[] { 13, 14, 15, 16 }, Enumerable.Range(0, 30).Where(s.Includes).ToArray());
        Assert.Equal("epochs {13, 14, 15, 16}", s.ToString());
    }

    [Fact]
    public void LastEpochs_ThreeOfTwenty_Is18To20()
    {
        var s = SwaSchedule.LastEpochs(3, 20);
        Assert.Equal(new[] { 18, 19, 20 }, Enumerable.Range(0, 30).Where(s.Includes).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => SwaSchedule.LastEpochs(21, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => SwaSchedule.LastEpochs(0, 20));
    }

    [Fact]
    public void From_StartAndStride_IncludesEveryNthEpochFromStart()
    {
        var s = SwaSchedule.From(10, every: 3);
        Assert.Equal(new[] { 10, 13, 16, 19 }, Enumerable.Range(0, 21).Where(s.Includes).ToArray());
        Assert.Throws<ArgumentException>(() => SwaSchedule.AtEpochs());
    }
}
