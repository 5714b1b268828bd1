using Thorax.Data.Gaze;

namespace Thorax.Data.Tests.Gaze;

public class GazeMapsTests
{
    [Fact]
    public void EgdCxr_GoldenPoints_MatchScipyAndMinMax()
    {
        using var doc = TestData.Golden("gaussian_filter.json");
        var g = doc.RootElement.GetProperty("egdcxr");
        var pts = g.GetProperty("points").EnumerateArray()
            .Select(p => new GazePoint(p[0].GetInt32(), p[1].GetInt32())).ToList();
        var map = GazeMaps.EgdCxr(pts, g.GetProperty("width").GetInt32(), g.GetProperty("height").GetInt32(), g.GetProperty("sigma").GetDouble());
        Assert.Equal((25, 0), (map.PointsUsed, map.PointsSkipped));
        GaussianFilterTests.AssertClose(TestData.Floats(g.GetProperty("output")), map.Data, 1e-4, 1e-5);
        Assert.Equal(1f, map.Data.Max());
        Assert.Equal(0f, map.Data.Min());
    }

    [Fact]
    public void Reflacx_GoldenFixations_MatchDurationWeightedPdfSum()
    {
        using var doc = TestData.Golden("gaussian_filter.json");
        var g = doc.RootElement.GetProperty("reflacx");
        var fx = g.GetProperty("fixations").EnumerateArray().Select(f =>
        {
            var rect = f.GetProperty("rect");
            return new ReflacxFixation(f.GetProperty("start").GetDouble(), f.GetProperty("end").GetDouble(),
                f.GetProperty("x").GetDouble(), f.GetProperty("y").GetDouble(),
                f.GetProperty("ppd_x").GetDouble(), f.GetProperty("ppd_y").GetDouble(),
                rect[0].GetDouble(), rect[1].GetDouble(), rect[2].GetDouble(), rect[3].GetDouble());
        }).ToList();
        var map = GazeMaps.Reflacx(fx, g.GetProperty("width").GetInt32(), g.GetProperty("height").GetInt32());
        GaussianFilterTests.AssertClose(TestData.Floats(g.GetProperty("output")), map.Data, 1e-4, 1e-6);
        Assert.Equal(1.0, map.Data.Sum(v => (double)v), 4);
    }

    [Fact]
    public void EgdCxr_PointsOutsideImage_CountedSkipOrThrow()
    {
        var pts = new[] { new GazePoint(5, 5), new GazePoint(-1, -1), new GazePoint(10, 3), new GazePoint(3, 10) };
        var map = GazeMaps.EgdCxr(pts, 10, 10, sigma: 1);
        Assert.Equal((1, 3), (map.PointsUsed, map.PointsSkipped));
        var e = Assert.Throws<DataFormatException>(() => GazeMaps.EgdCxr(pts, 10, 10, 1, policy: OutOfImagePolicy.Throw));
        Assert.Contains("#2", e.Message);
    }

    [Fact]
    public void Reflacx_CentreOutsideImage_CountedSkip()
    {
        var fx = new[] { new ReflacxFixation(0, 1, 50, 50, 5, 5), new ReflacxFixation(1, 2, 4, 4, 2, 2) };
        var map = GazeMaps.Reflacx(fx, 10, 10, GazeMapNormalization.Max);
        Assert.Equal((1, 1), (map.PointsUsed, map.PointsSkipped));
        Assert.Equal(1f, map[4, 4]);
    }

