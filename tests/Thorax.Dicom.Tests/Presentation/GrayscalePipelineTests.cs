using FsCheck;
using FsCheck.Fluent;
using Thorax.Dicom.Tests.Infrastructure;
using Thorax.Dicom.Tests.Pixels;

namespace Thorax.Dicom.Tests.Presentation;

public class GrayscalePipelineTests
{
    [Theory]
    [InlineData(VoiLutFunction.Linear, 40, 400, -160.5, 0.0)]     // x <= c - 0.5 - (w-1)/2
    [InlineData(VoiLutFunction.Linear, 40, 400, 239.5, 1.0)]      // x > c - 0.5 + (w-1)/2
    [InlineData(VoiLutFunction.Linear, 40, 400, 39.5, 0.5)]       // (x - (c - 0.5))/(w-1) + 0.5
    [InlineData(VoiLutFunction.LinearExact, 40, 400, -160, 0.0)]
    [InlineData(VoiLutFunction.LinearExact, 40, 400, 140, 0.75)]
    [InlineData(VoiLutFunction.Sigmoid, 40, 400, 40, 0.5)]
    public void WindowLut_ClosedFormPoints(VoiLutFunction fn, double c, double w, double x, double expected) =>
        Assert.Equal(expected, new WindowLut(c, w, fn).Apply(x), 12);

    [Fact]
    public void WindowLut_Sigmoid_MatchesFormula() =>
        Assert.Equal(1 / (1 + Math.Exp(-4 * (100 - 40) / 400.0)), new WindowLut(40, 400, VoiLutFunction.Sigmoid).Apply(100), 12);

