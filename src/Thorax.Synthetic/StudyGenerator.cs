using System.Collections.Concurrent;
using System.Globalization;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic;

/// <summary>Generates synthetic studies. <see cref="Generate(int)"/> is a pure function of (options, index): any
/// study can be produced on its own, in any order, on any thread, with identical output. Thread-safe.</summary>
public sealed class StudyGenerator
{
    private readonly SynthOptions _options;
    private readonly Lazy<Textures> _textures;
    private readonly ConcurrentBag<ChestRenderer> _renderers = [];
    private readonly ConcurrentBag<RealChestRenderer> _realRenderers = [];
    private readonly BackgroundSet? _backgrounds;
    private readonly int[] _backgroundOrder = [];
    private readonly ReportCorpus? _corpus;

    /// <summary>Creates a generator; validates <paramref name="options"/>.</summary>
    /// <exception cref="InvalidSynthOptionsException">An option is out of range.</exception>
    public StudyGenerator(SynthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _textures = new Lazy<Textures>(() => new Textures(options.ImageSize, options.Seed), LazyThreadSafetyMode.ExecutionAndPublication);
        if (options.ReportCorpus is not null) _corpus = ReportCorpus.Load(options.ReportCorpus);
        if (options.BackgroundDirectory is not null)
        {
            _backgrounds = BackgroundSet.Load(options.BackgroundDirectory);
            // A seeded permutation of the usable backgrounds: study i uses background _backgroundOrder[i % count].
            int count = _backgrounds.Backgrounds.Count;
            _backgroundOrder = Enumerable.Range(0, count).ToArray();
            var r = Rng.For(options.Seed, 20, 0);
            for (int i = count - 1; i > 0; i--)
            {
                int j = r.Next(i + 1);
                (_backgroundOrder[i], _backgroundOrder[j]) = (_backgroundOrder[j], _backgroundOrder[i]);
            }
        }
    }

    /// <summary>The real backgrounds (with the skipped ones) when <see cref="SynthOptions.BackgroundDirectory"/> is
    /// set; else null.</summary>
    public BackgroundSet? Backgrounds => _backgrounds;

    /// <summary>The background study <paramref name="index"/> is drawn on (real-background mode), else null.</summary>
    public BackgroundImage? BackgroundOf(int index) =>
        _backgrounds is null ? null : _backgrounds.Backgrounds[_backgroundOrder[index % _backgroundOrder.Length]];

    /// <summary>The options this generator was built with.</summary>
    public SynthOptions Options => _options;

    /// <summary>Generates study <paramref name="index"/> (0-based, below <see cref="SynthOptions.Count"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Index outside [0, Count).</exception>
    public SyntheticStudy Generate(int index) => Generate(index, null);

    /// <summary>Generates study <paramref name="index"/> into <paramref name="buffers"/> when given (the study's
    /// pixel arrays are then the buffers' and stay valid until the next study generated into them), else into
    /// new arrays. The pixels are the same either way.</summary>
    internal SyntheticStudy Generate(int index, StudyBuffers? buffers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _options.Count);
        var plan = Plan(index);
        int size = _options.ImageSize;
        if (buffers is not null && buffers.Size != size)
            throw new ArgumentException($"Buffers are for {buffers.Size} px, the generator for {size} px.", nameof(buffers));
        if (_backgrounds is not null) return GenerateOnBackground(index, plan, buffers);

        var anatomyRng = Rng.For(_options.Seed, 2, index);
        var anatomy = Anatomy.Create(ref anatomyRng, size, plan.Class == FindingClass.HeartFailure, plan.Sex == "F");