    [Fact]
    public void Normalize_ConstantOrZeroMaps_NoNaN()
    {
        var a = new float[] { 2, 2, 2 };
        GazeMaps.Normalize(a, GazeMapNormalization.MinMax);
        Assert.All(a, v => Assert.Equal(0f, v));
        var z = new float[3];
        GazeMaps.Normalize(z, GazeMapNormalization.Sum);
        Assert.All(z, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Resample_GoldenCases_MatchOpenCv()
    {
        using var doc = TestData.Golden("resample.json");
        var r = doc.RootElement;
        var x = TestData.Floats(r.GetProperty("input"));
        int w = r.GetProperty("width").GetInt32(), h = r.GetProperty("height").GetInt32();
        foreach (var c in r.GetProperty("cases").EnumerateArray())
        {
            var mode = c.GetProperty("mode").GetString() == "area" ? ResampleMode.Area : ResampleMode.Bilinear;
            var y = Resample.Apply(x, w, h, c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32(), mode);
            GaussianFilterTests.AssertClose(TestData.Floats(c.GetProperty("output")), y, 1e-4, 1e-5);
        }
    }

    [Fact]
    public void ScreenToImage_PaddedDisplay_MapsAndRejectsPadding()
    {
        // 2000x1000 image shown 1920 wide? Use pads: left/right 100 px, top/bottom 40 px.
        var pad = new EgdCxrPadding(40, 40, 100, 100);
        var p = pad.ScreenToImage(0.5, 0.5, 1720, 1000);
        Assert.Equal((860, 500), p!.Value);
        Assert.Null(pad.ScreenToImage(0.02, 0.5, 1720, 1000));
        Assert.Null(pad.ScreenToImage(0.5, 0.99, 1720, 1000));
    }

    [Fact]
    public void Readers_SyntheticFiles_ParseColumnsAndReportBadValues()
    {
        using var dir = new TempDir();
        string id = new string('a', 44);
        File.WriteAllText(dir.File("fixations.csv"),
            $"DICOM_ID,SESSION_ID,Time (in secs),FPOGX,FPOGY,FPOGD,X_ORIGINAL,Y_ORIGINAL\n{id},1,0.5,0.5,0.5,0.2,100,200\n{id[..39]},1,0.7,0.5,0.5,0.1,-1,-1\n");
        var rows = EgdCxrGaze.Read(dir.File("fixations.csv"));
        Assert.Equal(2, rows.Count);
        Assert.False(rows[0].IsCalibration);
        Assert.True(rows[1].IsCalibration);
        Assert.Equal(new GazePoint(100, 200, 0.5, 0.2), rows[0].ToImagePoint());

        File.WriteAllText(dir.File("master_sheet.csv"),
            $"dicom_id,path,patient_id,study_id,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia\n{id},files/p10/p10000032/s50414267/{id}.dcm,10000032,50414267,0,0,316,316,0,1,0\n");
        var m = Assert.Single(EgdCxrGaze.ReadMasterSheet(dir.File("master_sheet.csv")));
        Assert.Equal(("CHF", 316.0), (m.Label, m.Padding.Left));

        File.WriteAllText(dir.File("reflacx.csv"),
            "timestamp_start_fixation,timestamp_end_fixation,x_position,y_position,angular_resolution_x_pixels_per_degree,angular_resolution_y_pixels_per_degree\n1.0,1.5,10,20,40,41\n2.0,oops,10,20,40,41\n");
        var e = Assert.Throws<DataFormatException>(() => ReflacxGaze.ReadFixations(dir.File("reflacx.csv")));
        Assert.Equal((3L, "timestamp_end_fixation"), (e.Line!.Value, e.Column));

        File.WriteAllText(dir.File("siim_gaze.csv"), "image_id,x,y,t\nimg,0.25,0.5,0.1\nimg,1.2,0.5,0.2\n");
        var se = Assert.Throws<DataFormatException>(() => SiimGazePoint.Read(dir.File("siim_gaze.csv")));
        Assert.Equal((3L, "x"), (se.Line!.Value, se.Column));
    }

    [Fact]
    public void GazeMap_Resize_AreaPreservesMean()
    {
        var map = GazeMaps.EgdCxr([new GazePoint(20, 30)], 64, 48, sigma: 5, GazeMapNormalization.None);
        var small = map.Resize(16, 12);
        Assert.Equal(map.Data.Average(), small.Data.Average(), 5);
    }
}
