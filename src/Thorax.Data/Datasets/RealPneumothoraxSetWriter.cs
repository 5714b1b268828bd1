using System.Globalization;
using System.Text;
using System.Text.Json;
using Thorax.Data.IO;
using Thorax.Data.Siim;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Data.Datasets;

/// <summary>
/// Writes <see cref="RealPneumothoraxSet"/> in the folder layout of <c>thorax synth</c>, so that an evaluation that
/// reads a synthetic folder reads this set unchanged: <c>images/&lt;id&gt;.png</c> (8-bit grey),
/// <c>masks/pneumothorax/&lt;id&gt;.png</c> (0/255; only for items with a mask), <c>studies.csv</c>
/// (<see cref="StudyTableColumns"/>), <c>splits/{train,validation,test}.txt</c> (every item in test),
/// <c>siim/train-rle.csv</c> (relative column-major RLE of the written masks, -1 when empty; items without a mask
/// have no row) and <c>manifest.json</c>. Every file is written atomically.
/// </summary>
public static class RealPneumothoraxSetWriter
{
    /// <summary>The manifest's format tag.</summary>
    public const string Format = "thorax-evalset/1";

    /// <summary>Writes the set under <paramref name="outDir"/>.</summary>
    /// <param name="set">The loaded set.</param>
    /// <param name="outDir">Output folder (created; existing files of the same names are replaced).</param>
    /// <param name="size">Square side to resize images (bilinear) and masks (nearest) to; null keeps the native size.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="outDir"/> is a non-empty folder that does not hold this set.</exception>
    public static RealPneumothoraxSetSummary Write(RealPneumothoraxSet set, string outDir, int? size = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        if (size is <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "--size must be a positive number of pixels");
        string root = Path.GetFullPath(outDir);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any() && !HoldsThisSet(root))
            throw new ArgumentException($"{root}: output folder is not empty and is not a {RealPneumothoraxSet.Name} folder (no manifest.json naming it); choose an empty or absent folder", nameof(outDir));
        string images = Path.Combine(root, "images"), masks = Path.Combine(root, "masks", "pneumothorax");
        string splits = Path.Combine(root, "splits"), siim = Path.Combine(root, "siim");
        foreach (var d in new[] { images, masks, splits, siim }) Directory.CreateDirectory(d);

        var studies = new StringBuilder();
        studies.Append(CsvText.Join([.. StudyTableColumns.Names])).Append('\n');
        var rle = new StringBuilder("ImageId, EncodedPixels\n");
        var rows = new List<RealPneumothoraxSetSummary.Row>();
        for (int index = 0; index < set.Items.Count; index++)
        {
            var item = set.Items[index];
            var image = item.Image;
            var mask = item.Mask;
            if (size is { } s && (image.Width != s || image.Height != s))
            {
                var grey = new GreyImage(image.Width, image.Height, image.Data.Select(v => v * (1f / 255f)).ToArray());
                image = RealPneumothoraxSet.To8Bit(ImageFiles.Resize(grey, ImageSize.Square(s)));
                if (mask is not null)
                    mask = new Image<byte>(s, s, 1, ImageFiles.ResizeMask(mask.Data, mask.Width, mask.Height, ImageSize.Square(s)));
            }
            Png.Write(Path.Combine(images, item.Id + ".png"), image);
            int? pixels = null;
            string side = "";
            if (mask is not null)
            {
                Png.Write(Path.Combine(masks, item.Id + ".png"), mask);
                pixels = mask.Data.Length - mask.Data.AsSpan().Count((byte)0);
                side = SideOf(mask);
                rle.Append(item.SopInstanceUid ?? item.Id).Append(", ").Append(SiimRle.Encode(mask.Data, mask.Width, mask.Height)).Append('\n');
            }
            studies.Append(CsvText.Join(
                item.Id, I(index), item.PatientId ?? "", "test", "Normal", I(item.Label), side, "", "",
                pixels is { } p ? I(p) : "", "", "", "", item.Photometric ?? "", item.Encoding,
                item.Age is { } a ? I(a) : "", item.Sex ?? "", item.StudyInstanceUid ?? "", item.SopInstanceUid ?? "",
                I(image.Width), I(image.Height), "", "", Path.GetFileName(item.SourceFile), "")).Append('\n');
            rows.Add(new RealPneumothoraxSetSummary.Row(item.Id, item.Source, Relative(set.Root, item.SourceFile), item.Label,
                item.Instances, pixels, side, image.Width, image.Height, item.Provenance));
        }

