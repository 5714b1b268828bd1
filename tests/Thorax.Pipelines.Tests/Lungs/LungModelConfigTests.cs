using System.Text;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using Thorax.Pipelines.Lungs;

namespace Thorax.Pipelines.Tests.Lungs;

/// <summary>
/// Regression tests for run folders found by <c>thorax fuzz --format run</c>: a corrupt config.json made
/// LungModel.Load throw JsonException / FormatException / ArgumentException (or build a giant network) instead of an
/// InvalidDataException naming the file and the field.
/// </summary>
public sealed class LungModelConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-lungmodel-").FullName;

    public LungModelConfigTests()
    {
        using var net = SegmentationModels.Create("unet", 1, 1, 4);
        SafeTensors.Save(Path.Combine(_dir, "model.safetensors"), net.state_dict());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("{\"model\":\"unet\",\"base_channels\":4,\"size\":3", "not valid JSON")]                // truncated
    [InlineData("{\"model\"u\"unet\"}", "not valid JSON")]                                            // bit flip
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"model\":null,\"base_channels\":4,\"size\":32}", "model")]
    [InlineData("{\"model\":\"unet\",\"base_channels\":99999999999,\"size\":32}", "base_channels")]   // FormatException
    [InlineData("{\"model\":\"unet\",\"base_channels\":1.5,\"size\":32}", "base_channels")]
    [InlineData("{\"model\":\"unet\",\"base_channels\":\"4\",\"size\":32}", "base_channels")]         // InvalidOperationException
    [InlineData("{\"model\":\"resnet\",\"base_channels\":4,\"size\":32}", "field model")]             // was ArgumentException
    [InlineData("{\"model\":\"unet\",\"base_channels\":100000,\"size\":32}", "field base_channels")]   // would build a giant network
    [InlineData("{\"model\":\"unet\",\"base_channels\":4,\"size\":-32}", "field size")]
    [InlineData("{\"model\":\"unet\",\"base_channels\":4,\"size\":33}", "field size")]
    public void Corrupt_config_is_InvalidDataException_naming_file_and_field(string json, string expected)
    {
        var config = Path.Combine(_dir, "config.json");
        File.WriteAllBytes(config, Encoding.UTF8.GetBytes(json));
        var e = Assert.Throws<InvalidDataException>(() => LungModel.Load(_dir).Dispose());
        Assert.Contains(config, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Valid_config_loads()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"model\":\"unet\",\"base_channels\":4,\"size\":32}");
        using var model = LungModel.Load(_dir);
        Assert.Equal(32, model.Size);
    }
}
