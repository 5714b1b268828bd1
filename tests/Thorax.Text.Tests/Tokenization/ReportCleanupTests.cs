using Thorax.Text.Tokenization;

namespace Thorax.Text.Tests.Tokenization;

public class ReportCleanupTests
{
    [Theory]
    [InlineData("Seen on [DATE] by [PERSONALNAME].", "Seen on by .")]
    [InlineData("a\n\n  b\t c ", "a b c")]
    [InlineData("on[DATE], [date] [AGE] [ADDRESS] [ALPHANUMERICID] end", "on, end")]
    [InlineData("[Date] stays (only the reference's exact spellings go)", "[Date] stays (only the reference's exact spellings go)")]
    [InlineData("[DATE] [PERSONALNAME]\n", "")]
    [InlineData(null, "")]
    public void Removes_placeholders_and_collapses_whitespace(string? input, string expected) =>
        Assert.Equal(expected, ReportCleanup.Clean(input));
}
