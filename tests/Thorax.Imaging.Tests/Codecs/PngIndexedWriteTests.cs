using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

/// <summary>Palette PNG writing (<see cref="Png.EncodeIndexed"/>): smallest bit depth for the palette, rows packed
/// most significant bits first, PLTE and tRNS chunks; read back through the decoder that is checked against Pillow on
/// palette files of every bit depth (PngTests).</summary>
public sealed class PngIndexedWriteTests
{
    private static (Image<byte> Indices, byte[] Palette) Random(int width, int height, int entries, int seed)
    {
        var rng = new Random(seed);
        var indices = new Image<byte>(width, height);
        for (int i = 0; i < indices.Data.Length; i++) indices.Data[i] = (byte)rng.Next(entries);
        var palette = new byte[entries * 3];
        rng.NextBytes(palette);
        return (indices, palette);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 4)]
    [InlineData(16, 4)]
    [InlineData(17, 8)]
    [InlineData(256, 8)]
    public void RoundTrip_ExpandsToPaletteColours_AtTheSmallestDepth(int entries, int depth)
    {
        foreach (int width in new[] { 1, 2, 3, 5, 7, 8, 9, 13, 33 })
        {
            var (indices, palette) = Random(width, 6, entries, seed: entries * 100 + width);
            var png = Png.Decode(Png.EncodeIndexed(indices, palette));
            Assert.Equal(PngColorType.Palette, png.Header.ColorType);
            Assert.Equal(depth, png.Header.BitDepth);
            var rgb = png.AsByte();
            Assert.Equal(3, rgb.Channels);
            for (int i = 0; i < indices.Data.Length; i++)
                for (int c = 0; c < 3; c++)
                    Assert.True(palette[indices.Data[i] * 3 + c] == rgb.Data[i * 3 + c], $"width {width}, pixel {i}, channel {c}");
        }
    }

    [Fact]
    public void Alpha_WritesTrns_EntriesBeyondItAreOpaque()
    {
        var (indices, palette) = Random(11, 5, 6, seed: 7);
        byte[] alpha = [0, 128, 255, 17];
        var rgba = Png.Decode(Png.EncodeIndexed(indices, palette, alpha)).AsByte();
        Assert.Equal(4, rgba.Channels);
        for (int i = 0; i < indices.Data.Length; i++)
        {
            int k = indices.Data[i];
            Assert.Equal(palette[k * 3], rgba.Data[i * 4]);
            Assert.Equal(k < alpha.Length ? alpha[k] : 255, rgba.Data[i * 4 + 3]);
        }
    }

    [Theory]
    [InlineData(PngFilterStrategy.None)]
    [InlineData(PngFilterStrategy.Sub)]
    [InlineData(PngFilterStrategy.Up)]
    [InlineData(PngFilterStrategy.Average)]
    [InlineData(PngFilterStrategy.Paeth)]
    [InlineData(PngFilterStrategy.Adaptive)]
    public void EveryFilter_RoundTripsPackedRows(PngFilterStrategy filter)
    {
        var (indices, palette) = Random(29, 9, 4, seed: 3); // 2-bit rows of 8 bytes
        var back = Png.Decode(Png.EncodeIndexed(indices, palette, default, new PngEncodeOptions { Filter = filter })).AsByte();
        for (int i = 0; i < indices.Data.Length; i++) Assert.Equal(palette[indices.Data[i] * 3 + 1], back.Data[i * 3 + 1]);
    }

    [Fact]
    public void WriteIndexed_WritesTheSameBytesAtomically()
    {
        var (indices, palette) = Random(10, 10, 3, seed: 1);
        var dir = Directory.CreateTempSubdirectory("thorax-png-indexed-").FullName;
        try
        {
            var path = Path.Combine(dir, "labels.png");
            Png.WriteIndexed(path, indices, palette);
            Assert.Equal(Png.EncodeIndexed(indices, palette), File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void BadInput_IsAnArgumentExceptionSayingWhat()
    {
        var (indices, palette) = Random(4, 3, 3, seed: 2);
        Assert.Contains("one index per pixel", Assert.Throws<ArgumentException>(() => Png.EncodeIndexed(new Image<byte>(2, 2, 3), palette)).Message);
        Assert.Contains("RGB triples", Assert.Throws<ArgumentException>(() => Png.EncodeIndexed(indices, new byte[4])).Message);
        Assert.Contains("RGB triples", Assert.Throws<ArgumentException>(() => Png.EncodeIndexed(indices, Array.Empty<byte>())).Message);
        Assert.Contains("RGB triples", Assert.Throws<ArgumentException>(() => Png.EncodeIndexed(indices, new byte[771])).Message);
        Assert.Contains("4 alpha values", Assert.Throws<ArgumentException>(() => Png.EncodeIndexed(indices, palette, new byte[4])).Message);
        indices.Data[2 * 4 + 1] = 3;
        var e = Assert.Throws<ArgumentException>(() => Png.EncodeIndexed(indices, palette));
        Assert.Contains("Pixel (1, 2) has index 3", e.Message);
    }
}
