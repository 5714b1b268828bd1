using Thorax.Models.Saliency;
using Thorax.Models.Weights;

namespace Thorax.Cli.Tests;

public class SaliencyCommandTests
{
    [Fact]
    public void Predict_BaselineCheckpoint_Exits2NamingTheFileAndKeys()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"thorax-sal-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var weights = Path.Combine(dir, "baseline.safetensors");
            using (var net = new MtUNet(filters: [4, 8, 16, 32, 64]))
                SafeTensors.Save(weights, net.state_dict());
            var image = Path.Combine(dir, "a.png");
            Thorax.Imaging.Codecs.Png.Write(image, new Thorax.Imaging.Image<byte>(256, 320));
            var (code, _, err) = CliRunner.Run("saliency", "predict", "--weights", weights, image, "--json");
            Assert.Equal(2, code);
            Assert.Contains("baseline.safetensors", err);
            Assert.Contains("model.features.conv0.weight", err);

            (code, _, err) = CliRunner.Run("saliency", "predict", "--weights", Path.Combine(dir, "none.pt"), image);
            Assert.Equal(2, code);
            Assert.Contains("none.pt", err);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

public class SaliencyCompareCommandTests
{
    [Fact]
    public void Compare_BadModelsAndWidth_Exit2NamingTheValue()
    {
        var (code, _, err) = CliRunner.Run("saliency", "compare", "--data", "/nonexistent", "--out", "/tmp/none", "--models", "dual,unet");
        Assert.Equal(2, code);
        Assert.Contains("'unet'", err);
        (code, _, err) = CliRunner.Run("saliency", "compare", "--data", "/nonexistent", "--out", "/tmp/none", "--width", "huge");
        Assert.Equal(2, code);
        Assert.Contains("huge", err);
        (code, _, err) = CliRunner.Run("saliency", "train", "--data", "/nonexistent", "--run", "/tmp/none", "--model", "classifier", "--stages", "4");
        Assert.Equal(2, code);
        Assert.Contains("--model classifier", err);
    }
}
