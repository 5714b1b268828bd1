using Thorax.Cli.Fuzz;
using Thorax.Dicom;

namespace Thorax.Cli.Tests;

/// <summary>
/// The structure-aware DICOM fuzz mutator: its walk finds what the reader finds in every encoding, its re-encoding in
/// another transfer syntax keeps the pixels, and its cases reach every transfer syntax Thorax reads.
/// </summary>
public sealed class DicomStructureFuzzTests
{
    private static string Corpus(string name)
    {
        var data = FuzzCatalog.DefaultFolders().FirstOrDefault(f => Directory.Exists(Path.Combine(f, "golden", "dicom", "corpus")))
                   ?? throw new DirectoryNotFoundException("tests/data/golden/dicom/corpus not found above the working directory");
        return Path.Combine(data, "golden", "dicom", "corpus", name);
    }

    [Theory]
    [InlineData("u12_explicit_le.dcm")]
    [InlineData("u12_implicit_le.dcm")]
    [InlineData("u12_explicit_be.dcm")]
    [InlineData("u12_deflated.dcm")]
    [InlineData("seq_defined_explicit_le.dcm")]
    [InlineData("seq_undefined_explicit_le.dcm")]
    [InlineData("seq_undefined_implicit_le.dcm")]
    [InlineData("seq_mixed_un_explicit_le.dcm")]
    [InlineData("mf3_64x48_j2k_frag_bot.dcm")]
    [InlineData("mf3_jpeg_sv1_no_bot.dcm")]
    [InlineData("u12_no_preamble.dcm")]
    public void Layout_finds_the_elements_the_reader_finds(string name)
    {
        var bytes = File.ReadAllBytes(Corpus(name));
        var file = DicomFile.Parse(bytes, name);
        var layout = DicomLayout.Walk(bytes);
        var top = layout.Nodes.Where(n => n is { Parent: -1, InMeta: false }).Select(n => n.Tag).ToList();
        Assert.Equal(file.Dataset.Select(i => i.Tag.Value).Where(t => t >> 16 != 2).ToList(), top);
        Assert.Equal(file.FileMetaInfo.Count(), layout.Nodes.Count(n => n.InMeta));
        Assert.Equal(file.TransferSyntax, layout.Syntax);
        Assert.Equal(file.TransferSyntax.IsDeflated, layout.Deflated);
        var pixel = layout.Nodes.Single(n => n.Tag == DicomTag.PixelData.Value);
        if (file.Dataset.TryGetItem(DicomTag.PixelData, out var item) && item is DicomFragmentSequence seq)
        {
            Assert.Equal(DicomNodeKind.Encapsulated, pixel.Kind);
            var index = layout.Nodes.IndexOf(pixel);
            Assert.Equal(seq.Fragments.Count, layout.Nodes.Count(n => n.Parent == index && n.Kind == DicomNodeKind.Fragment));
            var bot = layout.Nodes.Single(n => n.Parent == index && n.Kind == DicomNodeKind.OffsetTable);
            Assert.Equal(seq.OffsetTable.Count * 4, bot.Length);
        }
        else Assert.Equal(DicomNodeKind.Element, pixel.Kind);
    }

    [Theory]
    [InlineData("u12_explicit_le.dcm")]
    [InlineData("u12_explicit_be.dcm")]
    [InlineData("u8_mono1_utf8.dcm")]
    [InlineData("mf3_explicit_le.dcm")]
    [InlineData("seq_undefined_implicit_le.dcm")]
    [InlineData("seq_mixed_un_explicit_le.dcm")]
    public void Transcoding_to_every_native_syntax_keeps_the_pixels(string name)
    {
        var original = DicomFile.Parse(File.ReadAllBytes(Corpus(name)), name);
        var expected = DicomPixelData.Create(original).DecodeFrame(0).Data.ToArray();
        foreach (var syntax in TransferSyntax.All.Where(t => !t.IsEncapsulated))
        {
            var again = DicomFile.Parse(DicomTranscoder.Encode(original, syntax), $"{name} as {syntax.Name}");
            Assert.Equal(syntax, again.TransferSyntax);
            Assert.Equal(expected, DicomPixelData.Create(again).DecodeFrame(0).Data.ToArray());
        }
    }

    [Fact]
    public void Cases_reach_every_transfer_syntax_Thorax_reads()
    {
        var work = Directory.CreateTempSubdirectory("thorax-fuzz-dcm-").FullName;
        try
        {
            var seeds = FuzzCatalog.Seeds("dicom-structure", FuzzCatalog.DefaultFolders(), work);
            var mutator = new DicomStructureMutator(seeds);
            var parsed = new Dictionary<TransferSyntax, int>();
            var decoded = new Dictionary<TransferSyntax, int>();
            for (var c = 0; c < 3000; c++)
            {
                var rng = new Random(FuzzRunner.CaseSeed(3, "dicom-structure", c));
                var input = mutator.Mutate(rng, rng.Next(seeds.Count));
                try
                {
                    var f = DicomFile.Parse(input, "case.dcm");
                    parsed[f.TransferSyntax] = parsed.GetValueOrDefault(f.TransferSyntax) + 1;
                    DicomPixelData.Create(f).DecodeFrame(0);
                    decoded[f.TransferSyntax] = decoded.GetValueOrDefault(f.TransferSyntax) + 1;
                }
                catch (DicomException)
                {
                }
            }
            var report = string.Join(", ", TransferSyntax.All.Select(t => $"{t.Name}: {parsed.GetValueOrDefault(t)} parsed, {decoded.GetValueOrDefault(t)} decoded"));
            foreach (var t in TransferSyntax.All) Assert.True(decoded.GetValueOrDefault(t) > 0, $"no case decoded a frame in {t.Name}: {report}");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
