using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Thorax.Dicom.Codecs;

namespace Thorax.Dicom;

/// <summary>Immutable map from transfer syntax to <see cref="IPixelCodec"/>; codecs are passed in explicitly.</summary>
public sealed class PixelCodecRegistry
{
    private readonly FrozenDictionary<string, IPixelCodec> _byUid;

    /// <summary>Registers <paramref name="codecs"/>; a later codec for the same syntax replaces an earlier one.</summary>
    public PixelCodecRegistry(IEnumerable<IPixelCodec> codecs)
    {
        var map = new Dictionary<string, IPixelCodec>(StringComparer.Ordinal);
        foreach (var codec in codecs)
            foreach (var ts in codec.TransferSyntaxes) map[ts.Uid] = codec;
        _byUid = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The built-in codecs: JPEG baseline/extended 8-bit (libturbojpeg) and 12-bit (managed <see cref="JpegDctCodec"/>,
    /// reached through <see cref="TurboJpegCodec"/>), JPEG lossless process 14 (managed),
    /// JPEG-LS (CharLS), JPEG 2000 (OpenJPEG) and RLE lossless (managed).
    /// </summary>
    public static PixelCodecRegistry Default { get; } = new(
    [
        new TurboJpegCodec(), new JpegLosslessCodec(), new CharLsCodec(), new OpenJpegCodec(), new RleCodec(),
    ]);

    /// <summary>Transfer syntaxes with a registered codec.</summary>
    public IEnumerable<TransferSyntax> Supported =>
        _byUid.Keys.Select(uid => TransferSyntax.TryLookup(uid, out var ts) ? ts : null).OfType<TransferSyntax>();

    /// <summary>Finds the codec for a transfer syntax.</summary>
    public bool TryGetCodec(TransferSyntax syntax, [NotNullWhen(true)] out IPixelCodec? codec) =>
        _byUid.TryGetValue(syntax.Uid, out codec);

    /// <summary>The codec for a transfer syntax.</summary>
    /// <exception cref="DicomCodecException">None registered.</exception>
    public IPixelCodec GetCodec(TransferSyntax syntax) =>
        TryGetCodec(syntax, out var c) ? c : throw new DicomCodecException($"No pixel codec is registered for {syntax}.", syntax);
}