        if (!_renderers.TryTake(out var renderer))
            renderer = new ChestRenderer(size, _textures.Value, _options.Shortcut);
        try
        {
            var renderRng = Rng.For(_options.Seed, 3, index);
            var info = renderer.Render(plan, anatomy, ref renderRng, buffers);
            return Assemble(index, plan, info, renderer.Brightness, buffers, renderer.RightLungMask, renderer.LeftLungMask,
                renderer.HeartMask, renderer.PneumothoraxMask, renderer.PneumothoraxPixels, evidence: null, background: null, renderer.ChestTubeMask);
        }
        finally
        {
            _renderers.Add(renderer);
        }
    }

    /// <summary>The split of study <paramref name="index"/>: a low-discrepancy sequence, so every split gets
    /// close to its fraction of the studies for any Count. With real backgrounds the sequence runs over backgrounds
    /// (position index mod background count), so every study drawn on one background is in the same split.</summary>
    public DatasetSplit SplitOf(int index) => SplitOfPosition(_backgrounds is null ? index : index % _backgroundOrder.Length);

    private DatasetSplit SplitOfPosition(int index)
    {
        double offset = Frac(Rng.Mix((ulong)_options.Seed) / 18446744073709551616.0);
        double u = Frac(index * 0.6180339887498949 + offset);
        if (u < _options.TrainFraction) return DatasetSplit.Train;
        return u < _options.TrainFraction + _options.ValidationFraction ? DatasetSplit.Validation : DatasetSplit.Test;
    }

    internal StudyPlan Plan(int index)
    {
        var o = _options;
        var r = Rng.For(o.Seed, 1, index);
        var split = SplitOf(index);
        double uc = r.NextDouble();
        var cls = uc < o.HeartFailureRate ? FindingClass.HeartFailure
            : uc < o.HeartFailureRate + o.PneumoniaRate ? FindingClass.Pneumonia : FindingClass.Normal;
        bool hasPtx = r.Chance(o.PneumothoraxRate);
        var side = r.Chance(0.5) ? BodySide.Right : BodySide.Left;
        double ul = r.NextDouble(), us = r.NextDouble();
        var loc = ul < 0.45 ? PneumothoraxLocation.Apical : ul < 0.8 ? PneumothoraxLocation.Lateral : PneumothoraxLocation.Basal;
        var size = o.DrawPneumothoraxSize(us);

        var devices = SupportDevices.None;
        bool anyDevice = r.Chance(o.DeviceRate);
        bool ecg = r.Chance(0.6), tube = r.Chance(0.4);
        if (anyDevice)
        {
            if (ecg) devices |= SupportDevices.EcgLeads;
            if (tube || !ecg) devices |= SupportDevices.ChestTube;
        }
        var tubeSide = hasPtx ? side : (r.Chance(0.5) ? BodySide.Right : BodySide.Left);

        bool label = o.ShortcutTarget == ShortcutTarget.Pneumothorax ? hasPtx : cls != FindingClass.Normal;
        bool follow = r.Chance(o.ShortcutRate), coin = r.Chance(0.5);
        bool cue = o.Shortcut != ShortcutKind.None && (split == DatasetSplit.Train && follow ? label : coin);
        if (o.Shortcut == ShortcutKind.Device)
            devices = cue ? devices | SupportDevices.ChestTube : devices & ~SupportDevices.ChestTube;

        bool mono1 = r.Chance(o.Monochrome1Rate);
        double ue = r.NextDouble();
        var enc = o.Dicom switch
        {
            DicomOutput.Mixed => ue < 1.0 / 3 ? StudyEncoding.Uncompressed12 : ue < 2.0 / 3 ? StudyEncoding.Uncompressed8 : StudyEncoding.JpegBaseline8,
            DicomOutput.Uncompressed => ue < 0.5 ? StudyEncoding.Uncompressed12 : StudyEncoding.Uncompressed8,
            DicomOutput.Jpeg => StudyEncoding.JpegBaseline8,
            _ => StudyEncoding.None,
        };
        int age = 20 + r.Next(61);
        string sex = r.Chance(0.5) ? "F" : "M";
        // Drawn last, so procedural plans are unchanged by it; tension is rendered on real backgrounds only.
        bool tension = r.Chance(o.TensionRate) && _backgrounds is not null;
        var ptx = hasPtx ? new PneumothoraxFinding(side, loc, size, tension) : null;
        int background = _backgrounds is null ? -1 : _backgroundOrder[index % _backgroundOrder.Length];
        return new StudyPlan(index, split, cls, ptx, devices, tubeSide, cue, mono1, enc, age, sex, background);
    }

    private SyntheticStudy GenerateOnBackground(int index, StudyPlan plan, StudyBuffers? buffers)
    {
        int size = _options.ImageSize;
        var bg = _backgrounds!.Backgrounds[plan.Background];
        var chest = RealChest.Prepare(bg, size);
        if (!_realRenderers.TryTake(out var renderer))
            renderer = new RealChestRenderer(size, _textures.Value, _options.Shortcut, (float)_options.PneumothoraxConspicuity);
        try
        {
            var renderRng = Rng.For(_options.Seed, 3, index);
            var info = renderer.Render(plan, chest, ref renderRng, buffers);
            return Assemble(index, plan, info, renderer.Brightness, buffers, renderer.RightLungMask, renderer.LeftLungMask,
                renderer.HeartMask, renderer.PneumothoraxMask, renderer.PneumothoraxPixels, renderer.EvidenceMask, bg.Name, renderer.ChestTubeMask);
        }
        finally
        {
            _realRenderers.Add(renderer);
        }
    }

    /// <summary>The part of a study both renderers share: quantisation into the (reused) image buffers, simulated
    /// gaze, the report and the identifiers, all from the study's own random streams.</summary>
    private SyntheticStudy Assemble(int index, StudyPlan plan, RenderInfo info, float[] brightness, StudyBuffers? buffers,
        byte[] right, byte[] left, byte[] heart, byte[] ptx, int ptxPixels, byte[]? evidence, string? background, byte[] tube)
    {
        int size = _options.ImageSize;
        // Quantize overwrites every element, so reused buffers need no clearing.
        var img12 = buffers?.Image12 ?? new ushort[brightness.Length];
        var img8 = buffers?.Image8 ?? new byte[brightness.Length];
        Quantize.To12And8(brightness, img12, img8);
        var gazeRng = Rng.For(_options.Seed, 4, index);
        var fixations = GazeSimulator.Simulate(info, size, ref gazeRng);
        var reportRng = Rng.For(_options.Seed, 5, index);
        var (report, reportSource) = WriteReport(plan, info, ref reportRng);
        return new SyntheticStudy
        {
            Index = index,
            Id = MakeId(index),
            PatientId = "P" + (index + 1).ToString("D8", CultureInfo.InvariantCulture),
            StudyInstanceUid = MakeUid(11, index),
            SopInstanceUid = MakeUid(12, index),
            Age = plan.Age,
            Sex = plan.Sex,
            Split = plan.Split,
            Width = size,
            Height = size,
            PixelSpacingMm = Math.Round(0.35 * 1024.0 / size, 6),
            Image12 = img12,
            Image8 = img8,
            Monochrome1 = plan.Monochrome1,
            Encoding = plan.Encoding,
            RightLungMask = right,
            LeftLungMask = left,
            HeartMask = heart,
            PneumothoraxMask = ptx,
            PneumothoraxPixels = ptxPixels,
            EvidenceMask = evidence,
            ChestTubeMask = tube,
            Class = plan.Class,
            Pneumothorax = plan.Pneumothorax,
            Devices = plan.Devices,
            ShortcutCue = plan.ShortcutCue,
            Fixations = fixations,
            Report = report,
            ReportSource = reportSource,
            Background = background,
        };
    }

    /// <summary>The report corpus in use (<see cref="SynthOptions.ReportCorpus"/>), else null.</summary>
    internal ReportCorpus? Corpus => _corpus;

    private (string Text, string? Source) WriteReport(StudyPlan plan, RenderInfo info, ref Rng rng)
    {
        if (_corpus is null) return (ReportWriter.Write(plan, info, ref rng), null);
        var r = _corpus.Write(plan, info, ref rng);
        return (r.Text, r.SourceUid);
    }

    private string MakeId(int index)
    {
        var r = Rng.For(_options.Seed, 10, index);
        string hex = string.Concat(r.NextULong().ToString("x16", CultureInfo.InvariantCulture),
            r.NextULong().ToString("x16", CultureInfo.InvariantCulture), r.NextULong().ToString("x16", CultureInfo.InvariantCulture));
        return string.Join('-', hex[..8], hex[8..16], hex[16..24], hex[24..32], hex[32..40]);
    }

    private string MakeUid(ulong stream, int index)
    {
        var r = Rng.For(_options.Seed, stream, index);
        var v = new UInt128(r.NextULong(), r.NextULong());
        return "2.25." + v.ToString(CultureInfo.InvariantCulture);
    }

    private static double Frac(double x) => x - Math.Floor(x);
}