        DataFile.WriteAtomic(Path.Combine(root, "studies.csv"), w => w.Write(studies.ToString()));
        DataFile.WriteAtomic(Path.Combine(siim, "train-rle.csv"), w => w.Write(rle.ToString()));
        DataFile.WriteAtomic(Path.Combine(splits, "train.txt"), _ => { });
        DataFile.WriteAtomic(Path.Combine(splits, "validation.txt"), _ => { });
        DataFile.WriteAtomic(Path.Combine(splits, "test.txt"), w => { foreach (var it in set.Items) w.Write(it.Id + "\n"); });
        var summary = new RealPneumothoraxSetSummary(RealPneumothoraxSet.Name, root, size, rows, set.Sources);
        DataFile.WriteAtomic(Path.Combine(root, "manifest.json"), w => w.Write(summary.ToJson(manifest: true)));
        return summary;
    }

    /// <summary>Patient side of a mask: "right" when every pixel lies in the image's left half (the patient's right),
    /// "left" when every pixel lies in the right half, "" when empty or on both halves.</summary>
    public static string SideOf(Image<byte> mask)
    {
        long imageLeft = 0, imageRight = 0;
        int half = mask.Width / 2;
        for (int r = 0; r < mask.Height; r++)
        {
            var row = mask.Row(r);
            imageLeft += half - row[..half].Count((byte)0);
            imageRight += row.Length - half - row[half..].Count((byte)0);
        }
        return (imageLeft > 0, imageRight > 0) switch
        {
            (true, false) => "right",
            (false, true) => "left",
            _ => "",
        };
    }

    private static bool HoldsThisSet(string root)
    {
        string manifest = Path.Combine(root, "manifest.json");
        if (!File.Exists(manifest)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
            return doc.RootElement.TryGetProperty("format", out var f) && f.GetString() == Format
                && doc.RootElement.TryGetProperty("name", out var n) && n.GetString() == RealPneumothoraxSet.Name;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');
}

/// <summary>What <see cref="RealPneumothoraxSetWriter.Write"/> wrote; also the body of <c>manifest.json</c>.</summary>
/// <param name="Name">The set's name (<see cref="RealPneumothoraxSet.Name"/>).</param>
/// <param name="OutDir">Output folder (full path).</param>
/// <param name="Size">Resize target, or null for native size.</param>
/// <param name="Items">One row per item, in studies.csv order.</param>
/// <param name="Sources">Sources and their terms.</param>
public sealed record RealPneumothoraxSetSummary(string Name, string OutDir, int? Size,
    IReadOnlyList<RealPneumothoraxSetSummary.Row> Items, IReadOnlyList<RealPneumothoraxSource> Sources)
{
    /// <summary>One written item.</summary>
    /// <param name="Id">Study id (file stem under images/ and masks/).</param>
    /// <param name="Source">Source key.</param>
    /// <param name="SourceFile">Image file relative to the shared data root.</param>
    /// <param name="Label">Pneumothorax 0/1.</param>
    /// <param name="Instances">Annotated instances, or null when unknown.</param>
    /// <param name="MaskPixels">Foreground pixels of the written mask, or null without a mask.</param>
    /// <param name="Side">"right", "left" (patient) or "" (see <see cref="RealPneumothoraxSetWriter.SideOf"/>).</param>
    /// <param name="Width">Written width.</param>
    /// <param name="Height">Written height.</param>
    /// <param name="Provenance">Where label and mask come from.</param>
    public sealed record Row(string Id, string Source, string SourceFile, int Label, int? Instances, int? MaskPixels,
        string Side, int Width, int Height, string Provenance);

    /// <summary>JSON with snake_case keys; <paramref name="manifest"/> adds the format tag and the layout and leaves
    /// out the output path (so the manifest does not depend on where it was written).</summary>
    public string ToJson(bool manifest = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            if (manifest) w.WriteString("format", RealPneumothoraxSetWriter.Format);
            w.WriteString("name", Name);
            if (!manifest) w.WriteString("out_dir", OutDir);
            if (Size is { } s) w.WriteNumber("size", s); else w.WriteNull("size");
            w.WriteNumber("count", Items.Count);
            w.WriteNumber("pneumothorax", Items.Count(i => i.Label == 1));
            w.WriteNumber("with_mask", Items.Count(i => i.MaskPixels is not null));
            w.WriteStartArray("items");
            foreach (var i in Items)
            {
                w.WriteStartObject();
                w.WriteString("id", i.Id);
                w.WriteString("source", i.Source);
                w.WriteString("source_file", i.SourceFile);
                w.WriteNumber("pneumothorax", i.Label);
                if (i.Instances is { } n) w.WriteNumber("instances", n); else w.WriteNull("instances");
                if (i.MaskPixels is { } p) w.WriteNumber("ptx_pixels", p); else w.WriteNull("ptx_pixels");
                w.WriteString("ptx_side", i.Side);
                w.WriteNumber("width", i.Width);
                w.WriteNumber("height", i.Height);
                w.WriteString("provenance", i.Provenance);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("sources");
            foreach (var src in Sources)
            {
                w.WriteStartObject();
                w.WriteString("key", src.Key);
                w.WriteString("name", src.Name);
                w.WriteStartArray("files");
                foreach (var f in src.Files) w.WriteStringValue(f);
                w.WriteEndArray();
                w.WriteString("terms", src.Terms);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (manifest)
            {
                w.WriteStartObject("layout");
                w.WriteString("studies.csv", "thorax synth's header; split = test, class = Normal; ptx_pixels empty when the item has no mask; "
                    + "ptx_side from the mask (image left = patient's right; empty when the mask is empty or on both halves); "
                    + "fields the sources do not give are empty");
                w.WriteString("splits/", "train.txt and validation.txt empty; test.txt: every id");
                w.WriteString("images/", "<id>.png, 8-bit greyscale (DICOM through Thorax's presentation pipeline, default VOI)");
                w.WriteString("masks/pneumothorax/", "<id>.png, 0/255, only for items with a mask");
                w.WriteString("siim/train-rle.csv", "'ImageId, EncodedPixels', relative column-major RLE of the written masks, ImageId = SOP instance UID (else id), -1 = none; items without a mask have no row");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + (manifest ? "\n" : "");
    }
}
