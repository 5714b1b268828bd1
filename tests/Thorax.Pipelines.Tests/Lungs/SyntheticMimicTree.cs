using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Thorax.Data.Mimic;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using TorchSharp;

namespace Thorax.Pipelines.Tests.Lungs;

/// <summary>
/// A small MIMIC-CXR-JPG-like tree in a temp folder: <c>files/pNN/pSUBJECT/sSTUDY/DICOM.jpg</c> (synthetic chest-like
/// JPEGs), <c>mimic-cxr-2.0.0-metadata.csv.gz</c> and <c>mimic-cxr-2.0.0-chexpert.csv</c>. Per subject: one study
/// with a PA and a LATERAL image; every third subject a second study with an AP image. Extras: an "AP AXIAL" image
/// (not frontal) and one AP image whose study has no CheXpert row.
/// </summary>
internal sealed class SyntheticMimicTree : IDisposable
{
    public const string MetadataHeader =
        "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning";

    public SyntheticMimicTree(int subjects, int width = 96, int height = 120, int seed = 1)
    {
        Root = Directory.CreateTempSubdirectory("thorax-mimic-").FullName;
        var meta = new StringBuilder(MetadataHeader + "\n");
        var labels = new StringBuilder("subject_id,study_id," + string.Join(",", ChexpertLabels.Names) + "\n");
        var rng = new Random(seed);
        string[] cells = ["1.0", "0.0", "-1.0", ""];
        void AddImage(long subject, long study, string view, int k)
        {
            var dicom = $"{subject:x8}-{study:x8}-{k:x4}-{view.Replace(' ', '_').ToLowerInvariant()}";
            var rel = MimicCxrPath.Build(subject, study, dicom);
            Jpeg.Write(Path.Combine(Root, rel), ChestLike(width, height, rng.Next()), 90);
            var description = view == "PA" ? "CHEST (PA AND LAT)" : "\"CHEST (PORTABLE AP), ONE VIEW\"";
            meta.Append(CultureInfo.InvariantCulture, $"{dicom},{subject},{study},{description},{view},{height},{width},21800506,213014.531,CHEST (PA AND LAT),postero-anterior,Erect\n");
            if (view is "PA" or "AP") Frontal.Add(rel);
        }
        void AddLabels(long subject, long study) =>
            labels.Append(CultureInfo.InvariantCulture, $"{subject},{study},{string.Join(",", ChexpertLabels.Names.Select(_ => cells[rng.Next(cells.Length)]))}\n");
        for (var s = 0; s < subjects; s++)
        {
            long subject = 10000032 + 7919L * s * (s % 2 == 0 ? 1 : 131); // spreads over p10.., p11.., ...
            long study = 50000000 + 1000L * s;
            AddImage(subject, study, "PA", 0);
            AddImage(subject, study, "LATERAL", 1);
            AddLabels(subject, study);
            if (s % 3 == 0)
            {
                AddImage(subject, study + 1, "AP", 2);
                AddLabels(subject, study + 1);
            }
        }
        AddImage(19999999, 59999990, "AP AXIAL", 3);
        AddLabels(19999999, 59999990);
        AddImage(19999999, 59999991, "AP", 4); // study without a CheXpert row
        UnlabelledPath = Frontal[^1];
        Frontal.RemoveAt(Frontal.Count - 1);
        Frontal.Sort(StringComparer.Ordinal);
        using (var gz = new GZipStream(File.Create(Path.Combine(Root, "mimic-cxr-2.0.0-metadata.csv.gz")), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(meta.ToString()));
        File.WriteAllText(Path.Combine(Root, "mimic-cxr-2.0.0-chexpert.csv"), labels.ToString());
    }

    /// <summary>The MIMIC root.</summary>
    public string Root { get; }

    /// <summary>Relative paths of the labelled frontal images (the expected selection), ordinal order.</summary>
    public List<string> Frontal { get; } = [];

    /// <summary>Relative path of the frontal image whose study has no labels.</summary>
    public string UnlabelledPath { get; }

    /// <summary>A grey chest-like picture: bright body, two darker lung fields, mild noise.</summary>
    public static Image<byte> ChestLike(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<byte>(w, h);
        var px = img.Pixels;
        double cx = w / 2.0, cy = h / 2.0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var body = Math.Pow((x - cx) / (0.48 * w), 2) + Math.Pow((y - cy) / (0.5 * h), 2) < 1 ? 170.0 : 20.0;
                var lx = Math.Pow((x - 0.3 * w) / (0.14 * w), 2) + Math.Pow((y - 0.45 * h) / (0.3 * h), 2);
                var rx = Math.Pow((x - 0.7 * w) / (0.14 * w), 2) + Math.Pow((y - 0.45 * h) / (0.3 * h), 2);
                var v = lx < 1 || rx < 1 ? 60.0 : body;
                px[y * w + x] = (byte)Math.Clamp(v + rng.Next(-12, 13), 0, 255);
            }
        }
        return img;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }

    /// <summary>Writes an untrained U-Net run folder (config.json + model.safetensors) with a fixed seed.</summary>
    public static string UntrainedModel(int size, int baseChannels, string arch = "unet")
    {
        var dir = Directory.CreateTempSubdirectory("thorax-lungmodel-").FullName;
        torch.manual_seed(7);
        using var net = SegmentationModels.Create(arch, 1, 1, baseChannels);
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), net.state_dict());
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new { model = arch, base_channels = baseChannels, size }));
        return dir;
    }
}
