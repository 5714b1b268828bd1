using System.Security.Cryptography;
using System.Text.Json;
using Thorax.Dicom;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Writer;

/// <summary>
/// Files written by <c>thorax synth</c> and checked once with dcmtk (dcmdump, dcmdjpeg) and pydicom by
/// tools/golden/synthetic/make_synth_dicom_golden.py; the expected values are in
/// tests/data/golden/synthetic/synth_dicom.json. These tests read the committed files with Thorax's own reader and
/// regenerate them with the generator; they never run Python or dcmtk.
/// </summary>
public sealed class DicomInteropGoldenTests
{
    /// <summary>The options of the script's <c>thorax synth --n 12 --size 64 --seed 5 --mono1-rate 0.5 --dicom mixed --jpeg-quality 95</c>.</summary>
    private static readonly SynthOptions ScriptOptions = SynthOptions.Default with
    {
        Count = 12, ImageSize = 64, Seed = 5, Monochrome1Rate = 0.5, Dicom = DicomOutput.Mixed, JpegQuality = 95,
    };

    public static TheoryData<string> Files() => ["jpeg_baseline8.dcm", "uncompressed12.dcm"];

    [Theory]
    [MemberData(nameof(Files))]
    public void CommittedFile_ThoraxReader_AgreesWithDcmtkAndPydicom(string name)
    {
        // Arrange
        var expected = Golden().GetProperty("files").GetProperty(name);
        var file = DicomFile.Open(GoldenPath(name));
        var ds = file.Dataset;

        // Act
        var frame = DicomPixelData.Create(file).DecodeFrame(0);
        var values = frame.ToInt32Array();

        // Assert: header as dcmdump/pydicom saw it.
        Assert.Equal(expected.GetProperty("transferSyntax").GetString(), file.TransferSyntax.Uid);
        Assert.Equal(expected.GetProperty("photometric").GetString(), ds.GetString(DicomTag.PhotometricInterpretation));
        Assert.Equal(expected.GetProperty("rows").GetInt32(), ds.GetInt(DicomTag.Rows));
        Assert.Equal(expected.GetProperty("bitsStored").GetInt32(), ds.GetInt(DicomTag.BitsStored));
        Assert.Equal(expected.GetProperty("sopInstanceUid").GetString(), ds.GetString(DicomTag.SOPInstanceUID));
        Assert.Equal(expected.GetProperty("lossyImageCompression").GetString(), ds.GetStringOrDefault(DicomTag.LossyImageCompression) ?? "");
        Assert.Equal(Strings(expected.GetProperty("lossyImageCompressionMethod")),
            ds.TryGetStrings(DicomTag.LossyImageCompressionMethod, out var m) ? m : []);
        Assert.Equal(Strings(expected.GetProperty("lossyImageCompressionRatio")),
            ds.TryGetStrings(DicomTag.LossyImageCompressionRatio, out var r) ? r : []);
        // Pixels: the same stored values as dcmtk's decoder (and pydicom's, which the script found identical).
        var dcmtk = expected.GetProperty("dcmtk");
        Assert.Equal(dcmtk.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(frame.Data)));
        Assert.Equal(dcmtk.GetProperty("min").GetInt32(), values.Min());
        Assert.Equal(dcmtk.GetProperty("max").GetInt32(), values.Max());
        Assert.Equal(dcmtk.GetProperty("mean").GetDouble(), values.Average(), 4);
        Assert.Equal(dcmtk.GetProperty("sha256").GetString(), expected.GetProperty("pydicom").GetProperty("sha256").GetString());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Regenerated_SameStudy_MatchesCommittedFile(string name)
    {
        // Arrange
        var expected = Golden().GetProperty("files").GetProperty(name);
        int index = expected.GetProperty("index").GetInt32();
        var committed = DicomFile.Open(GoldenPath(name));

        // Act
        var study = new StudyGenerator(ScriptOptions).Generate(index);
        var (dataset, syntax) = DicomExport.Encode(study, ScriptOptions.JpegQuality);
        using var ms = new MemoryStream();
        DicomWriter.Write(ms, new DicomDataset(), dataset, syntax);
        var regenerated = DicomFile.Parse(ms.ToArray());

        // Assert
        Assert.Equal(expected.GetProperty("encoding").GetString(), DatasetTables.Name(study.Encoding));
        Assert.Same(committed.TransferSyntax, regenerated.TransferSyntax);
        if (!syntax.IsEncapsulated)
        {
            Assert.True(File.ReadAllBytes(GoldenPath(name)).AsSpan().SequenceEqual(ms.ToArray()),
                "the generator's output changed; if intended, rerun tools/golden/synthetic/make_synth_dicom_golden.py");
            return;
        }
        // JPEG: the header is identical (ratio aside); pixels within two grey levels (the encoder may differ
        // between libjpeg-turbo versions, the committed file was made with this machine's one).
        foreach (var item in committed.Dataset)
        {
            if (item.Tag == DicomTag.PixelData || item.Tag == DicomTag.LossyImageCompressionRatio) continue;
            Assert.Equal(((DicomElement)item).Data.ToArray(), ((DicomElement)regenerated.Dataset.GetItem(item.Tag)).Data.ToArray());
        }
        var a = DicomPixelData.Create(committed).DecodeFrame(0).ToInt32Array();
        var b = DicomPixelData.Create(regenerated).DecodeFrame(0).ToInt32Array();
        Assert.InRange(a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), 0, 2);
        // MONOCHROME1: stored values are the inverted image, within JPEG error.
        Assert.Equal("MONOCHROME1", regenerated.Dataset.GetString(DicomTag.PhotometricInterpretation));
        Assert.InRange(b.Select((v, i) => Math.Abs(255 - v - study.Image8[i])).Average(), 0, 2.0);
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static JsonElement Golden() => JsonDocument.Parse(File.ReadAllText(GoldenPath("synth_dicom.json"))).RootElement;

    private static string GoldenPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "data", "golden", "synthetic");
            if (Directory.Exists(candidate)) return Path.Combine(candidate, name);
        }
        throw new DirectoryNotFoundException("tests/data/golden/synthetic not found above " + AppContext.BaseDirectory);
    }
}
