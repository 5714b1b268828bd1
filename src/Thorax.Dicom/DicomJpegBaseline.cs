using System.Globalization;
using System.Runtime.InteropServices;
using Thorax.Dicom.Codecs;

namespace Thorax.Dicom;

/// <summary>
/// JPEG Baseline (Process 1, transfer syntax 1.2.840.10008.1.2.4.50) compression of 8-bit grey images through
/// libjpeg-turbo's TurboJPEG API (<c>libturbojpeg.so.0</c>, Debian package libturbojpeg0): one grey component, 8-bit
/// samples, standard Huffman tables, quantisation tables scaled by the libjpeg quality and limited to baseline (values
/// up to 255), forward DCT with libjpeg's accurate integer method (ISLOW), no JFIF APP0 segment (the data set's
/// Photometric Interpretation governs display). The stored values are compressed as they are,
/// so MONOCHROME1 images stay MONOCHROME1. Thread-safe: each call owns its TurboJPEG handle.
/// </summary>
public static partial class DicomJpegBaseline
{
    /// <summary>Default libjpeg quality (95: visually lossless for radiographs, about 4-8x smaller than native).</summary>
    public const int DefaultQuality = 95;

    /// <summary>Defined term of Lossy Image Compression Method (0028,2114) for JPEG lossy compression.</summary>
    public const string CompressionMethod = "ISO_10918_1";

    private const string Library = "libturbojpeg.so.0";
    private const string Package = "libturbojpeg0";
    private const int PixelFormatGray = 6;     // TJPF_GRAY
    private const int SubsamplingGray = 3;     // TJSAMP_GRAY
    private const int FlagAccurateDct = 4096;  // TJFLAG_ACCURATEDCT

    /// <summary>
    /// A copy of <paramref name="dataset"/> whose Pixel Data holds every frame compressed as JPEG Baseline (one
    /// fragment per frame, with a Basic Offset Table; see <see cref="DicomWriter.Encapsulate"/>), with Lossy Image
    /// Compression (0028,2110) = "01", Lossy Image Compression Ratio (0028,2112) = native bytes / compressed bytes and
    /// Lossy Image Compression Method (0028,2114) = ISO_10918_1. When the source was already lossy ("01"), the new
    /// ratio and method are appended to the existing values, as PS3.3 C.7.6.1.1.5 asks for successive compressions.
    /// Write the result with <see cref="DicomWriter.Write(Stream, DicomDataset, DicomDataset, TransferSyntax)"/> and
    /// <see cref="TransferSyntax.JPEGBaseline8Bit"/>.
    /// </summary>
    /// <param name="dataset">Data set with native Pixel Data: SamplesPerPixel 1, BitsAllocated 8, BitsStored at most 8,
    /// PixelRepresentation 0, PhotometricInterpretation MONOCHROME1 or MONOCHROME2.</param>
    /// <param name="quality">libjpeg quality 1..100.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quality"/> outside 1..100.</exception>
    /// <exception cref="DicomDataException">Missing or unsuitable pixel module attributes or Pixel Data (the exception
    /// names the element).</exception>
    /// <exception cref="DicomCodecException">libturbojpeg is not installed or failed.</exception>
    public static DicomDataset Encode(DicomDataset dataset, int quality = DefaultQuality)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        int rows = Require(dataset, DicomTag.Rows, 1, ushort.MaxValue);
        int columns = Require(dataset, DicomTag.Columns, 1, ushort.MaxValue);
        Require(dataset, DicomTag.SamplesPerPixel, 1, 1);
        Require(dataset, DicomTag.BitsAllocated, 8, 8);
        Require(dataset, DicomTag.BitsStored, 1, 8);
        Require(dataset, DicomTag.PixelRepresentation, 0, 0);
        string photometric = dataset.GetStringOrDefault(DicomTag.PhotometricInterpretation)?.Trim() ?? "";
        if (photometric is not ("MONOCHROME1" or "MONOCHROME2"))
            throw new DicomDataException(
                $"JPEG Baseline compression here handles grey images; PhotometricInterpretation is '{photometric}', expected MONOCHROME1 or MONOCHROME2.",
                DicomTag.PhotometricInterpretation);
        int frames = dataset.GetIntOrDefault(DicomTag.NumberOfFrames, 1);
        if (frames < 1)
            throw new DicomDataException($"NumberOfFrames is {frames}; expected at least 1.", DicomTag.NumberOfFrames);
        if (!dataset.TryGetItem(DicomTag.PixelData, out var item) || item is not DicomElement native)
            throw new DicomDataException(
                item is null ? "The data set has no Pixel Data (7FE0,0010)." : "Pixel Data (7FE0,0010) is not native; decode it first.",
                DicomTag.PixelData);
        long frameBytes = (long)rows * columns;
        if (native.Length < frameBytes * frames)
            throw new DicomDataException(
                $"Pixel Data holds {native.Length} bytes but {frames} frame(s) of {rows}x{columns} at 8 bits need {frameBytes * frames}.",
                DicomTag.PixelData);

        var compressed = new ReadOnlyMemory<byte>[frames];
        long total = 0;
        for (int f = 0; f < frames; f++)
        {
            compressed[f] = EncodeFrame(native.Data.Span.Slice((int)(f * frameBytes), (int)frameBytes), columns, rows, quality);
            total += compressed[f].Length;
        }

