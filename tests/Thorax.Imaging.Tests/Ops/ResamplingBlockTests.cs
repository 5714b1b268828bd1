using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>Integer-factor downscales other than the 2x2 fast path (4x1, 1x4, 3x2, 4x4, 2x1, 1x2 blocks) and 2x2 with
/// 1-4 channels, area and linear, against cv2.resize (tools/golden/imaging/golden_ops.py, resize_blocks): OpenCV's
/// round-half-up 2x2 path only covers 1, 3 or 4 channels; the rest rounds sum / area half to even.</summary>
public class ResamplingBlockTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/resize_blocks.json");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var input in new[] { "u8c1", "u8c2", "u8c3", "u8c4", "f32c1", "f32c2" })
            foreach (var interp in new[] { "area", "linear" }) data.Add(input, interp);
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void BlockMeans_EqualCv2(string input, string interp)
    {
        var mode = interp == "area" ? Interpolation.Area : Interpolation.Linear;
        var spec = Golden.GetProperty("inputs").GetProperty(input);
        int cases = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("input").GetString() != input || c.GetProperty("interp").GetString() != interp) continue;
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            string context = $"{interp} {input} -> {w}x{h}";
            if (input.StartsWith("u8", StringComparison.Ordinal))
                GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), Resampling.Resize(GoldenArray.U8(spec), w, h, mode), 0, context);
            else
                GoldenArray.AssertClose(GoldenArray.F32(c.GetProperty("expected")).Pixels, Resampling.Resize(GoldenArray.F32(spec), w, h, mode).Pixels, 1e-5, 1e-5, context);
            cases++;
        }
        Assert.Equal(7, cases);
    }
}
