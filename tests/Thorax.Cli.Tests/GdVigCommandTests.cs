using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.GdVig;
using Thorax.Models.Weights;

namespace Thorax.Cli.Tests;

public sealed class GdVigCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-gdvig-cli-" + Guid.NewGuid().ToString("N"));

    public GdVigCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Predict_Json_Maps_AndBadInputs()
    {
        var weights = Path.Combine(_dir, "egd.safetensors");
        using (var net = GdVigModel.Create(GdVigVariant.EgdCxr)) SafeTensors.Save(weights, net.state_dict());
        var a = Path.Combine(_dir, "a.png");
        var img = new Image<byte>(256, 240);
        for (var i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i * 7 % 251);
        Png.Write(a, img);
        var maps = Path.Combine(_dir, "maps");

        var (code, stdout, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", "egdcxr", a, "--json", "--maps", maps);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout.Trim());
        var o = doc.RootElement;
        Assert.Equal(a, o.GetProperty("file").GetString());
        Assert.Equal(3, o.GetProperty("logits").GetArrayLength());
        Assert.Equal(1.0, o.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble()), 5);
        Assert.InRange(o.GetProperty("predicted_class").GetInt32(), 0, 2);
        foreach (var f in new[] { "a.npy", "a_gaze.png", "a_overlay.png" }) Assert.True(File.Exists(Path.Combine(maps, f)), f);

        // a colour image fails with its name, the others still run; exit code 2
        var rgb = Path.Combine(_dir, "rgb.png");
        Png.Write(rgb, new Image<byte>(64, 64, 3));
        (code, stdout, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", "egdcxr", rgb, a);
        Assert.Equal(2, code);
        Assert.Contains(rgb, stderr);
        Assert.Contains("a.png: class", stdout);

        // weights of the other variant: exit 2, naming the file and the variant to use
        (code, _, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", "siim", a);
        Assert.Equal(2, code);
        Assert.Contains(weights, stderr);
        Assert.Contains("--variant egdcxr", stderr);
    }
}
