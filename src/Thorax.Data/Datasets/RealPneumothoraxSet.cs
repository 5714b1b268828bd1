using System.Globalization;
using Thorax.Data.Annotations;
using Thorax.Data.Siim;
using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Data.Datasets;

/// <summary>
/// The named evaluation set <c>real-ptx</c>: the real pneumothorax images under <c>../shared/data</c>. Three
/// SIIM-ACR DICOMs (0, 1 and 4 pneumothorax instances) with their union masks decoded from <c>siim/train-rle.csv.gz</c>
/// and one NIH ChestX-ray14 PNG labelled Pneumothorax by NIH (<c>nih/00000013_005.png</c>). Images are decoded through
/// Thorax's own DICOM and PNG readers (<see cref="ImageFiles.ReadGrey"/>, default presentation) and quantised to 8-bit.
/// </summary>
/// <remarks>
/// Each SIIM mask is the OR of the image's RLE rows, cross-checked against <c>siim/masks/&lt;id&gt;_mask_union.png</c>
/// and the known union pixel counts (10,133 / 69,274 / 0). The NIH image gets a mask only when
/// <c>nih/BBox_List_2017.csv.gz</c> holds a Pneumothorax box for it (box-derived) or
/// <c>chestx-det/ChestX_Det_pneumothorax_subset.json</c> a polygon under its file name (polygon-derived); in the
/// shared data neither does (ChestX-Det names its images by its own numbers, e.g. <c>36244.png</c>), so it is label-only.
/// </remarks>
public sealed class RealPneumothoraxSet
{
    /// <summary>The set's name as used by <c>thorax evalset</c> and in its manifest.</summary>
    public const string Name = "real-ptx";

    /// <summary>Side length of the SIIM and NIH images and of the SIIM RLE grid.</summary>
    public const int NativeSize = 1024;

    private const string SiimCredit = "SIIM-ACR Pneumothorax Segmentation (Kaggle competition data); the pixels are NIH ChestX-ray14 images. Credit SIIM, ACR, STR and NIH.";
    private const string NihCredit = "NIH Clinical Center ChestX-ray14: no use restrictions, attribution requested (Wang et al., CVPR 2017).";

    /// <summary>The SIIM members: ImageId, expected instances (non-empty RLE rows) and expected union pixel count.</summary>
    private static readonly (string Id, int Instances, int Pixels)[] SiimMembers =
    [
        ("1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319", 1, 10_133),
        ("1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533", 4, 69_274),
        ("1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819", 0, 0),
    ];

    /// <summary>The NIH member (labelled Pneumothorax by NIH).</summary>
    private const string NihId = "00000013_005";

    private RealPneumothoraxSet(string root, IReadOnlyList<RealPneumothoraxItem> items, IReadOnlyList<RealPneumothoraxSource> sources)
    {
        Root = root;
        Items = items;
        Sources = sources;
    }

    /// <summary>The shared data folder the set was read from (full path).</summary>
    public string Root { get; }

    /// <summary>The items in a fixed order: the three SIIM images (1, 4, 0 instances), then the NIH image.</summary>
    public IReadOnlyList<RealPneumothoraxItem> Items { get; }

    /// <summary>Where the files come from and the terms their owners state (from the shared data README).</summary>
    public IReadOnlyList<RealPneumothoraxSource> Sources { get; }

    /// <summary>Files the set needs, relative to the shared data root.</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } =
    [
        .. SiimMembers.Select(m => $"siim/{m.Id}.dcm"),
        .. SiimMembers.Select(m => $"siim/masks/{m.Id}_mask_union.png"),
        "siim/train-rle.csv.gz",
        $"nih/{NihId}.png",
    ];

    /// <summary>True when <paramref name="sharedDataRoot"/> holds every file of <see cref="RequiredFiles"/>.</summary>
    public static bool IsPresent(string sharedDataRoot) =>
        Directory.Exists(sharedDataRoot) && RequiredFiles.All(f => File.Exists(Path.Combine(sharedDataRoot, f)));

