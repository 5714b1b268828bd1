namespace Thorax.Imaging.Codecs;

/// <summary>
/// Baseline/progressive JPEG decoding and baseline encoding through libjpeg-turbo's TurboJPEG library
/// (<c>libturbojpeg.so.0</c>). Decoding uses the accurate integer IDCT (ISLOW) and fancy upsampling, which is what
/// PIL does by default, so decoded pixels equal PIL's; encoding produces the same bytes as PIL's JPEG save
/// (see <see cref="Encode"/>).
/// </summary>
/// <remarks>
/// libjpeg warnings (e.g. extraneous bytes) are tolerated like PIL does; fatal errors raise
/// <see cref="ImageFormatException"/>. A missing native library raises <see cref="ImagingException"/>.
/// Each call creates and destroys its own TurboJPEG handle, so the methods are thread-safe.
/// </remarks>
public static class Jpeg
{
    /// <summary>Decodes a JPEG in memory to 8-bit grey (1 channel) or RGB (3 channels).</summary>
    /// <param name="data">The complete JPEG stream (SOI..EOI), e.g. one DICOM fragment.</param>
    /// <param name="filePath">Optional path used only in error messages.</param>
    /// <exception cref="ImageFormatException">The data is not a decodable 8-bit grey/YCbCr/RGB JPEG.</exception>
    public static unsafe Image<byte> Decode(ReadOnlySpan<byte> data, string? filePath = null)
    {
        if (data.IsEmpty) throw new ImageFormatException("empty JPEG data", filePath, 0, "SOI");
        IntPtr h = Init(decompress: true);
        try
        {
            fixed (byte* src = data)
            {
                if (TurboJpegNative.tjDecompressHeader3(h, src, (nuint)data.Length, out int w, out int ht, out _, out int cs) != 0)
                    throw new ImageFormatException($"bad JPEG header: {TurboJpegNative.LastError(h)}", filePath, 0, "SOF");
                if (w <= 0 || ht <= 0)
                    throw new ImageFormatException($"invalid JPEG dimensions {w}x{ht}", filePath, null, "SOF");
                // Every 8x8 block costs at least one bit of Huffman-coded data (its DC difference), so the data bounds
                // the pixel count; the header alone must not make us allocate (and decode for seconds) a huge image.
                if ((long)w * ht > MaxPixels(data.Length))
                    throw new ImageFormatException($"JPEG header declares {w}x{ht} pixels, more than {data.Length} bytes of JPEG data can encode " +
                                                   $"(at most {MaxPixels(data.Length)} pixels); the file is corrupt or truncated", filePath, null, "SOF");
                if (cs is not (TurboJpegNative.ColorspaceGray or TurboJpegNative.ColorspaceYCbCr or TurboJpegNative.ColorspaceRgb))
                    throw new ImageFormatException($"unsupported JPEG colourspace {cs} (CMYK/YCCK)", filePath, null, "colorspace");
                int channels = cs == TurboJpegNative.ColorspaceGray ? 1 : 3;
                int fmt = channels == 1 ? TurboJpegNative.PixelFormatGray : TurboJpegNative.PixelFormatRgb;
                var img = new Image<byte>(w, ht, channels);
                fixed (byte* dst = img.Data)
                {
                    int rc = TurboJpegNative.tjDecompress2(h, src, (nuint)data.Length, dst, w, w * channels, ht, fmt,
                        TurboJpegNative.FlagAccurateDct);
                    if (rc != 0 && TurboJpegNative.tjGetErrorCode(h) == TurboJpegNative.ErrorFatal)
                        throw new ImageFormatException($"JPEG decode failed: {TurboJpegNative.LastError(h)}", filePath, null, "scan");
                }
                return img;
            }
        }
        finally
        {
            TurboJpegNative.tjDestroy(h);
        }
    }

    /// <summary>
    /// The most pixels <paramref name="dataLength"/> bytes of JPEG may declare: 1024 per byte (twice the 512 of one bit
    /// per 8x8 block, the least a Huffman-coded block can cost), and never less than 16.7 megapixels (4096 x 4096).
    /// </summary>
    public static long MaxPixels(int dataLength) => Math.Max(1L << 24, 1024L * dataLength);

