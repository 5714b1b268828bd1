using System.Text;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Pipelines.Tests.Classification;

/// <summary>
/// Writes a tiny dataset folder in the layout of <c>thorax synth</c>: 32 px grey PNGs (positives carry a bright
/// square), studies.csv with the audit's columns (and a quoted multi-line report, as synth writes), and split files.
/// </summary>
internal static class ClassificationFixture
{
    public const string Header = "id,split,class,pneumothorax,ptx_side,ptx_location,ptx_size,chest_tube,shortcut_cue,report";

    /// <summary>(split, label, size, location, cue) per study; ids are s00, s01, ...</summary>
    public static readonly (string Split, int Label, string Size, string Location, int Cue)[] Rows =
    [
        ("train", 1, "small", "apical", 1), ("train", 0, "", "", 0), ("train", 1, "large", "basal", 1), ("train", 0, "", "", 0),
        ("train", 1, "moderate", "lateral", 0), ("train", 0, "", "", 1), ("train", 0, "", "", 0), ("train", 1, "small", "lateral", 1),
        ("train", 0, "", "", 0), ("train", 1, "large", "apical", 1), ("train", 0, "", "", 0), ("train", 0, "", "", 0),
        ("train", 1, "moderate", "basal", 1), ("train", 0, "", "", 0),
        ("validation", 1, "small", "apical", 1), ("validation", 0, "", "", 0), ("validation", 1, "large", "basal", 0), ("validation", 0, "", "", 1),
        ("validation", 0, "", "", 0),
        ("test", 1, "moderate", "lateral", 1), ("test", 0, "", "", 0), ("test", 1, "small", "apical", 0), ("test", 0, "", "", 1), ("test", 0, "", "", 0),
    ];

    public static string Write(string? header = null, Func<int, string?>? overrideLine = null)
    {
        var dir = Directory.CreateTempSubdirectory("thorax-cls-data-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        Directory.CreateDirectory(Path.Combine(dir, "splits"));
        var csv = new StringBuilder((header ?? Header) + "\n");
        var rng = new Random(3);
        for (var i = 0; i < Rows.Length; i++)
        {
            var (split, label, size, location, cue) = Rows[i];
            var id = $"s{i:D2}";
            var cls = i % 3 == 0 ? "CHF" : "Normal";
            csv.Append(overrideLine?.Invoke(i) ??
                $"{id},{split},{cls},{label},{(label == 1 ? "left" : "")},{location},{size},{(i % 5 == 0 ? 1 : 0)},{cue},\"FINDINGS: a, b.\nIMPRESSION: none.\"").Append('\n');
            var img = new Image<byte>(32, 32);
            for (var y = 0; y < 32; y++)
                for (var x = 0; x < 32; x++)
                    img[x, y] = (byte)(60 + rng.Next(40) + (label == 1 && x < 14 && y < 14 ? 120 : 0));
            Png.Write(Path.Combine(dir, "images", id + ".png"), img);
        }
        File.WriteAllText(Path.Combine(dir, "studies.csv"), csv.ToString());
        foreach (var split in new[] { "train", "validation", "test" })
            File.WriteAllLines(Path.Combine(dir, "splits", split + ".txt"),
                Rows.Select((r, i) => (r, i)).Where(x => x.r.Split == split).Select(x => $"s{x.i:D2}"));
        return dir;
    }
}
