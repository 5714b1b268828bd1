using System.Text;
using Thorax.Imaging;
using Thorax.Models.Encoders;
using Thorax.Models.Saliency;
using Thorax.Pipelines.Saliency;
using TorchSharp;

namespace Thorax.Pipelines.Tests.Saliency;

public class SaliencyInputTests
{
    private static Image<float> Ramp(int w, int h)
    {
        var img = new Image<float>(w, h);
        var p = img.Pixels;
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++) p[y * w + x] = 1 + y * 10000 + x;   // every pixel identifies its position
        return img;
    }

    [Fact]
    public void Canvas_IsTheReferenceFormula()
    {
        Assert.Equal((3200, 2560), SaliencyInput.Canvas(10));
        Assert.Equal((3200, 2560), SaliencyInput.Canvas(5));   // (int(19.1)+1)*32*5, (int(15.9)+1)*32*5
        Assert.Equal((3072, 2560), SaliencyInput.Canvas(1));
    }

    /// <summary>The reference's result written out: out[i, j] = img[i*10 - top, j*10 - left] (0 outside), / max.</summary>
    private static void AssertPrepared(Image<float> img, int top, int left)
    {
        var r = SaliencyInput.Prepare(img, "x");
        Assert.Equal((256, 320), (r.Width, r.Height));
        var expected = new float[320 * 256];
        for (var i = 0; i < 320; i++)
            for (var j = 0; j < 256; j++)
            {
                int y = i * 10 - top, x = j * 10 - left;
                if (y >= 0 && y < img.Height && x >= 0 && x < img.Width) expected[i * 256 + j] = img.Pixels[y * img.Width + x];
            }
        var max = expected.Max();
        Assert.Equal(expected.Select(v => v / max).ToArray(), r.Pixels.ToArray());
    }

    [Fact]
    public void MimicSizedImage_IsPaddedCentrally_ThenStrided_ThenDividedByItsMaximum() =>
        // 2544 wide, 3056 high: left = int((2560-2544)/2) = 8, top = int((3200-3056)/2) = 72
        AssertPrepared(Ramp(2544, 3056), top: 72, left: 8);

    [Fact]
    public void WiderThanTheCanvas_IsCroppedByTheNegativePad_TruncatingTowardZero() =>
        // w = 2601: left = int(-41/2) = -20 (not -21); h = 3001: top = int(199/2) = 99, the odd row goes to the bottom
        AssertPrepared(Ramp(2601, 3001), top: 99, left: -20);

    [Fact]
    public void AlreadyAtTheOutputSize_IsOnlyScaled_AndBadImagesAreNamed()
    {
        var img = Ramp(256, 320);
        var r = SaliencyInput.Prepare(img, "small.png");
        Assert.Equal(img.Pixels[1000] / img.Pixels.ToArray().Max(), r.Pixels[1000]);
        var e = Assert.Throws<InvalidDataException>(() => SaliencyInput.Prepare(new Image<float>(256, 320), "black.png"));
        Assert.Contains("black.png", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SaliencyInput.Prepare(Ramp(2600, 3300), "huge.dcm"));
        Assert.Contains("huge.dcm", e.Message);
    }

    [Fact]
    public void Dicom_IsReadAsStoredValues_LikePydicomsPixelArray_NoWindowNoInversion()
    {
        // MONOCHROME1, 12 bits, a narrow window: the reference ignores all three (pixel_array, then / max).
        const int w = 256, h = 320;
        var stored = new ushort[w * h];
        for (var i = 0; i < stored.Length; i++) stored[i] = (ushort)(100 + (i * 7) % 3000);
        var pixels = new byte[stored.Length * 2];
        Buffer.BlockCopy(stored, 0, pixels, 0, pixels.Length);
        var ds = new Thorax.Dicom.DicomDataset()
            .AddOrUpdate(Thorax.Dicom.DicomTag.SOPClassUID, Thorax.Dicom.DicomVR.UI, "1.2.840.10008.5.1.4.1.1.1.1")
            .AddOrUpdate(Thorax.Dicom.DicomTag.SOPInstanceUID, Thorax.Dicom.DicomVR.UI, "1.2.3.4")
            .AddOrUpdate(Thorax.Dicom.DicomTag.SamplesPerPixel, Thorax.Dicom.DicomVR.US, 1)
            .AddOrUpdate(Thorax.Dicom.DicomTag.PhotometricInterpretation, Thorax.Dicom.DicomVR.CS, "MONOCHROME1")
            .AddOrUpdate(Thorax.Dicom.DicomTag.Rows, Thorax.Dicom.DicomVR.US, h)
            .AddOrUpdate(Thorax.Dicom.DicomTag.Columns, Thorax.Dicom.DicomVR.US, w)
            .AddOrUpdate(Thorax.Dicom.DicomTag.BitsAllocated, Thorax.Dicom.DicomVR.US, 16)
            .AddOrUpdate(Thorax.Dicom.DicomTag.BitsStored, Thorax.Dicom.DicomVR.US, 12)
            .AddOrUpdate(Thorax.Dicom.DicomTag.HighBit, Thorax.Dicom.DicomVR.US, 11)
            .AddOrUpdate(Thorax.Dicom.DicomTag.PixelRepresentation, Thorax.Dicom.DicomVR.US, 0)
            .AddOrUpdate(Thorax.Dicom.DicomTag.WindowCenter, Thorax.Dicom.DicomVR.DS, "1000")
            .AddOrUpdate(Thorax.Dicom.DicomTag.WindowWidth, Thorax.Dicom.DicomVR.DS, "200");
        ds.AddOrUpdate(new Thorax.Dicom.DicomElement(Thorax.Dicom.DicomTag.PixelData, Thorax.Dicom.DicomVR.OW, pixels));
        var path = Path.Combine(Path.GetTempPath(), $"thorax-sal-{Guid.NewGuid():N}.dcm");
        try
        {
            using (var fs = File.Create(path))
                Thorax.Dicom.DicomWriter.Write(fs, new Thorax.Dicom.DicomDataset(), ds, Thorax.Dicom.TransferSyntax.ExplicitVRLittleEndian);
            var prepared = SaliencyInput.Prepare(XrayImage.ReadUnit(path, SaliencyPredictor.DicomReading), path);
            var max = stored.Max();
            var expected = stored.Select(v => (float)v / max).ToArray();
            var actual = prepared.Pixels.ToArray();
            for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"pixel {i}: {actual[i]} vs stored/max {expected[i]}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Npy_HeaderAndValues()
    {
        var path = Path.Combine(Path.GetTempPath(), $"thorax-npy-{Guid.NewGuid():N}.npy");
        try
        {
            NpyWriter.WriteFloat32(path, new[] { 1f, -2.5f, 3f, 4f, 5f, 6f }, 2, 3);
            var b = File.ReadAllBytes(path);
            Assert.Equal(0x93, b[0]);
            Assert.Equal("NUMPY", Encoding.ASCII.GetString(b, 1, 5));
            var hl = b[8] | (b[9] << 8);
            Assert.Equal(0, (10 + hl) % 64);
            var header = Encoding.ASCII.GetString(b, 10, hl);
            Assert.Contains("'descr': '<f4'", header);
            Assert.Contains("'shape': (2, 3)", header);
            Assert.Equal(-2.5f, BitConverter.ToSingle(b, 10 + hl + 4));
            Assert.Equal(10 + hl + 24, b.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Predictor_EqualsTheNetwork_AndWritesMaps()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var net = new GazeMtlUNet(filters: [16, 16, 16, 16, 16], densenet: new DenseNet("tiny", 8, [1, 1, 1, 1], 16, numClasses: 3, inChans: 3));
        using var predictor = new SaliencyPredictor(net);
        var input = SaliencyInput.Prepare(Ramp(64, 96), "ramp");   // 96x64 is not the output size: padded into 320x256
        Assert.Equal((256, 320), (input.Width, input.Height));
        var p = predictor.Predict(input, "dir/ramp.png");
        using var _ = torch.no_grad();
        var (logits, saliency) = net.call(torch.tensor(input.Pixels.ToArray(), new long[] { 1, 1, 320, 256 }));
        Assert.Equal(logits[0].data<float>().ToArray(), p.ClassLogits);
        var lp = SaliencyLayers.LogSoftmaxOverPixels(saliency)[0, 0].contiguous().data<float>().ToArray();
        Assert.Equal(lp, p.LogProbabilities);
        Assert.Equal(1.0, p.ClassProbabilities.Sum(), 5);
        Assert.Equal(1.0, p.LogProbabilities.Sum(v => Math.Exp(v)), 3);
        var dir = Path.Combine(Path.GetTempPath(), $"thorax-maps-{Guid.NewGuid():N}");
        try
        {
            var (npy, png) = SaliencyPredictor.WriteMaps(p, dir);
            Assert.Equal(Path.Combine(dir, "ramp.npy"), npy);
            Assert.Equal(10 + 118 + 320 * 256 * 4, new FileInfo(npy).Length);
            Assert.True(new FileInfo(png).Length > 0);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
