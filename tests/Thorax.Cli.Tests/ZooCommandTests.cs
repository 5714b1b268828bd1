using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Weights;

namespace Thorax.Cli.Tests;

public sealed class ZooCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-zoo-cli-" + Guid.NewGuid().ToString("N"));

    public ZooCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void List_Json_NamesEncodersAndDecoders()
    {
        var (code, stdout, stderr) = CliRunner.Run("zoo", "list", "--json");
        Assert.True(code == 0, stderr);
        CliSchemas.AssertValid("zoo-list", stdout);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
        var x = doc.RootElement.GetProperty("encoders").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "xception");
        Assert.Equal(22_855_952, x.GetProperty("params_with_head").GetInt64());
        Assert.Contains(doc.RootElement.GetProperty("decoders").EnumerateArray(), d => d.GetProperty("name").GetString() == "scse-unet");
    }

    [Fact]
    public void Load_ImageNetStyleFile_IntoA1ChannelEncoderAndUnet_AndNamesBadKeys()
    {
        var file = Path.Combine(_dir, "b0.safetensors");
        using (var net = EfficientNet.B(0, 3, 1000)) SafeTensors.Save(file, net.state_dict());

        var (code, stdout, stderr) = CliRunner.Run("zoo", "load", "--encoder", "efficientnet_b0", "--weights", file, "--in-chans", "1", "--size", "64", "--json");
        Assert.True(code == 0, stderr);
        CliSchemas.AssertValid("zoo-load", stdout);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var o = doc.RootElement;
            Assert.Equal(1, o.GetProperty("version").GetInt32());
            Assert.True(o.GetProperty("adapted_stem").GetBoolean());
            Assert.Equal(2, o.GetProperty("dropped_head_keys").GetArrayLength());
            Assert.Equal(0, o.GetProperty("missing_keys").GetArrayLength());
            Assert.Equal(new long[] { 1, 1280 }, o.GetProperty("output_shape").EnumerateArray().Select(v => v.GetInt64()));
        }

        (code, stdout, stderr) = CliRunner.Run("zoo", "load", "--encoder", "efficientnet_b0", "--decoder", "unet", "--encoder-only", "--weights", file,
            "--in-chans", "1", "--classes", "2", "--size", "64", "--json");
        Assert.True(code == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout))
            Assert.Equal(new long[] { 1, 2, 64, 64 }, doc.RootElement.GetProperty("output_shape").EnumerateArray().Select(v => v.GetInt64()));

        // the B0 file into B1 (more blocks): strict loading fails with exit 2, naming the missing keys and the file
        (code, _, stderr) = CliRunner.Run("zoo", "load", "--encoder", "efficientnet_b1", "--weights", file, "--size", "64");
        Assert.Equal(2, code);
        Assert.Contains("blocks.1.2.conv_pw.weight", stderr);
        Assert.Contains(file, stderr);
        (code, _, stderr) = CliRunner.Run("zoo", "load", "--encoder", "vgg16", "--weights", file);
        Assert.Equal(2, code);
        Assert.Contains("efficientnet_b0", stderr);
    }

    [Fact]
    public void BenchZoo_ThoraxRows_AndBadOptions()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "zoo", "--encoders", "resnet18", "--size", "64", "--repeats", "1", "--no-python", "--json");
        Assert.True(code == 0, stderr);
        CliSchemas.AssertValid("bench", stdout);
        using var doc = JsonDocument.Parse(stdout);
        var cases = doc.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("case").GetString()).ToList();
        Assert.Equal(new[] { "resnet18 unet train b2 64px", "resnet18 unet infer b4 64px" }, cases); // tools/bench/zoo_bench.py's case names
        Assert.Equal(2, CliRunner.Run("bench", "zoo", "--size", "100", "--no-python").Code);
        Assert.Equal(2, CliRunner.Run("bench", "zoo", "--encoders", "vgg16", "--no-python").Code);
    }
}