    /// <summary>Reads and decodes a JPEG file.</summary>
    public static Image<byte> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Encodes an 8-bit grey (1 channel) or RGB (3 channels) image as baseline JPEG.</summary>
    /// <param name="image">Pixels to encode.</param>
    /// <param name="quality">libjpeg quality 1..100 (PIL's default is 75).</param>
    /// <param name="subsampling">Chroma subsampling for RGB input (PIL's default is 4:2:0 at every quality);
    /// ignored for grey, which is written as a single-component JPEG.</param>
    /// <returns>The complete JPEG stream.</returns>
    /// <remarks>
    /// <para>PIL parity: the bytes equal those of PIL's <c>Image.save(f, "JPEG", quality=q, subsampling=s)</c> for the
    /// same pixels (PIL mode L for 1 channel, RGB for 3), headers included, when PIL links the same libjpeg-turbo
    /// release as <c>libturbojpeg.so.0</c> (checked against PIL 9.4 on libjpeg-turbo 2.1.5). Calling without
    /// <paramref name="quality"/>/<paramref name="subsampling"/> equals PIL's defaults. Both sides run
    /// <c>jpeg_set_defaults</c> + <c>jpeg_set_quality(q, force_baseline)</c>: the IJG luminance/chrominance tables scaled
    /// by quality, the standard Huffman tables (no optimisation), the accurate integer forward DCT (ISLOW, PIL's
    /// default), no smoothing, no restart markers, a single sequential baseline scan, and a JFIF 1.01 APP0 header with
    /// density 1:1 and no unit (PIL writes dpi only when given <c>dpi=</c>); no EXIF, ICC or comment segments. Pixels at
    /// the right/bottom edge of partial MCUs are replicated the same way, and RGB is converted to YCbCr and chroma
    /// downsampled by the same libjpeg routines.</para>
    /// <para>TurboJPEG honours the environment variables <c>TJ_OPTIMIZE</c>, <c>TJ_ARITHMETIC</c>, <c>TJ_RESTART</c> and
    /// <c>TJ_PROGRESSIVE</c>; when one of them is set the output is still a valid JPEG but no longer PIL's bytes.</para>
    /// </remarks>
    public static unsafe byte[] Encode(Image<byte> image, int quality = 75, JpegSubsampling subsampling = JpegSubsampling.S420)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (image.Channels is not (1 or 3))
            throw new ArgumentException($"JPEG encoding needs 1 or 3 channels, got {image.Channels}.", nameof(image));
        int fmt = image.Channels == 1 ? TurboJpegNative.PixelFormatGray : TurboJpegNative.PixelFormatRgb;
        int samp = image.Channels == 1 ? 3 /* TJSAMP_GRAY */ : (int)subsampling;
        IntPtr h = Init(decompress: false);
        IntPtr buf = IntPtr.Zero;
        try
        {
            nuint size = 0;
            fixed (byte* src = image.Data)
            {
                if (TurboJpegNative.tjCompress2(h, src, image.Width, image.RowLength, image.Height, fmt, ref buf, ref size,
                        samp, quality, TurboJpegNative.FlagAccurateDct) != 0)
                    throw new ImagingException($"JPEG encode failed: {TurboJpegNative.LastError(h)}");
            }
            var result = new byte[(int)size];
            new ReadOnlySpan<byte>((void*)buf, (int)size).CopyTo(result);
            return result;
        }
        finally
        {
            if (buf != IntPtr.Zero) TurboJpegNative.tjFree(buf);
            TurboJpegNative.tjDestroy(h);
        }
    }

    /// <summary>Encodes (see <see cref="Encode"/>, byte-identical to PIL's <c>save</c>) and writes a JPEG atomically
    /// (temporary file + rename).</summary>
    public static void Write(string path, Image<byte> image, int quality = 75, JpegSubsampling subsampling = JpegSubsampling.S420)
    {
        byte[] bytes = Encode(image, quality, subsampling);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    private static IntPtr Init(bool decompress)
    {
        IntPtr h;
        try
        {
            h = decompress ? TurboJpegNative.tjInitDecompress() : TurboJpegNative.tjInitCompress();
        }
        catch (DllNotFoundException e)
        {
            throw new ImagingException("libturbojpeg.so.0 not found; install the libturbojpeg0 package.", e);
        }
        if (h == IntPtr.Zero) throw new ImagingException("TurboJPEG handle could not be created.");
        return h;
    }
}
