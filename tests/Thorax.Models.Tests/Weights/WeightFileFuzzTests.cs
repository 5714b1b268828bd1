using Thorax.Models.Weights;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// Damaged weight files (seeded byte changes and truncations of every golden) are read or refused with a
/// <see cref="WeightFileException"/> naming the file, never another exception, and leak no tensor.
/// </summary>
public sealed class WeightFileFuzzTests
{
    [Theory]
    [InlineData("net.pth")]
    [InlineData("nested.pth")]
    [InlineData("tensors.pth")]
    [InlineData("net.safetensors")]
    [InlineData("all_dtypes.safetensors")]
    public void ReadFile_DamagedGolden_ReadsOrThrowsWeightFileException(string golden)
    {
        var original = File.ReadAllBytes(WeightGolden.PathOf(golden));
        var rnd = new Random(golden.Length * 7919 + golden[0]);
        var p = WeightGolden.TempPath(Path.GetExtension(golden));
        var live = WeightGolden.LiveTensors;
        int read = 0, refused = 0;
        try
        {
            for (var i = 0; i < 600; i++)
            {
                var data = (byte[])original.Clone();
                for (var j = 1 + rnd.Next(3); j > 0; j--) data[rnd.Next(data.Length)] = (byte)rnd.Next(256);
                if (rnd.Next(4) == 0) data = data[..rnd.Next(data.Length)];
                File.WriteAllBytes(p, data);
                try
                {
                    StateDicts.ReadFile(p).DisposeAll();
                    read++;
                }
                catch (WeightFileException e)
                {
                    Assert.Equal(p, e.FilePath);
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutation {i} of {golden}: {e.GetType().Name} instead of WeightFileException: {e.Message}");
                }
            }
        }
        finally
        {
            File.Delete(p);
        }
        Assert.True(refused > 0 && read + refused == 600, $"{read} read, {refused} refused");
        Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a damaged file");
    }
}
