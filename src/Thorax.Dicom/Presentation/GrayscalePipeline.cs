using System.Globalization;

namespace Thorax.Dicom;

/// <summary>
/// Grayscale rendering as a chain of small LUT steps in the order modality → VOI → output (clamp to [0, 1]) →
/// invert (MONOCHROME1), then the output convention ([0, 1] or [-1024, 1024]). For BitsStored ≤ 16 the chain is
/// precomputed into one table over every stored value, so rendering is one lookup per pixel.
/// </summary>
public sealed class GrayscalePipeline
{
    private readonly float[]? _table;
    private readonly long _tableOffset;

    private GrayscalePipeline(PixelDataInfo info, IReadOnlyList<ILutStep> steps, OutputRange output)
    {
        Steps = steps;
        Output = output;
        if (info.BitsStored <= 16)
        {
            _tableOffset = info.MinStoredValue;
            long n = info.MaxStoredValue - info.MinStoredValue + 1;
            _table = new float[n];
            for (long i = 0; i < n; i++) _table[i] = (float)Evaluate(i + _tableOffset);
        }
    }

    /// <summary>The steps in application order (modality, VOI, output, optional invert).</summary>
    public IReadOnlyList<ILutStep> Steps { get; }

    /// <summary>Output convention.</summary>
    public OutputRange Output { get; }

    /// <summary>Builds the pipeline from a data set's modality LUT, VOI and photometric attributes.</summary>
    /// <exception cref="DicomFormatException">LUT sequences or window values are malformed.</exception>
    /// <exception cref="DicomCodecException">The image is not MONOCHROME1/2 (names <paramref name="filePath"/> when given).</exception>
    public static GrayscalePipeline Create(DicomDataset dataset, PixelDataInfo info, PresentationOptions? options = null, string? filePath = null)
    {
        options ??= PresentationOptions.Default;
        if (!info.IsMonochrome)
            throw new DicomCodecException($"Grayscale rendering needs MONOCHROME1/2, not {info.PhotometricInterpretation}.", info.TransferSyntax)
                .WithFilePath(filePath);

        // Modality LUT: the sequence wins over rescale (PS3.3 C.11.1).
        ILutStep modality;
        double modLow, modHigh;
        if (dataset.TryGetSequence(DicomTag.ModalityLUTSequence, out var mseq) && mseq.Items.Count > 0)
        {
            var lut = TableLut.FromItem(mseq.Items[0], info.IsSigned, filePath);
            modality = lut;
            (modLow, modHigh) = (0, lut.MaxOutput);
        }
        else
        {
            double slope = dataset.GetDoubleOrDefault(DicomTag.RescaleSlope, 1);
            double intercept = dataset.GetDoubleOrDefault(DicomTag.RescaleIntercept, 0);
            if (slope == 0 || !double.IsFinite(slope) || !double.IsFinite(intercept))
                throw new DicomFormatException($"Invalid rescale slope {slope} / intercept {intercept}.", filePath, DicomTag.RescaleSlope);
            modality = new RescaleLut(slope, intercept);
            double a = modality.Apply(info.MinStoredValue), b = modality.Apply(info.MaxStoredValue);
            (modLow, modHigh) = (Math.Min(a, b), Math.Max(a, b));
        }

        ILutStep voi = options.Voi switch
        {
            VoiMode.Explicit => new WindowLut(options.WindowCenter, options.WindowWidth, options.Function ?? VoiLutFunction.Linear),
            VoiMode.FullRange => new RangeLut(modLow, modHigh),
            _ => VoiFromDataset(dataset, options, modLow, modHigh, filePath),
        };

        var steps = new List<ILutStep> { modality, voi, new OutputLut() };
        if (info.IsMonochrome1 && options.InvertMonochrome1) steps.Add(new InvertLut());
        return new GrayscalePipeline(info, steps, options.Output);
    }

    private static ILutStep VoiFromDataset(DicomDataset ds, PresentationOptions options, double low, double high, string? filePath)
    {
        if (ds.TryGetSequence(DicomTag.VOILUTSequence, out var vseq) && vseq.Items.Count > 0)
        {
            var lut = TableLut.FromItem(vseq.Items[Math.Min(options.WindowIndex, vseq.Items.Count - 1)], false, filePath);
            return new ScaledTableLut(lut);
        }
        if (ds.TryGetDouble(DicomTag.WindowCenter, out var c, options.WindowIndex) &&
            ds.TryGetDouble(DicomTag.WindowWidth, out var w, options.WindowIndex))
        {
            var fn = options.Function ?? ParseFunction(ds.GetStringOrDefault(DicomTag.VOILUTFunction));
            bool valid = fn == VoiLutFunction.Linear ? w >= 1 : w > 0;
            if (!valid) throw new DicomFormatException($"Window width {w.ToString(CultureInfo.InvariantCulture)} is invalid for {fn}.", filePath, DicomTag.WindowWidth);
            return new WindowLut(c, w, fn);
        }
        return new RangeLut(low, high);
    }

    private static VoiLutFunction ParseFunction(string? value) => value?.Trim() switch
    {
        "LINEAR_EXACT" => VoiLutFunction.LinearExact,
        "SIGMOID" => VoiLutFunction.Sigmoid,
        _ => VoiLutFunction.Linear,
    };

    /// <summary>Applies every step to one stored value.</summary>
    public double Evaluate(double storedValue)
    {
        double v = storedValue;
        foreach (var s in Steps) v = s.Apply(v);
        return Output == OutputRange.Xrv ? v * 2048 - 1024 : v;
    }

    /// <summary>Renders a frame into <paramref name="destination"/> (length ≥ Rows * Columns), row-major.</summary>
    public void Render(PixelFrame frame, Span<float> destination)
    {
        if (frame.Info.SamplesPerPixel != 1) throw new ArgumentException("Grayscale rendering needs one sample per pixel.", nameof(frame));
        int n = frame.Length;
        if (destination.Length < n) throw new ArgumentException($"Destination needs {n} values.", nameof(destination));
        var dst = destination[..n];
        if (_table is null)
        {
            var values = frame.ToInt32Array();
            for (int i = 0; i < n; i++) dst[i] = (float)Evaluate(values[i]);
            return;
        }
        var table = _table;
        switch (frame.Info.BitsAllocated, frame.Info.IsSigned)
        {
            case (8, false): { var s = frame.AsBytes(); for (int i = 0; i < n; i++) dst[i] = table[s[i] - _tableOffset]; break; }
            case (16, false): { var s = frame.AsUInt16(); for (int i = 0; i < n; i++) dst[i] = table[s[i] - _tableOffset]; break; }
            case (16, true): { var s = frame.AsInt16(); for (int i = 0; i < n; i++) dst[i] = table[s[i] - _tableOffset]; break; }
            default:
            {
                var values = frame.ToInt32Array();
                for (int i = 0; i < n; i++) dst[i] = table[values[i] - _tableOffset];
                break;
            }
        }
    }

    /// <summary>Renders a frame into a new float32 array of Rows * Columns values, row-major.</summary>
    public float[] Render(PixelFrame frame)
    {
        var result = new float[frame.Length];
        Render(frame, result);
        return result;
    }

    /// <summary>VOI LUT table scaled to [0, 1] by its bits per entry.</summary>
    private sealed class ScaledTableLut(TableLut lut) : ILutStep
    {
        public double Apply(double value) => lut.Apply(value) / lut.MaxOutput;
    }
}
