namespace Thorax.Data.Datasets;

/// <summary>
/// Montgomery County layout: <c>CXR_png/&lt;name&gt;.png</c> with <c>ManualMask/leftMask/&lt;name&gt;.png</c> and
/// <c>ManualMask/rightMask/&lt;name&gt;.png</c> (left = the patient's left lung, on the image right). Masks: the
/// union (one mask, default) or [left, right]. When every name ends in <c>_0</c>/<c>_1</c> (MCUCXR_0001_0) the label
/// vector is <c>[tb]</c>, else empty.
/// </summary>
public sealed class MontgomeryDataset : ImageDataset
{
    private readonly string[] _images;
    private readonly string _left, _right;
    private readonly bool _union;
    private readonly string[] _labelNames;

    /// <summary>Indexes <c>&lt;root&gt;/CXR_png</c> (sorted by name).</summary>
    /// <param name="root">Folder holding CXR_png/ and ManualMask/.</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="unionMasks">True (default): one lung mask; false: two masks, left then right.</param>
    public MontgomeryDataset(string root, DatasetOptions? options = null, bool unionMasks = true) : base(options)
    {
        string images = Path.Combine(root, "CXR_png");
        if (!Directory.Exists(images)) throw new DirectoryNotFoundException($"Montgomery image folder not found: {images}");
        _images = Directory.EnumerateFiles(images, "*.png").Order(StringComparer.Ordinal).ToArray();
        _left = Path.Combine(root, "ManualMask", "leftMask");
        _right = Path.Combine(root, "ManualMask", "rightMask");
        _union = unionMasks;
        _labelNames = _images.Length > 0 && _images.All(p => Path.GetFileNameWithoutExtension(p) is var s && (s.EndsWith("_0", StringComparison.Ordinal) || s.EndsWith("_1", StringComparison.Ordinal)))
            ? ["tb"] : [];
    }

    /// <inheritdoc />
    public override int Count => _images.Length;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => _labelNames;

    /// <inheritdoc />
    public override string IdOf(int index) => Path.GetFileNameWithoutExtension(_images[index]);

    /// <inheritdoc />
    public override float[] LabelsOf(int index) => _labelNames.Length == 0 ? [] : [IdOf(index).EndsWith("_1", StringComparison.Ordinal) ? 1f : 0f];

    /// <inheritdoc />
    public override Sample Get(int index)
    {
        CheckIndex(index);
        string path = _images[index], name = Path.GetFileName(path);
        var image = LoadImage(path);
        var (lw, lh, left) = ImageFiles.ReadMask(Path.Combine(_left, name));
        var (rw, rh, right) = ImageFiles.ReadMask(Path.Combine(_right, name));
        if (lw != rw || lh != rh) throw new DataFormatException($"left mask {lw}x{lh} and right mask {rw}x{rh} differ", Path.Combine(_right, name));
        IReadOnlyList<byte[]> masks;
        if (_union)
        {
            var u = new byte[left.Length];
            for (int i = 0; i < u.Length; i++) u[i] = (byte)(left[i] | right[i]);
            masks = [FitMask(u, lw, lh, image, path)];
        }
        else masks = [FitMask(left, lw, lh, image, path), FitMask(right, rw, rh, image, path)];
        return Build(IdOf(index), image, masks, labels: LabelsOf(index), metadata: new Dictionary<string, string> { ["path"] = path });
    }
}
