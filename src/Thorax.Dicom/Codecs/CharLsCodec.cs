using System.Runtime.InteropServices;

namespace Thorax.Dicom.Codecs;

/// <summary>
/// JPEG-LS lossless and near-lossless through CharLS's C API (<c>libcharls.so.2</c>, Debian package libcharls2).
/// </summary>
public sealed partial class CharLsCodec : IPixelCodec
{
    private const string Library = "libcharls.so.2";
    private const string Package = "libcharls2";

    [StructLayout(LayoutKind.Sequential)]
    private struct FrameInfo
    {
        public uint Width;
        public uint Height;
        public int BitsPerSample;
        public int ComponentCount;
    }

    /// <inheritdoc/>
    public string Name => "CharLS (JPEG-LS)";

    /// <inheritdoc/>
    public IReadOnlyList<TransferSyntax> TransferSyntaxes { get; } = [TransferSyntax.JPEGLSLossless, TransferSyntax.JPEGLSNearLossless];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        try
        {
            DecodeNative(encoded, info, destination);
        }
        catch (Exception ex) when (NativeCodecLibrary.IsLoadFailure(ex))
        {
            throw NativeCodecLibrary.Missing(Library, Package, info.TransferSyntax, ex);
        }
    }

    private static unsafe void DecodeNative(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        // CharLS 2.4 can spin for seconds on a stream cut short before its EOI marker: 9.5 s for a 64x80 frame whose
        // fragment was truncated (thorax fuzz, DICOM structure mutator), 5 s for the same frame cut at 90 %, while the
        // same cuts with FF D9 appended fail at once. Entropy-coded JPEG-LS data never holds FF D9 (a 0xFF byte is
        // followed by a stuffed 0 bit), so a stream without it in its last bytes (after DICOM's zero padding) is
        // truncated and refused here.
        var tail = encoded.TrimEnd((byte)0);
        if (tail[Math.Max(0, tail.Length - 16)..].IndexOf([(byte)0xFF, (byte)0xD9]) < 0)
            throw new DicomFormatException($"JPEG-LS stream of {encoded.Length} bytes has no EOI marker (FF D9) at its end: it is truncated.", tag: DicomTag.PixelData);
        nint decoder = charls_jpegls_decoder_create();
        if (decoder == 0) throw new DicomCodecException("charls_jpegls_decoder_create failed.", info.TransferSyntax);
        try
        {
            fixed (byte* src = encoded)
            {
                Check(charls_jpegls_decoder_set_source_buffer(decoder, src, (nuint)encoded.Length), "setting the source");
                Check(charls_jpegls_decoder_read_header(decoder), "reading the header");
                FrameInfo fi;
                Check(charls_jpegls_decoder_get_frame_info(decoder, &fi), "reading frame info");
                int ilv;
                Check(charls_jpegls_decoder_get_interleave_mode(decoder, &ilv), "reading interleave mode");
                if (fi.Width != info.Columns || fi.Height != info.Rows || fi.ComponentCount != info.SamplesPerPixel)
                    throw new DicomFormatException(
                        $"JPEG-LS frame is {fi.Width}x{fi.Height}x{fi.ComponentCount} but the data set says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}.",
                        tag: DicomTag.PixelData);
                if (fi.BitsPerSample < 2 || fi.BitsPerSample > 16 || fi.BitsPerSample > info.BitsAllocated)
                    throw new DicomFormatException($"JPEG-LS precision {fi.BitsPerSample} does not fit BitsAllocated {info.BitsAllocated}.", tag: DicomTag.BitsAllocated);
                nuint size;
                Check(charls_jpegls_decoder_get_destination_size(decoder, 0, &size), "sizing the output");
                var decoded = new byte[(int)size];
                fixed (byte* dst = decoded)
                    Check(charls_jpegls_decoder_decode_to_buffer(decoder, dst, size, 0), "decoding");
                int codecBytes = fi.BitsPerSample <= 8 ? 1 : 2;
                Repack(decoded, codecBytes, ilv == 0 && info.SamplesPerPixel > 1, info, destination);
            }
        }
        finally
        {
            charls_jpegls_decoder_destroy(decoder);
        }
    }

    /// <summary>Copies codec output (1 or 2 bytes per sample, maybe planar) into interleaved samples of BytesPerSample.</summary>
    internal static void Repack(ReadOnlySpan<byte> src, int srcBytes, bool planar, PixelDataInfo info, Span<byte> dst)
    {
        int spp = info.SamplesPerPixel, pixels = info.Rows * info.Columns, dstBytes = info.BytesPerSample;
        if (!planar && srcBytes == dstBytes)
        {
            src[..dst.Length].CopyTo(dst);
            return;
        }
        dst.Clear();
        for (int s = 0; s < spp; s++)
            for (int p = 0; p < pixels; p++)
            {
                int si = (planar ? s * pixels + p : p * spp + s) * srcBytes;
                int di = (p * spp + s) * dstBytes;
                dst[di] = src[si];
                if (srcBytes > 1 && dstBytes > 1) dst[di + 1] = src[si + 1];
            }
    }

    private static void Check(int errc, string stage)
    {
        if (errc == 0) return;
        var msg = Marshal.PtrToStringUTF8(charls_get_error_message(errc)) ?? $"error {errc}";
        throw new DicomFormatException($"Corrupt JPEG-LS stream ({stage}): {msg}", tag: DicomTag.PixelData);
    }

    [LibraryImport(Library)]
    private static partial nint charls_jpegls_decoder_create();

    [LibraryImport(Library)]
    private static partial void charls_jpegls_decoder_destroy(nint decoder);

    [LibraryImport(Library)]
    private static unsafe partial int charls_jpegls_decoder_set_source_buffer(nint decoder, byte* source, nuint size);

    [LibraryImport(Library)]
    private static partial int charls_jpegls_decoder_read_header(nint decoder);

    [LibraryImport(Library)]
    private static unsafe partial int charls_jpegls_decoder_get_frame_info(nint decoder, FrameInfo* frameInfo);

    [LibraryImport(Library)]
    private static unsafe partial int charls_jpegls_decoder_get_interleave_mode(nint decoder, int* mode);

    [LibraryImport(Library)]
    private static unsafe partial int charls_jpegls_decoder_get_destination_size(nint decoder, uint stride, nuint* size);

    [LibraryImport(Library)]
    private static unsafe partial int charls_jpegls_decoder_decode_to_buffer(nint decoder, byte* destination, nuint size, uint stride);

    [LibraryImport(Library)]
    private static partial nint charls_get_error_message(int errc);
}
