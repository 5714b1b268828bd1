namespace Thorax.Synthetic.Tests.Options;

public class SynthOptionsTests
{
    [Fact]
    public void Validate_Defaults_DoesNotThrow()
    {
        SynthOptions.Default.Validate();
        Assert.Equal(1024, SynthOptions.Default.ImageSize);
        Assert.Equal(100, SynthOptions.Default.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(SynthOptions.MaxCount + 1)]
    public void Validate_CountOutOfRange_ThrowsWithRange(int count)
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { Count = count }).Validate());
        Assert.Equal(nameof(SynthOptions.Count), ex.Option);
        Assert.Contains("[1, 1000000]", ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(63)]
    [InlineData(5000)]
    public void Validate_ImageSizeOutOfRange_ThrowsWithRange(int size)
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { ImageSize = size }).Validate());
        Assert.Equal(nameof(SynthOptions.ImageSize), ex.Option);
        Assert.Contains("[64, 4096]", ex.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_RateOutsideUnitInterval_ThrowsForEachRate(double bad)
    {
        var variants = new (SynthOptions Options, string Name)[]
        {
            (SynthOptions.Default with { PneumothoraxRate = bad }, nameof(SynthOptions.PneumothoraxRate)),
            (SynthOptions.Default with { ShortcutRate = bad }, nameof(SynthOptions.ShortcutRate)),
            (SynthOptions.Default with { DeviceRate = bad }, nameof(SynthOptions.DeviceRate)),
            (SynthOptions.Default with { TrainFraction = bad }, nameof(SynthOptions.TrainFraction)),
            (SynthOptions.Default with { Monochrome1Rate = bad }, nameof(SynthOptions.Monochrome1Rate)),
        };
        foreach (var (o, name) in variants)
        {
            var ex = Assert.Throws<InvalidSynthOptionsException>(o.Validate);
            Assert.Equal(name, ex.Option);
            Assert.Contains("[0, 1]", ex.Message);
        }
    }

    [Fact]
    public void Validate_ClassRatesSumAboveOne_Throws()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() =>
            (SynthOptions.Default with { HeartFailureRate = 0.6, PneumoniaRate = 0.5 }).Validate());
        Assert.Contains("sum in [0, 1]", ex.Message);
    }

    [Fact]
    public void Validate_SplitFractionsSumAboveOne_Throws()
    {
        Assert.Throws<InvalidSynthOptionsException>(() =>
            (SynthOptions.Default with { TrainFraction = 0.9, ValidationFraction = 0.2 }).Validate());
    }

    [Fact]
    public void Validate_UndefinedShortcutKind_ListsValidKinds()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { Shortcut = (ShortcutKind)42 }).Validate());
        Assert.Contains("corner-marker", ex.Message);
    }

    [Theory]
    [InlineData("corner-marker", ShortcutKind.CornerMarker)]
    [InlineData("TEXT-TOKEN", ShortcutKind.TextToken)]
    [InlineData("intensity-curve", ShortcutKind.IntensityCurve)]
    [InlineData("device", ShortcutKind.Device)]
    [InlineData("None", ShortcutKind.None)]
    [InlineData("CornerMarker", ShortcutKind.CornerMarker)]
    public void ParseShortcut_KnownName_ReturnsKind(string text, ShortcutKind expected) =>
        Assert.Equal(expected, SynthOptions.ParseShortcut(text));

    [Fact]
    public void ParseShortcut_UnknownName_ThrowsListingValidNames()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => SynthOptions.ParseShortcut("watermark"));
        Assert.Contains("none, corner-marker, text-token, intensity-curve, device", ex.Message);
    }

    [Fact]
    public void ShortcutName_RoundTripsThroughParse()
    {
        foreach (var k in Enum.GetValues<ShortcutKind>())
            Assert.Equal(k, SynthOptions.ParseShortcut(SynthOptions.ShortcutName(k)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Validate_JpegQualityOutOfRange_ThrowsWithRange(int quality)
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { JpegQuality = quality }).Validate());
        Assert.Equal(nameof(SynthOptions.JpegQuality), ex.Option);
        Assert.Contains("[1, 100]", ex.Message);
        Assert.Contains("--jpeg-quality", ex.Message);
    }

    [Fact]
    public void Validate_UndefinedDicomOutput_ListsValidNames()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { Dicom = (DicomOutput)9 }).Validate());
        Assert.Equal(nameof(SynthOptions.Dicom), ex.Option);
        Assert.Contains("mixed, uncompressed, jpeg, none", ex.Message);
    }

    [Theory]
    [InlineData("mixed", DicomOutput.Mixed)]
    [InlineData("JPEG", DicomOutput.Jpeg)]
    [InlineData("uncompressed", DicomOutput.Uncompressed)]
    [InlineData("none", DicomOutput.None)]
    public void ParseDicom_KnownNames_RoundTrip(string text, DicomOutput expected)
    {
        Assert.Equal(expected, SynthOptions.ParseDicom(text));
        Assert.Equal(text.ToLowerInvariant(), SynthOptions.DicomName(expected));
    }

    [Fact]
    public void ParseDicom_Unknown_ListsValidNames()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => SynthOptions.ParseDicom("jpeg2000"));
        Assert.Contains("'jpeg2000'", ex.Message);
        Assert.Contains("mixed, uncompressed, jpeg, none", ex.Message);
    }

    [Fact]
    public void ParseShortcutTarget_KnownAndUnknown()
    {
        Assert.Equal(ShortcutTarget.Pneumothorax, SynthOptions.ParseShortcutTarget("Pneumothorax"));
        Assert.Equal(ShortcutTarget.Abnormal, SynthOptions.ParseShortcutTarget("abnormal"));
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => SynthOptions.ParseShortcutTarget("normal"));
        Assert.Contains("pneumothorax, abnormal", ex.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_ConspicuityOutsideUnitInterval_NamesTheFlag(double bad)
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() =>
            (SynthOptions.Default with { BackgroundDirectory = "bg", PneumothoraxConspicuity = bad }).Validate());
        Assert.Equal(nameof(SynthOptions.PneumothoraxConspicuity), ex.Option);
        Assert.Contains("--ptx-conspicuity", ex.Message);
        Assert.Contains("[0, 1]", ex.Message);
    }

    [Fact]
    public void Validate_ConspicuityWithoutBackground_IsRefusedUnlessOne()
    {
        (SynthOptions.Default with { PneumothoraxConspicuity = 1.0 }).Validate();
        (SynthOptions.Default with { BackgroundDirectory = "bg", PneumothoraxConspicuity = 0 }).Validate();
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { PneumothoraxConspicuity = 0.5 }).Validate());
        Assert.Contains("--background", ex.Message);
    }

    [Theory]
    [InlineData("0.6,0.3,0.1", 0.6, 0.3, 0.1)]
    [InlineData(" 1, 0 ,2 ", 1.0, 0.0, 2.0)]
    [InlineData("small", 1.0, 0.0, 0.0)]
    [InlineData("Moderate", 0.0, 1.0, 0.0)]
    [InlineData("large", 0.0, 0.0, 1.0)]
    public void ParsePneumothoraxSizes_WeightsOrOneName(string text, double s, double m, double l)
    {
        var w = SynthOptions.ParsePneumothoraxSizes(text);
        Assert.Equal(new[] { s, m, l }, w);
        (SynthOptions.Default with { PneumothoraxSizeWeights = w }).Validate();
    }

    [Fact]
    public void ParsePneumothoraxSizes_NotANumber_NamesThePart()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => SynthOptions.ParsePneumothoraxSizes("0.5,tiny,0.5"));
        Assert.Contains("'tiny'", ex.Message);
        Assert.Contains("--ptx-sizes", ex.Message);
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.5 }, "2 values")]
    [InlineData(new[] { 0.5, -0.1, 0.6 }, ">= 0")]
    [InlineData(new[] { 0.0, 0.0, 0.0 }, "positive sum")]
    [InlineData(new[] { 0.5, double.PositiveInfinity, 0.5 }, "finite")]
    public void Validate_BadSizeWeights_Throw(double[] w, string expected)
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => (SynthOptions.Default with { PneumothoraxSizeWeights = w }).Validate());
        Assert.Equal(nameof(SynthOptions.PneumothoraxSizeWeights), ex.Option);
        Assert.Contains("--ptx-sizes", ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
