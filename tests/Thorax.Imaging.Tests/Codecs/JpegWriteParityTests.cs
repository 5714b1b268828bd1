using System.Security.Cryptography;
using System.Text.Json;
using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

/// <summary>
/// JPEG write parity with PIL: for the same pixels, quality and subsampling, <see cref="Jpeg.Encode"/> must produce
/// the very bytes PIL's <c>Image.save(..., "JPEG", quality=q, subsampling=s)</c> writes (goldens from
/// tools/golden/imaging/golden_codecs.py, jpeg_write.json). Both sides run libjpeg-turbo with the same settings
/// (ISLOW forward DCT, IJG tables scaled by quality with force_baseline, standard Huffman tables, default JFIF APP0,
/// no restart markers, sequential baseline), so the whole stream, headers included, is identical.
/// </summary>
public class JpegWriteParityTests
{
    private static JsonElement Doc => TestData.GoldenJson("codecs/jpeg_write.json");

    public static TheoryData<string> GeneratedCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Doc.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("file").GetString()!);
        return data;
    }

    private static int? OptInt(JsonElement c, string name) =>
        c.GetProperty(name).ValueKind == JsonValueKind.Null ? null : c.GetProperty(name).GetInt32();

    /// <summary>Encodes with explicit arguments, or with Encode's own defaults where PIL used its defaults.</summary>
    private static byte[] EncodeLike(Image<byte> img, int? quality, int? subsampling) => (quality, subsampling) switch
    {
        (null, null) => Jpeg.Encode(img),
        (int q, null) => Jpeg.Encode(img, q),
        (null, int s) => Jpeg.Encode(img, subsampling: (JpegSubsampling)s),
        (int q, int s) => Jpeg.Encode(img, q, (JpegSubsampling)s),
    };

    [Theory]
    [MemberData(nameof(GeneratedCases))]
    public void Encode_GeneratedInput_EqualsPilBytes(string file)
    {
        var c = Doc.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("file").GetString() == file);
        int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
        int ch = c.GetProperty("channels").GetInt32();
        var img = new Image<byte>(w, h, ch, File.ReadAllBytes(TestData.Golden("codecs/" + c.GetProperty("source").GetString())));
        byte[] expected = File.ReadAllBytes(TestData.Golden("codecs/" + file));
        Assert.Equal(c.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(expected)));

        byte[] ours = EncodeLike(img, OptInt(c, "quality"), OptInt(c, "subsampling"));

        AssertSameJpeg(expected, ours);
        // Consequently the decoded pixels agree too (and with PIL's decode of its own file).
        Assert.Equal(c.GetProperty("decoded_sha256").GetString(), TestData.Sha256<byte>(Jpeg.Decode(ours).Pixels));
    }

    [Fact]
    public void Encode_WriteToFile_EqualsPilBytes()
    {
        var c = Doc.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("file").GetString() == "jpegw_rgb_61x37_q90_s1.jpg");
        var img = new Image<byte>(61, 37, 3, File.ReadAllBytes(TestData.Golden("codecs/" + c.GetProperty("source").GetString())));
        string path = Path.Combine(Path.GetTempPath(), $"thorax-jpegw-{Guid.NewGuid():N}.jpg");
        try
        {
            Jpeg.Write(path, img, 90, JpegSubsampling.S422);
            AssertSameJpeg(File.ReadAllBytes(TestData.Golden("codecs/jpegw_rgb_61x37_q90_s1.jpg")), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The first PNG under ../shared/data/lungs (never committed): its PIL-decoded pixels encoded by PIL and by us
    /// must give the same bytes; only the sha256 and length of PIL's bytes are stored in the golden.
    /// </summary>
    [SkippableFact]
    public void Encode_RealLungPng_EqualsPilBytes()
    {
        string? shared = TestData.SharedData;
        Skip.If(shared is null, "../shared/data not found; real-image JPEG write parity test skipped.");
        var real = Doc.GetProperty("real");
        Skip.If(real.GetArrayLength() == 0, "jpeg_write.json lists no real image (golden made without ../shared/data).");
        int checkedCases = 0;
        foreach (var c in real.EnumerateArray())
        {
            string path = Path.Combine(shared!, c.GetProperty("path").GetString()!);
            if (!File.Exists(path)) continue;
            Assert.Equal("L", c.GetProperty("source_mode").GetString());
            var grey = Png.Read(path).AsByte();
            Assert.Equal(1, grey.Channels);
            Assert.Equal(c.GetProperty("width").GetInt32(), grey.Width);
            Assert.Equal(c.GetProperty("height").GetInt32(), grey.Height);
            var img = c.GetProperty("mode").GetString() switch
            {
                "L" => grey,
                "RGB" => ToRgb(grey), // PIL's convert("RGB") of an L image replicates the sample
                var m => throw new InvalidOperationException("unexpected mode " + m),
            };
            byte[] ours = EncodeLike(img, OptInt(c, "quality"), OptInt(c, "subsampling"));
            Assert.Equal(c.GetProperty("length").GetInt32(), ours.Length);
            Assert.Equal(c.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(ours)));
            checkedCases++;
        }
        Skip.If(checkedCases == 0, "the real PNG listed in jpeg_write.json is absent under ../shared/data.");
    }

    [Fact]
    public void Encode_IsDeterministic()
    {
        var img = new Image<byte>(61, 37, 3, File.ReadAllBytes(TestData.Golden("codecs/jpegw_src_rgb_61x37.bin")));
        Assert.Equal(Jpeg.Encode(img, 85), Jpeg.Encode(img, 85));
    }

    private static Image<byte> ToRgb(Image<byte> grey)
    {
        var rgb = new Image<byte>(grey.Width, grey.Height, 3);
        for (int i = 0; i < grey.Data.Length; i++)
            rgb.Data[3 * i] = rgb.Data[3 * i + 1] = rgb.Data[3 * i + 2] = grey.Data[i];
        return rgb;
    }

    /// <summary>Byte equality, with a message naming the marker segment that holds the first difference.</summary>
    private static void AssertSameJpeg(byte[] expected, byte[] actual)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        int n = Math.Min(expected.Length, actual.Length), i = 0;
        while (i < n && expected[i] == actual[i]) i++;
        Assert.Fail($"JPEG bytes differ from PIL's at offset {i} (in {SegmentAt(expected, i)}); lengths {expected.Length} (PIL) vs {actual.Length} (ours).");
    }

    private static string SegmentAt(byte[] jpeg, int offset)
    {
        int p = 2; // after SOI
        while (p + 4 <= jpeg.Length && jpeg[p] == 0xFF)
        {
            byte marker = jpeg[p + 1];
            int len = (jpeg[p + 2] << 8) | jpeg[p + 3];
            int end = p + 2 + len;
            if (marker == 0xDA) return offset < end ? "SOS header" : "entropy-coded data";
            if (offset < end) return $"marker 0xFF{marker:X2} segment at {p}";
            p = end;
        }
        return offset < 2 ? "SOI" : "unparsed data";
    }
}
