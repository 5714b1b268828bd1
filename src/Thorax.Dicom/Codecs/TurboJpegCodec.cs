using System.Runtime.InteropServices;

namespace Thorax.Dicom.Codecs;

/// <summary>
/// JPEG Baseline (process 1) and 8-bit JPEG Extended (process 2/4) through libjpeg-turbo's TurboJPEG API
/// (<c>libturbojpeg.so.0</c>, Debian package libturbojpeg0), decoded with the accurate integer IDCT (libjpeg ISLOW),
/// so results match libjpeg/dcmtk/Pillow. One or three components. Frames with 12-bit sample precision (which
/// libjpeg-turbo 2.x cannot decode) go to the managed <see cref="JpegDctCodec"/>, which reproduces libjpeg's 12-bit
/// ISLOW output; they need no native library.
/// </summary>
public sealed partial class TurboJpegCodec : IPixelCodec
{
    private const string Library = "libturbojpeg.so.0";
    private const string Package = "libturbojpeg0";
    private const int PixelFormatRgb = 0, PixelFormatGray = 6;
    private const int FlagAccurateDct = 4096;
    private readonly JpegDctCodec _managed12Bit = new();

    /// <inheritdoc/>
    public string Name => "libjpeg-turbo (TurboJPEG)";

    /// <inheritdoc/>
    public IReadOnlyList<TransferSyntax> TransferSyntaxes { get; } = [TransferSyntax.JPEGBaseline8Bit, TransferSyntax.JPEGExtended12Bit];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        var header = JpegFrameHeader.Find(encoded)
            ?? throw new DicomFormatException("Corrupt JPEG stream: no SOI/SOF marker found.", tag: DicomTag.PixelData);
        if (header.Precision == 12 && header.SofMarker is 0xC0 or 0xC1)
        {
            _managed12Bit.Decode(encoded, info, destination);
            return;
        }
        if (header.Precision != 8)
            throw new DicomCodecException(
                $"{header.Precision}-bit JPEG (SOF{header.SofMarker - 0xC0}) is not supported: libturbojpeg 2.x decodes 8-bit samples only and the managed decoder handles 12-bit SOF0/SOF1.",
                info.TransferSyntax);
        if (header.Width != info.Columns || header.Height != info.Rows || header.Components != info.SamplesPerPixel)
            throw new DicomFormatException(
                $"JPEG frame is {header.Width}x{header.Height}x{header.Components} but the data set says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}.",
                tag: DicomTag.PixelData);
        if (info.BitsAllocated != 8)
            throw new DicomFormatException($"8-bit JPEG data with BitsAllocated {info.BitsAllocated}.", tag: DicomTag.BitsAllocated);
        int pixelFormat = info.SamplesPerPixel == 1 ? PixelFormatGray : PixelFormatRgb;
        try
        {
            DecodeNative(encoded, info, destination, pixelFormat);
        }
        catch (Exception ex) when (NativeCodecLibrary.IsLoadFailure(ex))
        {
            throw NativeCodecLibrary.Missing(Library, Package, info.TransferSyntax, ex);
        }
    }

    private static unsafe void DecodeNative(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination, int pixelFormat)
    {
        nint handle = tjInitDecompress();
        if (handle == 0) throw new DicomCodecException("tjInitDecompress failed.", info.TransferSyntax);
        try
        {
            fixed (byte* src = encoded)
            fixed (byte* dst = destination)
            {
                int w, h, sub, cs;
                if (tjDecompressHeader3(handle, src, (nuint)encoded.Length, &w, &h, &sub, &cs) != 0)
                    throw Corrupt(handle, "reading the header");
                if (w != info.Columns || h != info.Rows)
                    throw new DicomFormatException($"JPEG header says {w}x{h}, data set says {info.Columns}x{info.Rows}.", tag: DicomTag.PixelData);
                if (tjDecompress2(handle, src, (nuint)encoded.Length, dst, w, 0, h, pixelFormat, FlagAccurateDct) != 0)
                    throw Corrupt(handle, "decoding");
            }
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    private static DicomFormatException Corrupt(nint handle, string stage)
    {
        var msg = Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";
        return new DicomFormatException($"Corrupt JPEG stream ({stage}): {msg}", tag: DicomTag.PixelData);
    }

    [LibraryImport(Library)]
    private static partial nint tjInitDecompress();

    [LibraryImport(Library)]
    private static unsafe partial int tjDecompressHeader3(nint handle, byte* jpegBuf, nuint jpegSize, int* width, int* height, int* subsamp, int* colorspace);

    [LibraryImport(Library)]
    private static unsafe partial int tjDecompress2(nint handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library)]
    private static partial nint tjGetErrorStr2(nint handle);

    [LibraryImport(Library)]
    private static partial int tjDestroy(nint handle);
}