    /// <summary>Loads the set from the shared data folder (the folder holding <c>siim/</c> and <c>nih/</c>).</summary>
    /// <param name="sharedDataRoot">E.g. <c>../shared/data</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The folder is absent (message says the set is absent).</exception>
    /// <exception cref="FileNotFoundException">A member file is missing (named).</exception>
    /// <exception cref="DataFormatException">A file is malformed, or a decoded mask disagrees with its PNG or its known
    /// pixel count (file and field named).</exception>
    public static RealPneumothoraxSet Load(string sharedDataRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(sharedDataRoot);
        string root = Path.GetFullPath(sharedDataRoot);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{Name}: shared data folder {root} is absent, so the set is absent");
        foreach (var f in RequiredFiles)
        {
            string p = Path.Combine(root, f);
            if (!File.Exists(p)) throw new FileNotFoundException($"{Name}: member file {p} is absent", p);
        }

        var items = new List<RealPneumothoraxItem>();
        string rlePath = Path.Combine(root, "siim", "train-rle.csv.gz");
        var table = SiimRleTable.Read(rlePath);
        foreach (var (id, expectedInstances, expectedPixels) in SiimMembers)
            items.Add(LoadSiim(root, table, id, expectedInstances, expectedPixels));
        items.Add(LoadNih(root));
        return new RealPneumothoraxSet(root, items,
        [
            new("siim", "SIIM-ACR Pneumothorax", [.. SiimMembers.Select(m => $"siim/{m.Id}.dcm"), "siim/train-rle.csv.gz",
                .. SiimMembers.Select(m => $"siim/masks/{m.Id}_mask_union.png")], SiimCredit),
            new("nih", "NIH ChestX-ray14", [$"nih/{NihId}.png", "nih/BBox_List_2017.csv.gz"], NihCredit),
            new("chestx-det", "ChestX-Det (checked for a polygon only)", ["chestx-det/ChestX_Det_pneumothorax_subset.json"],
                "Deepwise AI Lab, Apache-2.0."),
        ]);
    }

    private static RealPneumothoraxItem LoadSiim(string root, SiimRleTable table, string id, int expectedInstances, int expectedPixels)
    {
        string dcm = Path.Combine(root, "siim", id + ".dcm");
        string rle = table.Source ?? Path.Combine(root, "siim", "train-rle.csv.gz");
        var image = ReadImage(dcm);
        DicomDataset header;
        try { header = DicomFile.Open(dcm, new DicomReadOptions { HeaderOnly = true }).Dataset; }
        catch (DicomException e) { throw new DataFormatException("header does not parse: " + e.Message, dcm, null, null, e); }
        if (image.Width != NativeSize || image.Height != NativeSize)
            throw new DataFormatException($"image is {image.Width}x{image.Height}, the SIIM RLE grid is {NativeSize}x{NativeSize}", dcm, null, "Rows/Columns");

        var rows = table.RowsFor(id);
        if (rows.Count == 0) throw new DataFormatException($"no row for ImageId {id}", rle, null, table.IdColumn);
        int instances = rows.Count(r => !r.IsEmpty);
        if (instances != expectedInstances)
            throw new DataFormatException($"ImageId {id} has {instances} non-empty rows, the set expects {expectedInstances}", rle, rows[0].Line, table.RleColumn);
        var union = new byte[NativeSize * NativeSize];
        int pixels = table.DecodeUnion(id, union, NativeSize, NativeSize);
        if (pixels != expectedPixels)
            throw new DataFormatException($"ImageId {id}: union of the RLE rows covers {pixels} pixels, the set expects {expectedPixels}", rle, rows[0].Line, table.RleColumn);

        string png = Path.Combine(root, "siim", "masks", id + "_mask_union.png");
        (int Width, int Height, byte[] Data) check;
        try { check = ImageFiles.ReadMask(png); }
        catch (ImageFormatException e) { throw new DataFormatException("mask PNG does not decode: " + e.Message, png, null, null, e); }
        if (check.Width != NativeSize || check.Height != NativeSize)
            throw new DataFormatException($"mask is {check.Width}x{check.Height}, expected {NativeSize}x{NativeSize}", png);
        int differ = 0;
        for (int i = 0; i < union.Length; i++) if (union[i] != check.Data[i]) differ++;
        if (differ != 0)
            throw new DataFormatException($"mask disagrees with the union of the RLE rows of {rle} at {differ} pixels", png);

        for (int i = 0; i < union.Length; i++) union[i] = union[i] != 0 ? (byte)255 : (byte)0;
        header.TryGetString(DicomTag.PatientID, out var patient);
        header.TryGetString(DicomTag.PatientSex, out var sex);
        header.TryGetString(DicomTag.PatientAge, out var age);
        header.TryGetString(DicomTag.StudyInstanceUID, out var study);
        header.TryGetString(DicomTag.SOPInstanceUID, out var sop);
        header.TryGetString(DicomTag.PhotometricInterpretation, out var photometric);
        return new RealPneumothoraxItem
        {
            Id = id,
            Source = "siim",
            SourceFile = dcm,
            Image = image,
            Label = instances > 0 ? 1 : 0,
            Mask = new Image<byte>(NativeSize, NativeSize, 1, union),
            MaskPixels = pixels,
            Instances = instances,
            Provenance = $"SIIM-ACR DICOM; mask = OR of the {rows.Count} RLE row(s) for this ImageId in siim/train-rle.csv.gz "
                + $"({instances} pneumothorax instance(s), {pixels} px), identical to siim/masks/{id}_mask_union.png",
            PatientId = patient?.Trim(),
            Sex = sex?.Trim(),
            Age = ParseAge(age),
            StudyInstanceUid = study?.Trim(),
            SopInstanceUid = sop?.Trim(),
            Photometric = photometric?.Trim(),
            Encoding = EncodingName(dcm),
        };
    }