    [Fact]
    public void Property_WindowLut_IsMonotoneAndInUnitRange() =>
        Prop.ForAll<int, int, int>((c, w, x) =>
        {
            double width = Math.Abs(w % 5000) + 1;
            foreach (var fn in Enum.GetValues<VoiLutFunction>())
            {
                var lut = new WindowLut(c % 5000, width, fn);
                double a = lut.Apply(x % 10000), b = lut.Apply(x % 10000 + 1);
                if (a < 0 || a > 1 || b < a) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Create_SignedCtStyle_AppliesRescaleThenWindow()
    {
        // s12: slope 1, intercept -1024, window 40/400 LINEAR.
        var file = DicomFile.Open(TestPaths.Corpus("s12_explicit_le.dcm"));
        var pixels = DicomPixelData.Create(file);
        var pipeline = GrayscalePipeline.Create(file.Dataset, pixels.Info);
        var frame = pixels.DecodeFrame(0);
        var rendered = pipeline.Render(frame);
        var stored = frame.ToInt32Array();
        var window = new WindowLut(40, 400);
        for (int i = 0; i < stored.Length; i += 97)
            Assert.Equal((float)Math.Clamp(window.Apply(stored[i] - 1024.0), 0, 1), rendered[i]);
        Assert.IsType<RescaleLut>(pipeline.Steps[0]);
        Assert.IsType<OutputLut>(pipeline.Steps[2]);
    }

    [Theory]
    [InlineData("u12_explicit_le.dcm", 4095, false)]
    [InlineData("u8_mono1_utf8.dcm", 255, true)]
    public void Render_Xrv_IsTorchXrayVisionNormalisationOfTheFullStoredRange(string name, int maxval, bool monochrome1)
    {
        // torchxrayvision's normalize(img, maxval): (2 * img / maxval - 1) * 1024, MONOCHROME1 inverted first; the
        // window in the file is ignored (full range). Both corpus files have identity rescale.
        var file = DicomFile.Open(TestPaths.Corpus(name));
        var pixels = DicomPixelData.Create(file);
        var frame = pixels.DecodeFrame(0);
        var rendered = GrayscalePipeline.Create(file.Dataset, pixels.Info, PresentationOptions.Xrv).Render(frame);
        var stored = frame.ToInt32Array();
        Assert.Equal(stored.Length, rendered.Length);
        for (int i = 0; i < stored.Length; i++)
        {
            double img = monochrome1 ? maxval - stored[i] : stored[i];
            Assert.Equal((2 * img / maxval - 1) * 1024, rendered[i], 1e-3);
        }
    }

    [Fact]
    public void Create_WindowIndex1_UsesSecondWindow()
    {
        var file = DicomFile.Open(TestPaths.Corpus("u12_explicit_le.dcm"));
        var info = DicomPixelData.Create(file).Info;
        var pipeline = GrayscalePipeline.Create(file.Dataset, info, new PresentationOptions { WindowIndex = 1 });
        Assert.Equal(new WindowLut(1000, 500), pipeline.Steps[1]);
    }

    [Fact]
    public void Create_ModalityLutSequence_TakesPrecedenceOverRescale()
    {
        // 2x2 8-bit-in-16 image with a modality LUT: value v -> 10 * v for v in 0..3 (12-bit output).
        var ds = DicomPixelDataTests.SmallImage(2, false, [0, 1, 2, 3]);
        var item = new DicomDataset()
            .AddOrUpdate(DicomTag.LUTDescriptor, DicomVR.US, 4, 0, 12)
            .AddOrUpdate(DicomTag.LUTData, DicomVR.US, 0, 10, 20, 30);
        ds.AddOrUpdate(new DicomSequence(DicomTag.ModalityLUTSequence, [item]))
          .AddOrUpdate(DicomTag.RescaleSlope, DicomVR.DS, "100");
        var pixels = DicomPixelData.Create(ds, TransferSyntax.ExplicitVRLittleEndian);
        var pipeline = GrayscalePipeline.Create(ds, pixels.Info, new PresentationOptions { Voi = VoiMode.Explicit, WindowCenter = 15.5, WindowWidth = 31 });
        var r = pipeline.Render(pixels.DecodeFrame(0));
        Assert.Equal([0f, 1 / 3f, 2 / 3f, 1f], r.Select(v => (float)Math.Round(v, 5)).ToArray(), new FloatTol());
    }

    [Fact]
    public void Create_VoiLutSequence_ScalesTableToUnitRange()
    {
        var ds = DicomPixelDataTests.SmallImage(2, false, [0, 1, 2, 3]);
        var item = new DicomDataset()
            .AddOrUpdate(DicomTag.LUTDescriptor, DicomVR.US, 2, 1, 8)
            .AddOrUpdate(DicomTag.LUTData, DicomVR.US, 51, 255);
        ds.AddOrUpdate(new DicomSequence(DicomTag.VOILUTSequence, [item]));
        var pixels = DicomPixelData.Create(ds, TransferSyntax.ExplicitVRLittleEndian);
        var r = GrayscalePipeline.Create(ds, pixels.Info).Render(pixels.DecodeFrame(0));
        Assert.Equal([0.2f, 0.2f, 1f, 1f], r);
    }

    [Fact]
    public void Render_Mono1Corpus_IsInvertedMono2()
    {
        var file = DicomFile.Open(TestPaths.Corpus("u8_mono1_utf8.dcm"));
        var pixels = DicomPixelData.Create(file);
        var frame = pixels.DecodeFrame(0);
        var inverted = GrayscalePipeline.Create(file.Dataset, pixels.Info).Render(frame);
        var raw = GrayscalePipeline.Create(file.Dataset, pixels.Info, new PresentationOptions { InvertMonochrome1 = false }).Render(frame);
        Assert.IsType<InvertLut>(GrayscalePipeline.Create(file.Dataset, pixels.Info).Steps[^1]);
        for (int i = 0; i < raw.Length; i++) Assert.Equal(1.0 - raw[i], (double)inverted[i], 1e-6);
        Assert.Equal(frame.AsBytes()[0] / 255.0, (double)raw[0], 1e-6);
    }

    [SkippableFact]
    public void Render_SiimMonochrome1Edit_EqualsInvertedOriginal_AndXrvRange()
    {
        var dir = TestPaths.SiimDir();
        Skip.If(dir is null, TestPaths.SiimMissing);
        var mono2 = DicomFile.Open(Path.Combine(dir, "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"));
        var mono1 = DicomFile.Open(Path.Combine(dir, "modified-monochrome1-of-6904.dcm"));
        var p2 = DicomPixelData.Create(mono2);
        var p1 = DicomPixelData.Create(mono1);
        Assert.True(p1.Info.IsMonochrome1);
        var f2 = p2.DecodeFrame(0);
        var x2 = GrayscalePipeline.Create(mono2.Dataset, p2.Info, PresentationOptions.Xrv).Render(f2);
        var x1 = GrayscalePipeline.Create(mono1.Dataset, p1.Info, PresentationOptions.Xrv).Render(p1.DecodeFrame(0));
        var stored = f2.AsBytes();
        for (int i = 0; i < x2.Length; i += 1013)
        {
            // torchxrayvision: (2 * v / maxval - 1) * 1024 with maxval = 2^BitsStored - 1; MONOCHROME1 flips the sign.
            Assert.Equal((2 * stored[i] / 255.0 - 1) * 1024, (double)x2[i], 1e-3);
            Assert.Equal(-(double)x2[i], (double)x1[i], 1e-3);
        }
        Assert.InRange(x2.Min(), -1024f, 1024f);
        Assert.InRange(x2.Max(), -1024f, 1024f);
    }

    private sealed class FloatTol : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) < 1e-4;
        public int GetHashCode(float v) => 0;
    }
}
