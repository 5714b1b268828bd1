using Thorax.Models.Segmentation;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Segmentation;

public class SegmentationModelsTests
{
    [Theory]
    [InlineData("unet", typeof(UNet))]
    [InlineData("unetpp", typeof(UNetPlusPlus))]
    [InlineData("Attention-UNet", typeof(AttentionUNet))]
    [InlineData(" sa-unet ", typeof(SAUNet))]
    public void Create_KnownName_BuildsThatModelMappingInputToLogits(string name, Type type)
    {
        using var scope = torch.NewDisposeScope();
        using var net = SegmentationModels.Create(name, 1, 2, baseChannels: 2);
        Assert.IsType(type, net);
        Assert.Equal(new long[] { 1, 2, 20, 28 }, net.call(torch.randn(1, 1, 20, 28)).shape);
    }

    [Fact]
    public void Create_DefaultWidths_AreTheReferenceSizes()
    {
        using var unetpp = (UNetPlusPlus)SegmentationModels.Create("unetpp", 3);
        Assert.Equal(new long[] { 32, 64, 128, 256, 512 }, unetpp.Widths);
        Assert.True(unetpp.DeepSupervision);
        Assert.Equal(UNetPlusPlusMode.Accurate, unetpp.Mode);
        using var sa = (SAUNet)SegmentationModels.Create("sa-unet", 3);
        Assert.Equal(SegmentationGolden.ReferenceParameters("sa_unet_3in_1cls_start16"), SegmentationGolden.ParameterCount(sa));
    }

    [Fact]
    public void Create_UnknownName_ThrowsListingValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => SegmentationModels.Create("segformer", 1));
        Assert.Equal("name", ex.ParamName);
        foreach (var n in SegmentationModels.Names) Assert.Contains(n, ex.Message);
        Assert.Equal(new[] { "unet", "unetpp", "attention-unet", "sa-unet" }, SegmentationModels.Names);
    }

    [Fact]
    public void Create_NonPositiveSizes_Throw()
    {
        Assert.Throws<ArgumentException>(() => SegmentationModels.Create("unet", 0));
        Assert.Throws<ArgumentException>(() => SegmentationModels.Create("unet", 1, 0));
        Assert.Throws<ArgumentException>(() => SegmentationModels.Create("unet", 1, 1, 0));
    }

    [Theory]
    [InlineData("unet", 0.1)]
    [InlineData("unetpp", 0.1)]
    [InlineData("attention-unet", 0.1)]
    [InlineData("sa-unet", 0.01)]
    public void Create_BatchNormMomentum_NullKeepsTheArchitecturesOwn_AValueSetsEveryNorm(string name, double own)
    {
        Assert.Equal(own, SegmentationModels.DefaultBatchNormMomentum(name));
        using (var net = SegmentationModels.Create(name, 1, 1, baseChannels: 2))
        {
            var norms = net.modules().OfType<BatchNorm>().ToList();
            Assert.NotEmpty(norms);
            Assert.All(norms, bn => Assert.Equal(own, bn.momentum));
        }
        using (var net = SegmentationModels.Create(name, 1, 1, baseChannels: 2, batchNormMomentum: 0.25))
            Assert.All(net.modules().OfType<BatchNorm>(), bn => Assert.Equal(0.25, bn.momentum));
        Assert.Throws<ArgumentException>(() => SegmentationModels.Create(name, 1, 1, 2, batchNormMomentum: 1.5));
        Assert.Throws<ArgumentException>(() => SegmentationModels.DefaultBatchNormMomentum("segformer"));
    }
}
