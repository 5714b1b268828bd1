namespace Thorax.Dicom;

/// <summary>
/// The image pixel module attributes that describe how frames are stored (PS3.3 C.7.6.3), read from a data set.
/// </summary>
/// <param name="Rows">Image height, pixels.</param>
/// <param name="Columns">Image width, pixels.</param>
/// <param name="SamplesPerPixel">1 for MONOCHROME1/2, 3 for RGB/YBR.</param>
/// <param name="BitsAllocated">1 (binary, e.g. Segmentation; native data only), 8, 16 or 32 bits per sample as stored.</param>
/// <param name="BitsStored">Significant bits per sample (1..BitsAllocated).</param>
/// <param name="HighBit">Most significant stored bit (usually BitsStored - 1).</param>
/// <param name="IsSigned">PixelRepresentation 1 (two's complement) when true.</param>
/// <param name="PlanarConfiguration">0 = samples interleaved per pixel, 1 = one plane per sample (native data only).</param>
/// <param name="NumberOfFrames">Frames in the pixel data (1 when the attribute is absent).</param>
/// <param name="PhotometricInterpretation">e.g. "MONOCHROME2", "MONOCHROME1", "RGB", "YBR_FULL_422".</param>
/// <param name="TransferSyntax">Encoding of the pixel data.</param>
public sealed record PixelDataInfo(
    int Rows, int Columns, int SamplesPerPixel, int BitsAllocated, int BitsStored, int HighBit, bool IsSigned,
    int PlanarConfiguration, int NumberOfFrames, string PhotometricInterpretation, TransferSyntax TransferSyntax)
{
    /// <summary>Bytes per sample in decoded frames: 1 (BitsAllocated 1 or 8), 2 or 4.</summary>
    public int BytesPerSample => BitsAllocated == 1 ? 1 : BitsAllocated / 8;

    /// <summary>Samples in one decoded frame: Rows * Columns * SamplesPerPixel.</summary>
    public long SamplesPerFrame => (long)Rows * Columns * SamplesPerPixel;

    /// <summary>Bytes in one decoded frame (<see cref="PixelFrame.Data"/>).</summary>
    public long FrameSizeBytes => SamplesPerFrame * BytesPerSample;

    /// <summary>True for YBR_FULL_422 and YBR_PARTIAL_422: in native data each pair of pixels of a row is stored as
    /// Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2); decoded frames hold Y Cb Cr for every pixel.</summary>
    public bool IsChromaSubsampled422 => PhotometricInterpretation is "YBR_FULL_422" or "YBR_PARTIAL_422";

    /// <summary>Bits one frame occupies in native (uncompressed) Pixel Data: Rows * Columns * SamplesPerPixel *
    /// BitsAllocated, or Rows * Columns * 2 * BitsAllocated for 4:2:2 data. With BitsAllocated 1 frames are not
    /// byte-aligned (PS3.5 8.1.1: frames are concatenated bit after bit).</summary>
    public long NativeFrameBits => IsChromaSubsampled422 ? (long)Rows * Columns * 2 * BitsAllocated : SamplesPerFrame * BitsAllocated;

    /// <summary>Bytes all frames occupy in native Pixel Data, before the padding to even length.</summary>
    public long NativeDataBytes => (NativeFrameBits * NumberOfFrames + 7) / 8;

    /// <summary>True for MONOCHROME1 (minimum value displayed white).</summary>
    public bool IsMonochrome1 => PhotometricInterpretation == "MONOCHROME1";

    /// <summary>True for MONOCHROME1 or MONOCHROME2.</summary>
    public bool IsMonochrome => PhotometricInterpretation is "MONOCHROME1" or "MONOCHROME2";

    /// <summary>Smallest representable stored value (e.g. -2048 for 12-bit signed, 0 for unsigned).</summary>
    public long MinStoredValue => IsSigned ? -(1L << (BitsStored - 1)) : 0;

    /// <summary>Largest representable stored value (e.g. 4095 for 12-bit unsigned).</summary>
    public long MaxStoredValue => IsSigned ? (1L << (BitsStored - 1)) - 1 : (1L << BitsStored) - 1;

    /// <summary>Reads and validates the pixel module of <paramref name="dataset"/>.</summary>
    /// <exception cref="DicomFormatException">A required attribute is missing or inconsistent.</exception>
    public static PixelDataInfo FromDataset(DicomDataset dataset, TransferSyntax syntax, string? filePath = null)
    {
        int Req(DicomTag tag)
        {
            if (!dataset.TryGetInt(tag, out var v))
                throw new DicomFormatException($"Pixel module attribute {DicomTags.KeywordOf(tag)} is missing or not an integer.", filePath, tag);
            return v;
        }
        int rows = Req(DicomTag.Rows), cols = Req(DicomTag.Columns), ba = Req(DicomTag.BitsAllocated);
        int spp = dataset.GetIntOrDefault(DicomTag.SamplesPerPixel, 1);
        int bs = dataset.GetIntOrDefault(DicomTag.BitsStored, ba);
        int hb = dataset.GetIntOrDefault(DicomTag.HighBit, bs - 1);
        int pr = dataset.GetIntOrDefault(DicomTag.PixelRepresentation, 0);
        int pc = dataset.GetIntOrDefault(DicomTag.PlanarConfiguration, 0);
        int frames = dataset.GetIntOrDefault(DicomTag.NumberOfFrames, 1);
        string pi = dataset.GetStringOrDefault(DicomTag.PhotometricInterpretation, spp == 1 ? "MONOCHROME2" : "RGB")!;

        if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535)
            throw new DicomFormatException($"Invalid image size {rows}x{cols}.", filePath, DicomTag.Rows);
        if (ba is not (1 or 8 or 16 or 32))
            throw new DicomFormatException($"BitsAllocated {ba} is not supported (1, 8, 16 or 32).", filePath, DicomTag.BitsAllocated);
        if (bs < 1 || bs > ba)
            throw new DicomFormatException($"BitsStored {bs} is outside 1..BitsAllocated ({ba}).", filePath, DicomTag.BitsStored);
        if (hb < bs - 1 || hb >= ba)
            throw new DicomFormatException($"HighBit {hb} is inconsistent with BitsStored {bs} and BitsAllocated {ba}.", filePath, DicomTag.HighBit);
        if (spp is not (1 or 3))
            throw new DicomFormatException($"SamplesPerPixel {spp} is not supported (1 or 3).", filePath, DicomTag.SamplesPerPixel);
        if (pr is not (0 or 1))
            throw new DicomFormatException($"PixelRepresentation {pr} must be 0 or 1.", filePath, DicomTag.PixelRepresentation);
        if (pc is not (0 or 1))
            throw new DicomFormatException($"PlanarConfiguration {pc} must be 0 or 1.", filePath, DicomTag.PlanarConfiguration);
        if (frames < 1 || frames > 100_000)
            throw new DicomFormatException($"NumberOfFrames {frames} is invalid.", filePath, DicomTag.NumberOfFrames);
        if (pi.Trim() is "MONOCHROME1" or "MONOCHROME2" && spp != 1)
        {
            // PS3.3 C.7.6.3.1.2: monochrome images have one sample per pixel. A MONOCHROME2 file with SamplesPerPixel 3
            // passed here and failed in GrayscalePipeline.Render with an ArgumentException (thorax fuzz --format
            // dicom-structure --seed 7, cases 27993, 54674, 71782, 94411).
            throw new DicomFormatException($"{pi.Trim()} needs SamplesPerPixel 1, not {spp}.", filePath, DicomTag.SamplesPerPixel);
        }
        if (ba == 1)
        {
            // Binary images (Segmentation, PS3.3 C.8.20.2): one unsigned bit per pixel, bits packed across frames.
            if (syntax.IsEncapsulated)
                throw new DicomFormatException($"BitsAllocated 1 is defined for native Pixel Data only, not for {syntax.Name}.", filePath, DicomTag.BitsAllocated);
            if (spp != 1)
                throw new DicomFormatException($"BitsAllocated 1 needs SamplesPerPixel 1, not {spp}.", filePath, DicomTag.SamplesPerPixel);
            if (pr != 0)
                throw new DicomFormatException("BitsAllocated 1 needs PixelRepresentation 0 (unsigned).", filePath, DicomTag.PixelRepresentation);
        }
        if (pi.Trim() is "YBR_FULL_422" or "YBR_PARTIAL_422" && !syntax.IsEncapsulated)
        {
            // Native 4:2:2: Y1 Y2 Cb Cr per horizontal pixel pair, interleaved (PS3.3 C.7.6.3.1.2).
            if (spp != 3)
                throw new DicomFormatException($"{pi.Trim()} needs SamplesPerPixel 3, not {spp}.", filePath, DicomTag.SamplesPerPixel);
            if (cols % 2 != 0)
                throw new DicomFormatException($"{pi.Trim()} stores pixel pairs; Columns {cols} is odd.", filePath, DicomTag.Columns);
            if (pc != 0)
                throw new DicomFormatException($"{pi.Trim()} native data is interleaved (PlanarConfiguration 0), not {pc}.", filePath, DicomTag.PlanarConfiguration);
            if (ba == 32)
                throw new DicomFormatException($"{pi.Trim()} with BitsAllocated 32 is not supported (8 or 16).", filePath, DicomTag.BitsAllocated);
        }
        return new PixelDataInfo(rows, cols, spp, ba, bs, hb, pr == 1, pc, frames, pi.Trim(), syntax);
    }
}
