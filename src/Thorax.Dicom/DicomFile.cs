using System.Buffers.Binary;
using System.IO.Compression;

namespace Thorax.Dicom;

/// <summary>
/// A DICOM Part 10 file (or a bare data set without the 128-byte preamble and meta group): file meta information,
/// the data set and the transfer syntax that encoded it.
/// </summary>
public sealed class DicomFile
{
    /// <summary>Creates a file object from parts (e.g. to write a new file).</summary>
    public DicomFile(DicomDataset fileMetaInfo, DicomDataset dataset, TransferSyntax transferSyntax, string? filePath = null)
    {
        FileMetaInfo = fileMetaInfo;
        Dataset = dataset;
        TransferSyntax = transferSyntax;
        FilePath = filePath;
    }

    /// <summary>The path the file was read from, or null.</summary>
    public string? FilePath { get; }

    /// <summary>Group 0002 elements (empty for bare data sets without a meta group).</summary>
    public DicomDataset FileMetaInfo { get; }

    /// <summary>The data set.</summary>
    public DicomDataset Dataset { get; }

    /// <summary>Transfer syntax of <see cref="Dataset"/> as read.</summary>
    public TransferSyntax TransferSyntax { get; }

    /// <summary>
    /// Deviations from the standard that were read anyway, as sentences naming the file (empty for conforming files).
    /// Today one: a data set encoded in implicit VR under an explicit VR little endian transfer syntax (then
    /// <see cref="IsImplicitVRDataset"/> is true while <see cref="TransferSyntax"/> stays the declared one, which still
    /// governs the pixel data). Show them to the user; never drop them silently.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>True when the data set was read as implicit VR although <see cref="TransferSyntax"/> is explicit
    /// (see <see cref="Warnings"/>).</summary>
    public bool IsImplicitVRDataset { get; init; }

    /// <summary>True when read with <see cref="DicomReadOptions.HeaderOnly"/> (pixel data not loaded).</summary>
    public bool IsHeaderOnly { get; private init; }

    /// <summary>Reads a file from disk.</summary>
    /// <exception cref="DicomFormatException">The content is not valid DICOM (carries path, tag and offset).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static DicomFile Open(string path, DicomReadOptions? options = null) =>
        Parse(File.ReadAllBytes(path), path, options);

    /// <summary>Reads a file from a stream (read to its end).</summary>
    public static async Task<DicomFile> OpenAsync(Stream stream, DicomReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var ms = new MemoryStream();
        await stream.CopyToAsync(ms, cancellationToken).ConfigureAwait(false);
        return Parse(ms.ToArray(), (stream as FileStream)?.Name, options);
    }

    /// <summary>Parses a file held in memory. Element values reference <paramref name="bytes"/> without copying.</summary>
    /// <param name="bytes">Whole file content.</param>
    /// <param name="filePath">Name used in error messages, or null.</param>
    /// <param name="options">Read options; <see cref="DicomReadOptions.Default"/> when null.</param>
    /// <exception cref="DicomFormatException">The content is not valid DICOM.</exception>
    public static DicomFile Parse(ReadOnlyMemory<byte> bytes, string? filePath = null, DicomReadOptions? options = null)
    {
        options ??= DicomReadOptions.Default;
        var span = bytes.Span;
        int metaStart;
        if (span.Length >= 132 && span.Slice(128, 4).SequenceEqual("DICM"u8)) metaStart = 132;
        else if (LooksLikeMetaGroup(span)) metaStart = 0;
        else return ParseBare(bytes, filePath, options);

        var meta = new DicomDataset();
        int metaLength = new DicomReader(TransferSyntax.ExplicitVRLittleEndian, filePath, metaStart)
            .Read(bytes[metaStart..], new DicomDatasetBuilder(meta), stopAtGroupChange: 0x0002);
        if (!meta.TryGetString(DicomTag.TransferSyntaxUID, out var uid) || uid.Length == 0)
            throw new DicomFormatException("File meta information has no Transfer Syntax UID.", filePath, DicomTag.TransferSyntaxUID, metaStart);
        if (!TransferSyntax.TryLookup(uid, out var syntax))
            throw new DicomFormatException($"Unknown or unsupported transfer syntax UID '{uid}'.", filePath, DicomTag.TransferSyntaxUID, metaStart);

        int dataStart = metaStart + metaLength;
        ReadOnlyMemory<byte> body = bytes[dataStart..];
        long baseOffset = dataStart;
        if (syntax.IsDeflated)
        {
            body = Inflate(body, filePath, dataStart, options.MaxInflatedBytes);
            baseOffset = 0; // offsets now refer to the inflated data set
        }
        var dataset = new DicomDataset();
        var reader = new DicomReader(syntax, filePath, baseOffset);
        reader.Read(body, new DicomDatasetBuilder(dataset), options.HeaderOnly);
        return new DicomFile(meta, dataset, syntax, filePath)
        {
            IsHeaderOnly = options.HeaderOnly,
            Warnings = [.. reader.Warnings],
            IsImplicitVRDataset = !syntax.IsExplicitVR || reader.FellBackToImplicitVR,
        };
    }

    private static DicomFile ParseBare(ReadOnlyMemory<byte> bytes, string? filePath, DicomReadOptions options)
    {
        var span = bytes.Span;
        if (span.Length < 8)
            throw new DicomFormatException($"Not a DICOM file: only {span.Length} bytes.", filePath, byteOffset: 0);
        ushort group = BinaryPrimitives.ReadUInt16LittleEndian(span);
        if (group is not (0x0008 or 0x0010 or 0x0018 or 0x0020 or 0x0028))
            throw new DicomFormatException("Not a DICOM file: no 'DICM' magic at offset 128 and no recognisable data set at offset 0.", filePath, byteOffset: 128);
        var syntax = DicomVR.TryParse(span[4], span[5], out _) ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
        var dataset = new DicomDataset();
        new DicomReader(syntax, filePath) { AllowImplicitVRFallback = false }.Read(bytes, new DicomDatasetBuilder(dataset), options.HeaderOnly);
        return new DicomFile(new DicomDataset(), dataset, syntax, filePath)
        {
            IsHeaderOnly = options.HeaderOnly,
            IsImplicitVRDataset = !syntax.IsExplicitVR,
        };
    }

    private static bool LooksLikeMetaGroup(ReadOnlySpan<byte> span) =>
        span.Length >= 8 && span[0] == 0x02 && span[1] == 0x00 && DicomVR.TryParse(span[4], span[5], out _);

    private static byte[] Inflate(ReadOnlyMemory<byte> deflated, string? filePath, long offset, long maxBytes)
    {
        try
        {
            using var input = new MemoryStream(deflated.ToArray(), writable: false);
            using var inflater = new DeflateStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = inflater.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + n > maxBytes)
                    throw new DicomFormatException($"Deflated data set inflates past the {maxBytes}-byte limit.", filePath, byteOffset: offset);
                output.Write(buffer, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new DicomFormatException($"Corrupt deflated data set: {ex.Message}", filePath, byteOffset: offset, inner: ex);
        }
    }
}
