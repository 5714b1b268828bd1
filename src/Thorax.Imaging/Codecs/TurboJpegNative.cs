using System.Runtime.InteropServices;

namespace Thorax.Imaging.Codecs;

/// <summary>P/Invoke declarations for libjpeg-turbo's TurboJPEG 2.x API (Debian package libturbojpeg0).</summary>
internal static partial class TurboJpegNative
{
    private const string Lib = "libturbojpeg.so.0";

    public const int PixelFormatRgb = 0;   // TJPF_RGB
    public const int PixelFormatGray = 6;  // TJPF_GRAY
    public const int ColorspaceGray = 2;   // TJCS_GRAY
    public const int ColorspaceRgb = 0;    // TJCS_RGB
    public const int ColorspaceYCbCr = 1;  // TJCS_YCbCr
    public const int FlagAccurateDct = 4096;  // TJFLAG_ACCURATEDCT (JDCT_ISLOW)
    public const int ErrorFatal = 1;       // TJERR_FATAL

    [LibraryImport(Lib)]
    public static partial IntPtr tjInitDecompress();

    [LibraryImport(Lib)]
    public static partial IntPtr tjInitCompress();

    [LibraryImport(Lib)]
    public static unsafe partial int tjDecompressHeader3(IntPtr handle, byte* jpegBuf, nuint jpegSize,
        out int width, out int height, out int jpegSubsamp, out int jpegColorspace);

    [LibraryImport(Lib)]
    public static unsafe partial int tjDecompress2(IntPtr handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Lib)]
    public static unsafe partial int tjCompress2(IntPtr handle, byte* srcBuf, int width, int pitch, int height,
        int pixelFormat, ref IntPtr jpegBuf, ref nuint jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [LibraryImport(Lib)]
    public static partial void tjFree(IntPtr buffer);

    [LibraryImport(Lib)]
    public static partial IntPtr tjGetErrorStr2(IntPtr handle);

    [LibraryImport(Lib)]
    public static partial int tjGetErrorCode(IntPtr handle);

    [LibraryImport(Lib)]
    public static partial int tjDestroy(IntPtr handle);

    public static string LastError(IntPtr handle) =>
        Marshal.PtrToStringAnsi(tjGetErrorStr2(handle)) ?? "unknown TurboJPEG error";
}
