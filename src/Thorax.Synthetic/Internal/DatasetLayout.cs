using System.Globalization;
using System.Text;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Synthetic.Internal;

/// <summary>Paths of a synthetic dataset and the per-study file writer.</summary>
internal sealed class DatasetLayout(string root, SynthOptions options)
{
    public string Root { get; } = root;
    public string Images => Path.Combine(Root, "images");
    public string Images16 => Path.Combine(Root, "images16");
    public string LungMasks => Path.Combine(Root, "masks", "lungs");
    public string HeartMasks => Path.Combine(Root, "masks", "heart");
    public string PtxMasks => Path.Combine(Root, "masks", "pneumothorax");
    public string EvidenceMasks => Path.Combine(Root, "masks", "evidence");
    public string ChestTubeMasks => Path.Combine(Root, "masks", "chest-tube");
    public string Siim => Path.Combine(Root, "siim");
    public string MontgomeryImages => Path.Combine(Root, "montgomery", "CXR_png");
    public string MontgomeryLeft => Path.Combine(Root, "montgomery", "ManualMask", "leftMask");
    public string MontgomeryRight => Path.Combine(Root, "montgomery", "ManualMask", "rightMask");
    public string Egd => Path.Combine(Root, "egd-cxr");
    public string Reflacx => Path.Combine(Root, "reflacx");
    public string ReflacxCases => Path.Combine(Root, "reflacx", "main_data");
    public string Candid => Path.Combine(Root, "candid-ptx");
    public string Splits => Path.Combine(Root, "splits");
    public string Mimic => Path.Combine(Root, "mimic-cxr");

    private static byte[] Png8(byte[] pixels, int w, int h) => Png.Encode(new Image<byte>(w, h, 1, pixels), PngEncodeOptions.Fast);

    private static byte[] Png16(ushort[] pixels, int w, int h) => Png.Encode(new Image<ushort>(w, h, 1, pixels), PngEncodeOptions.Fast);

    public void CreateFolders()
    {
        foreach (var d in new[] { Images, LungMasks, HeartMasks, PtxMasks, ChestTubeMasks, Siim, MontgomeryImages, MontgomeryLeft, MontgomeryRight, Splits })
            Directory.CreateDirectory(d);
        if (options.Write16BitPng) Directory.CreateDirectory(Images16);
        if (options.BackgroundDirectory is not null) Directory.CreateDirectory(EvidenceMasks);
        if (options.WriteGaze) { Directory.CreateDirectory(Egd); Directory.CreateDirectory(ReflacxCases); }
        if (options.WriteReports) Directory.CreateDirectory(Candid);
    }

    /// <summary>Writes the per-study files; returns how many. <paramref name="scratch"/> (optional) provides the
    /// buffer for the union lung mask.</summary>
    public int WriteStudy(SyntheticStudy st, StudyRecord rec, StudyBuffers? scratch = null)
    {
        string name = st.Id + ".png";
        int w = st.Width, h = st.Height, files = 0;
        var img = Png8(st.Image8, w, h);
        File.WriteAllBytes(Path.Combine(Images, name), img);
        File.WriteAllBytes(Path.Combine(MontgomeryImages, name), img);
        files += 2;
        if (options.Write16BitPng) { File.WriteAllBytes(Path.Combine(Images16, name), Png16(st.Image12, w, h)); files++; }
        File.WriteAllBytes(Path.Combine(LungMasks, name), Png8(scratch is null ? st.LungMask() : st.LungMask(scratch.Lungs), w, h));
        File.WriteAllBytes(Path.Combine(HeartMasks, name), Png8(st.HeartMask, w, h));
        File.WriteAllBytes(Path.Combine(PtxMasks, name), Png8(st.PneumothoraxMask, w, h));
        File.WriteAllBytes(Path.Combine(ChestTubeMasks, name), Png8(st.ChestTubeMask, w, h));
        if (st.EvidenceMask is { } evidence) { File.WriteAllBytes(Path.Combine(EvidenceMasks, name), Png8(evidence, w, h)); files++; }
        File.WriteAllBytes(Path.Combine(MontgomeryLeft, name), Png8(st.LeftLungMask, w, h));
        File.WriteAllBytes(Path.Combine(MontgomeryRight, name), Png8(st.RightLungMask, w, h));
        files += 6;
        if (st.Encoding != StudyEncoding.None)
        {
            string dcm = Path.Combine(Mimic, rec.MimicPath.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(dcm)!);
            files += DicomExport.Write(st, dcm, options.JpegQuality);
        }
        if (options.WriteGaze)
        {
            string dir = Path.Combine(ReflacxCases, rec.ReflacxId);
            Directory.CreateDirectory(dir);
            Csv.Write(Path.Combine(dir, "fixations.csv"), ReflacxFixations(st));
            files++;
            if (options.WriteReports)
            {
                // REFLACX keeps the dictated report of each case as plain text next to its fixations.
                File.WriteAllText(Path.Combine(dir, "transcription.txt"), st.Report + "\n", new UTF8Encoding(false));
                files++;
            }
        }
        return files;
    }

    /// <summary>Screen pixels per degree of visual angle assumed for the reading station (about 60 cm from a
    /// 1920x1080 display); converted to image pixels for REFLACX's angular_resolution columns.</summary>
    public const double ScreenPixelsPerDegree = 43.0;

    private static StringBuilder ReflacxFixations(SyntheticStudy st)
    {
        var sb = new StringBuilder();
        Csv.Line(sb, "timestamp_start_fixation", "timestamp_end_fixation", "average_x_position", "average_y_position",
            "angular_resolution_x_pixels_per_degree", "angular_resolution_y_pixels_per_degree",
            "xmin_shown_from_image", "ymin_shown_from_image", "xmax_shown_from_image", "ymax_shown_from_image");
        double ppd = ScreenPixelsPerDegree * st.Height / 1080.0;
        string res = Csv.F(ppd, "0.###");
        foreach (var f in st.Fixations)
            Csv.Line(sb, Csv.F(f.StartSeconds, "0.####"), Csv.F(f.StartSeconds + f.DurationSeconds, "0.####"),
                Csv.F(f.X, "0.##"), Csv.F(f.Y, "0.##"), res, res, "0", "0",
                st.Width.ToString(CultureInfo.InvariantCulture), st.Height.ToString(CultureInfo.InvariantCulture));
        return sb;
    }
}