    private static RealPneumothoraxItem LoadNih(string root)
    {
        string png = Path.Combine(root, "nih", NihId + ".png");
        var image = ReadImage(png);
        string fileName = NihId + ".png";
        byte[]? mask = null;
        int? instances = null;
        string how;

        string bboxPath = Path.Combine(root, "nih", "BBox_List_2017.csv.gz");
        string detPath = Path.Combine(root, "chestx-det", "ChestX_Det_pneumothorax_subset.json");
        var boxes = File.Exists(bboxPath)
            ? NihBox.Read(bboxPath).Where(b => b.ImageIndex == fileName && string.Equals(b.FindingLabel, "Pneumothorax", StringComparison.OrdinalIgnoreCase)).ToList()
            : [];
        var polygons = boxes.Count == 0 && File.Exists(detPath)
            ? ChestXDetImage.Read(detPath).Where(d => d.FileName == fileName)
                .SelectMany(d => d.Instances).Where(i => string.Equals(i.ClassName, "Pneumothorax", StringComparison.OrdinalIgnoreCase) && i.Polygon.Count >= 3).ToList()
            : [];
        if (boxes.Count > 0)
        {
            mask = new byte[image.Width * image.Height];
            foreach (var b in boxes) FillBox(mask, image.Width, image.Height, b.X, b.Y, b.W, b.H);
            instances = boxes.Count;
            how = $"NIH label Pneumothorax; box-derived mask: {boxes.Count} Pneumothorax box(es) of nih/BBox_List_2017.csv.gz filled (coarser than the lesion)";
        }
        else if (polygons.Count > 0)
        {
            mask = new byte[image.Width * image.Height];
            foreach (var p in polygons) FillPolygon(mask, image.Width, image.Height, p.Polygon);
            instances = polygons.Count;
            how = $"NIH label Pneumothorax; polygon-derived mask: {polygons.Count} Pneumothorax polygon(s) of chestx-det/ChestX_Det_pneumothorax_subset.json filled";
        }
        else
        {
            how = "NIH label Pneumothorax; label only, no mask: "
                + (File.Exists(bboxPath) ? "no Pneumothorax box for this image in nih/BBox_List_2017.csv.gz" : "nih/BBox_List_2017.csv.gz is absent")
                + (File.Exists(detPath) ? " and no entry under its file name in chestx-det/ChestX_Det_pneumothorax_subset.json (ChestX-Det names images by its own numbers)" : "; chestx-det/ChestX_Det_pneumothorax_subset.json is absent");
        }
        return new RealPneumothoraxItem
        {
            Id = NihId,
            Source = "nih",
            SourceFile = png,
            Image = image,
            Label = 1,
            Mask = mask is null ? null : new Image<byte>(image.Width, image.Height, 1, mask),
            MaskPixels = mask?.Count(v => v != 0),
            Instances = instances,
            Provenance = how,
            // NIH image index PPPPPPPP_FFF: patient number and follow-up number.
            PatientId = NihId[..NihId.IndexOf('_')],
            Encoding = "none",
        };
    }

    /// <summary>Decodes an image file to 8-bit grey through <see cref="ImageFiles.ReadGrey"/> (round(v * 255)).</summary>
    /// <exception cref="DataFormatException">The file does not decode (file named, cause kept as inner exception).</exception>
    private static Image<byte> ReadImage(string path)
    {
        GreyImage grey;
        try { grey = ImageFiles.ReadGrey(path); }
        catch (Exception e) when (e is DicomException or ImageFormatException or InvalidDataException or EndOfStreamException or DataFormatException)
        {
            throw new DataFormatException($"image does not decode ({e.GetType().Name}): {e.Message}", path, null, null, e);
        }
        return To8Bit(grey);
    }

    /// <summary>Quantises [0, 1] grey to bytes: round(clamp(v, 0, 1) * 255).</summary>
    public static Image<byte> To8Bit(GreyImage grey)
    {
        var data = new byte[grey.Pixels.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)MathF.Round(Math.Clamp(grey.Pixels[i], 0f, 1f) * 255f);
        return new Image<byte>(grey.Width, grey.Height, 1, data);
    }

    private static string EncodingName(string dcm)
    {
        var file = DicomFile.Open(dcm, new DicomReadOptions { HeaderOnly = true });
        int bits = file.Dataset.GetIntOrDefault(DicomTag.BitsStored, 0);
        string uid = file.TransferSyntax.Uid;
        if (uid == TransferSyntax.JPEGBaseline8Bit.Uid) return "jpegbaseline8";
        if (!file.TransferSyntax.IsEncapsulated) return "uncompressed" + bits.ToString(CultureInfo.InvariantCulture);
        return uid;
    }

