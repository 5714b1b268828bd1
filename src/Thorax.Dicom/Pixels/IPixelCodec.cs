namespace Thorax.Dicom;

/// <summary>
/// Decodes one compressed frame. Implementations are registered explicitly with a <see cref="PixelCodecRegistry"/>.
/// </summary>
public interface IPixelCodec
{
    /// <summary>Short name for messages, e.g. "libjpeg-turbo (TurboJPEG)".</summary>
    string Name { get; }

    /// <summary>Transfer syntaxes this codec decodes.</summary>
    IReadOnlyList<TransferSyntax> TransferSyntaxes { get; }

    /// <summary>
    /// Decodes <paramref name="encoded"/> (one frame's fragments, concatenated) into <paramref name="destination"/>:
    /// exactly <see cref="PixelDataInfo.FrameSizeBytes"/> bytes, row-major, samples interleaved, little endian,
    /// <see cref="PixelDataInfo.BytesPerSample"/> bytes per sample. Bits above the codec's precision are zero.
    /// </summary>
    /// <exception cref="DicomFormatException">The stream is corrupt or disagrees with <paramref name="info"/>.</exception>
    /// <exception cref="DicomCodecException">The native library is missing or the stream uses an unsupported feature.</exception>
    void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination);
}