        var result = new DicomDataset();
        foreach (var element in dataset) result.AddOrUpdate(element);
        result.AddOrUpdate(DicomWriter.Encapsulate(compressed));
        double ratio = (double)(frameBytes * frames) / total;
        string ratioText = FormatRatio(ratio);
        bool wasLossy = dataset.GetStringOrDefault(DicomTag.LossyImageCompression)?.Trim() == "01";
        var ratios = wasLossy && dataset.TryGetStrings(DicomTag.LossyImageCompressionRatio, out var oldRatios) ? [.. oldRatios, ratioText] : new[] { ratioText };
        var methods = wasLossy && dataset.TryGetStrings(DicomTag.LossyImageCompressionMethod, out var oldMethods) ? [.. oldMethods, CompressionMethod] : new[] { CompressionMethod };
        result.AddOrUpdate(DicomTag.LossyImageCompression, DicomVR.CS, "01");
        result.AddOrUpdate(DicomTag.LossyImageCompressionRatio, DicomVR.DS, string.Join('\\', ratios));
        result.AddOrUpdate(DicomTag.LossyImageCompressionMethod, DicomVR.CS, string.Join('\\', methods));
        return result;
    }

    /// <summary>Compresses one 8-bit grey frame (row-major, <paramref name="width"/> x <paramref name="height"/>) to a
    /// complete JPEG Baseline stream (SOI..EOI, SOF0, 8-bit precision, one component).</summary>
    /// <param name="pixels">At least width x height samples.</param>
    /// <param name="width">Columns, 1..65535.</param>
    /// <param name="height">Rows, 1..65535.</param>
    /// <param name="quality">libjpeg quality 1..100.</param>
    /// <exception cref="ArgumentException">Sizes out of range or too few pixels.</exception>
    /// <exception cref="DicomCodecException">libturbojpeg is not installed or failed.</exception>
    public static byte[] EncodeFrame(ReadOnlySpan<byte> pixels, int width, int height, int quality = DefaultQuality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (pixels.Length < (long)width * height)
            throw new ArgumentException($"A {width}x{height} frame needs {(long)width * height} bytes; got {pixels.Length}.", nameof(pixels));
        try
        {
            return EncodeNative(pixels, width, height, quality);
        }
        catch (Exception ex) when (NativeCodecLibrary.IsLoadFailure(ex))
        {
            throw NativeCodecLibrary.Missing(Library, Package, TransferSyntax.JPEGBaseline8Bit, ex);
        }
    }

    /// <summary>Formats a compression ratio for a DS value (at most 16 characters, invariant culture).</summary>
    internal static string FormatRatio(double ratio) =>
        ratio >= 1e6 ? ratio.ToString("0", CultureInfo.InvariantCulture) : ratio.ToString("0.###", CultureInfo.InvariantCulture);

    private static unsafe byte[] EncodeNative(ReadOnlySpan<byte> pixels, int width, int height, int quality)
    {
        nint handle = tjInitCompress();
        if (handle == 0) throw new DicomCodecException("tjInitCompress failed.", TransferSyntax.JPEGBaseline8Bit);
        nint buffer = 0;
        try
        {
            nuint size = 0;
            fixed (byte* src = pixels)
            {
                if (tjCompress2(handle, src, width, width, height, PixelFormatGray, &buffer, &size, SubsamplingGray, quality, FlagAccurateDct) != 0)
                {
                    var msg = Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";
                    throw new DicomCodecException($"JPEG Baseline compression failed: {msg}", TransferSyntax.JPEGBaseline8Bit);
                }
            }
            return WithoutJfifHeader(new ReadOnlySpan<byte>((void*)buffer, checked((int)size)));
        }
        finally
        {
            if (buffer != 0) tjFree(buffer);
            tjDestroy(handle);
        }
    }

    /// <summary>Copies the stream without the JFIF APP0 segment TurboJPEG writes after SOI: the Photometric
    /// Interpretation of the data set, not JFIF (which implies 0 = black), says how to display the values, and
    /// MONOCHROME1 data would contradict it.</summary>
    internal static byte[] WithoutJfifHeader(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length > 11 && jpeg[0] == 0xFF && jpeg[1] == 0xD8 && jpeg[2] == 0xFF && jpeg[3] == 0xE0
            && jpeg.Slice(6, 5).SequenceEqual("JFIF\0"u8))
        {
            int segment = 2 + (jpeg[4] << 8 | jpeg[5]);
            if (2 + segment <= jpeg.Length)
            {
                var result = new byte[jpeg.Length - segment];
                jpeg[..2].CopyTo(result);
                jpeg[(2 + segment)..].CopyTo(result.AsSpan(2));
                return result;
            }
        }
        return jpeg.ToArray();
    }

    private static int Require(DicomDataset dataset, DicomTag tag, int min, int max)
    {
        if (!dataset.TryGetInt(tag, out int value))
            throw new DicomDataException($"{DicomDictionaryName(tag)} {tag} is missing; JPEG Baseline compression needs it.", tag);
        if (value < min || value > max)
            throw new DicomDataException(
                min == max
                    ? $"{DicomDictionaryName(tag)} {tag} is {value}; JPEG Baseline compression of grey 8-bit data needs {min}."
                    : $"{DicomDictionaryName(tag)} {tag} is {value}; JPEG Baseline compression of grey 8-bit data needs {min}..{max}.",
                tag);
        return value;
    }

    private static string DicomDictionaryName(DicomTag tag) =>
        DicomDictionary.TryGet(tag, out var entry) ? entry.Keyword : "Element";

    [LibraryImport(Library)]
    private static partial nint tjInitCompress();

    [LibraryImport(Library)]
    private static unsafe partial int tjCompress2(nint handle, byte* srcBuf, int width, int pitch, int height, int pixelFormat,
        nint* jpegBuf, nuint* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [LibraryImport(Library)]
    private static partial void tjFree(nint buffer);

    [LibraryImport(Library)]
    private static partial nint tjGetErrorStr2(nint handle);

    [LibraryImport(Library)]
    private static partial int tjDestroy(nint handle);
}