    /// <summary>DICOM AS ("062Y") or the bare number SIIM stores ("62"); null when not a number of years.</summary>
    private static int? ParseAge(string? age)
    {
        if (string.IsNullOrWhiteSpace(age)) return null;
        string s = age.Trim();
        if (s.EndsWith('Y') || s.EndsWith('y')) s = s[..^1];
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : null;
    }

    private static void FillBox(byte[] mask, int w, int h, double x, double y, double bw, double bh)
    {
        int x0 = Math.Clamp((int)Math.Floor(x), 0, w), x1 = Math.Clamp((int)Math.Ceiling(x + bw), 0, w);
        int y0 = Math.Clamp((int)Math.Floor(y), 0, h), y1 = Math.Clamp((int)Math.Ceiling(y + bh), 0, h);
        for (int r = y0; r < y1; r++) mask.AsSpan(r * w + x0, x1 - x0).Fill(255);
    }

    /// <summary>Even-odd fill of the pixels whose centres lie inside the polygon (x = column, y = row).</summary>
    internal static void FillPolygon(byte[] mask, int w, int h, IReadOnlyList<(double X, double Y)> poly)
    {
        var xs = new List<double>();
        for (int r = 0; r < h; r++)
        {
            double yc = r + 0.5;
            xs.Clear();
            for (int i = 0, j = poly.Count - 1; i < poly.Count; j = i++)
            {
                var (xi, yi) = poly[i];
                var (xj, yj) = poly[j];
                if ((yi <= yc) != (yj <= yc)) xs.Add(xi + (yc - yi) * (xj - xi) / (yj - yi));
            }
            xs.Sort();
            for (int k = 0; k + 1 < xs.Count; k += 2)
            {
                int c0 = Math.Max(0, (int)Math.Ceiling(xs[k] - 0.5)), c1 = Math.Min(w - 1, (int)Math.Floor(xs[k + 1] - 0.5));
                for (int c = c0; c <= c1; c++) mask[r * w + c] = 255;
            }
        }
    }
}

/// <summary>One image of <see cref="RealPneumothoraxSet"/>.</summary>
public sealed record RealPneumothoraxItem
{
    /// <summary>SIIM ImageId (SOP Instance UID) or NIH image index without extension.</summary>
    public required string Id { get; init; }

    /// <summary>"siim" or "nih" (see <see cref="RealPneumothoraxSet.Sources"/>).</summary>
    public required string Source { get; init; }

    /// <summary>Full path of the image file read.</summary>
    public required string SourceFile { get; init; }

    /// <summary>8-bit grey image, one channel, native size (1024x1024).</summary>
    public required Image<byte> Image { get; init; }

    /// <summary>Pneumothorax label: 1 present, 0 absent.</summary>
    public required int Label { get; init; }

    /// <summary>Pneumothorax mask (0/255, one channel, image size), or null when the source has no pixel annotation.</summary>
    public Image<byte>? Mask { get; init; }

    /// <summary>Foreground pixels of <see cref="Mask"/>, or null without a mask.</summary>
    public int? MaskPixels { get; init; }

    /// <summary>Annotated pneumothorax instances (SIIM: non-empty RLE rows), or null when unknown.</summary>
    public int? Instances { get; init; }

    /// <summary>Where the label and mask come from, in words.</summary>
    public required string Provenance { get; init; }

    /// <summary>DICOM PatientID (SIIM) or the patient number of the NIH image index.</summary>
    public string? PatientId { get; init; }

    /// <summary>DICOM PatientSex, or null.</summary>
    public string? Sex { get; init; }

    /// <summary>Age in years from DICOM PatientAge, or null.</summary>
    public int? Age { get; init; }

    /// <summary>DICOM StudyInstanceUID, or null.</summary>
    public string? StudyInstanceUid { get; init; }

    /// <summary>DICOM SOPInstanceUID, or null.</summary>
    public string? SopInstanceUid { get; init; }

    /// <summary>DICOM PhotometricInterpretation, or null for PNG sources.</summary>
    public string? Photometric { get; init; }

    /// <summary>Source encoding in the synth studies.csv spelling: <c>jpegbaseline8</c>, <c>uncompressedN</c>, or
    /// <c>none</c> when the source is not DICOM.</summary>
    public required string Encoding { get; init; }
}

/// <summary>One source of <see cref="RealPneumothoraxSet"/>: short key, name, files used (relative to the shared data
/// root) and the terms its owners state.</summary>
public sealed record RealPneumothoraxSource(string Key, string Name, IReadOnlyList<string> Files, string Terms);
