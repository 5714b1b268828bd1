using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.GdVig;
using Thorax.Models.Weights;
using Thorax.Pipelines.GdVig;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Tests.GdVig;

public sealed class GdVigPredictorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-gdvig-" + Guid.NewGuid().ToString("N"));

    public GdVigPredictorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string GoldenFile(string name)
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !Directory.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "gdvig"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new DirectoryNotFoundException("tests/data/golden/gdvig"), "tests", "data", "golden", "gdvig", name);
    }

    private static Image<byte> Gradient(int w, int h)
    {
        var img = new Image<byte>(w, h);
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
            img[x, y] = (byte)((x * 255 / (w - 1) + y * 3) % 256);
        return img;
    }

    [Fact]
    public void Preprocess_IsTheAuthorsTestTransform()
    {
        // Normalize(mean .456, std .224, max 255) then the reference's extra /255: ((p/255 - .456)/.224)/255
        var img = new Image<byte>(224, 224);
        for (var i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i % 256);
        var (x, resized) = GdVigPredictor.Preprocess(img);
        Assert.Equal(new long[] { 1, 1, 224, 224 }, x.shape);
        Assert.Equal(img.Pixels.ToArray(), resized.Pixels.ToArray());
        var v = x.data<float>().ToArray();
        for (var i = 0; i < 256; i++)
        {
            var expected = (i / 255.0 - 0.456) / 0.224 / 255.0;
            Assert.True(Math.Abs(v[i] - expected) <= 1e-6 * Math.Abs(expected) + 1e-9, $"pixel {i}: {v[i]} vs {expected}");
        }
        // other sizes are resized to 224x224 (cv2 INTER_LINEAR semantics of Thorax.Imaging's Resampling)
        var (y, r2) = GdVigPredictor.Preprocess(Gradient(300, 260));
        Assert.Equal(new long[] { 1, 1, 224, 224 }, y.shape);
        Assert.Equal((224, 224), (r2.Width, r2.Height));
    }

    [Fact]
    public void Predict_OnAStrictlyLoadedCheckpoint_WritesJsonFieldsAndMaps()
    {
        var weights = Path.Combine(_dir, "egdcxr.safetensors");
        using (var net = GdVigModel.Create(GdVigVariant.EgdCxr)) SafeTensors.Save(weights, net.state_dict());
        var png = Path.Combine(_dir, "study-1.png");
        Png.Write(png, Gradient(300, 260));

        using var predictor = GdVigPredictor.Load(weights, GdVigVariant.EgdCxr);
        var p = predictor.Predict(png);
        Assert.Equal(3, p.Logits.Length);
        Assert.Equal(1.0, p.Probabilities.Sum(), 5);
        Assert.Equal(Array.IndexOf(p.Logits, p.Logits.Max()), p.PredictedClass);
        Assert.Equal(224 * 224, p.GazeMap.Length);
        Assert.True(p.GazeMap.All(v => float.IsFinite(v) && v >= 0));

        // the same numbers as the model on the preprocessed tensor
        var (x, _) = GdVigPredictor.Preprocess(GdVigPredictor.ReadGrey8(png));
        using (no_grad())
        {
            var (logits, gaze) = predictor.Model.Predict(x);
            Assert.Equal(logits[0].data<float>().ToArray(), p.Logits);
            Assert.Equal(gaze.flatten().data<float>().ToArray(), p.GazeMap);
        }

        var maps = Path.Combine(_dir, "maps");
        GdVigPredictor.WriteMaps(p, maps);
        var (values, rows, cols) = Npy.ReadFloat32(Path.Combine(maps, "study-1.npy"));
        Assert.Equal((224, 224), (rows, cols));
        Assert.Equal(p.GazeMap, values);
        Assert.Equal(0, (new FileInfo(Path.Combine(maps, "study-1.npy")).Length - p.GazeMap.Length * 4) % 64);
        var gazePng = Png.Read(Path.Combine(maps, "study-1_gaze.png")).AsByte();
        Assert.Equal((224, 224, 1), (gazePng.Width, gazePng.Height, gazePng.Channels));
        if (p.GazeMap.Max() > p.GazeMap.Min())
        {
            Assert.Equal(255, gazePng.Pixels.ToArray().Max());
            Assert.Equal(0, gazePng.Pixels.ToArray().Min());
        }
        var overlay = Png.Read(Path.Combine(maps, "study-1_overlay.png")).AsByte();
        Assert.Equal(3, overlay.Channels);
    }

    [Fact]
    public void ColourImage_IsRejected_NamingTheFile()
    {
        var rgb = new Image<byte>(32, 32, 3);
        var path = Path.Combine(_dir, "colour.png");
        Png.Write(path, rgb);
        var e = Assert.Throws<ImageFormatException>(() => GdVigPredictor.ReadGrey8(path));
        Assert.Contains("single-channel", e.Message);
        Assert.Contains(path, e.ToString());
    }

    [Fact]
    public void OtherVariantsWeights_SayWhichVariantTheyAre()
    {
        var siim = GoldenFile("gdvig_siim_checkpoint.pth"); // the authors' SIIM keys and shapes (tiny values)
        var e = Assert.Throws<StateDictException>(() => GdVigPredictor.Load(siim, GdVigVariant.EgdCxr));
        Assert.Contains(siim, e.Message);
        Assert.Contains("--variant siim", e.Message);
        Assert.Contains("vig.pred2.3.weight", e.Message);
        using var ok = GdVigPredictor.Load(siim, GdVigVariant.SiimAcr); // and loads strictly as what it is
        Assert.Equal(GdVigVariant.SiimAcr, ok.Variant);
    }
    [Fact]
    public void GreyJpegAndEightBitDicom_AreReadAsTheirPixels()
    {
        // The three input kinds of `gdvig predict`: an 8-bit grey JPEG is its decoded pixels; an 8-bit MONOCHROME2 DICOM
        // (full 0..255 range, no window) gives exactly the stored values, so it predicts what the same PNG predicts.
        var img = Gradient(96, 80);
        var jpg = Path.Combine(_dir, "grey.jpg");
        File.WriteAllBytes(jpg, Jpeg.Encode(img, 95));
        var fromJpeg = GdVigPredictor.ReadGrey8(jpg);
        Assert.Equal((96, 80, 1), (fromJpeg.Width, fromJpeg.Height, fromJpeg.Channels));
        Assert.Equal(Jpeg.Read(jpg).Pixels.ToArray(), fromJpeg.Pixels.ToArray());
        Assert.True(fromJpeg.Pixels.ToArray().Zip(img.Pixels.ToArray(), (a, b) => Math.Abs(a - b)).Average() < 3, "a quality-95 JPEG stays near its source");

        var full = new Image<byte>(64, 48);
        for (var i = 0; i < full.Pixels.Length; i++) full.Pixels[i] = (byte)(i * 37 % 256);
        full.Pixels[0] = 0;
        full.Pixels[1] = 255;
        var ds = new Thorax.Dicom.DicomDataset()
            .AddOrUpdate(Thorax.Dicom.DicomTag.SOPClassUID, Thorax.Dicom.DicomVR.UI, "1.2.840.10008.5.1.4.1.1.1.1")
            .AddOrUpdate(Thorax.Dicom.DicomTag.SOPInstanceUID, Thorax.Dicom.DicomVR.UI, "1.2.3.4.5")
            .AddOrUpdate(Thorax.Dicom.DicomTag.SamplesPerPixel, Thorax.Dicom.DicomVR.US, 1)
            .AddOrUpdate(Thorax.Dicom.DicomTag.PhotometricInterpretation, Thorax.Dicom.DicomVR.CS, "MONOCHROME2")
            .AddOrUpdate(Thorax.Dicom.DicomTag.Rows, Thorax.Dicom.DicomVR.US, 48)
            .AddOrUpdate(Thorax.Dicom.DicomTag.Columns, Thorax.Dicom.DicomVR.US, 64)
            .AddOrUpdate(Thorax.Dicom.DicomTag.BitsAllocated, Thorax.Dicom.DicomVR.US, 8)
            .AddOrUpdate(Thorax.Dicom.DicomTag.BitsStored, Thorax.Dicom.DicomVR.US, 8)
            .AddOrUpdate(Thorax.Dicom.DicomTag.HighBit, Thorax.Dicom.DicomVR.US, 7)
            .AddOrUpdate(Thorax.Dicom.DicomTag.PixelRepresentation, Thorax.Dicom.DicomVR.US, 0);
        ds.AddOrUpdate(new Thorax.Dicom.DicomElement(Thorax.Dicom.DicomTag.PixelData, Thorax.Dicom.DicomVR.OB, full.Pixels.ToArray()));
        var dcm = Path.Combine(_dir, "grey.dcm");
        using (var fs = File.Create(dcm))
            Thorax.Dicom.DicomWriter.Write(fs, new Thorax.Dicom.DicomDataset(), ds, Thorax.Dicom.TransferSyntax.ExplicitVRLittleEndian);
        var fromDicom = GdVigPredictor.ReadGrey8(dcm);
        Assert.Equal((64, 48, 1), (fromDicom.Width, fromDicom.Height, fromDicom.Channels));
        Assert.Equal(full.Pixels.ToArray(), fromDicom.Pixels.ToArray());
    }
}
