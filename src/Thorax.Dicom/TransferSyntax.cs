using System.Collections.Frozen;

namespace Thorax.Dicom;

/// <summary>
/// A DICOM transfer syntax (PS3.5 10 and A). Well-known syntaxes are static instances; compare with <c>==</c>
/// (<see cref="Lookup"/> returns those instances).
/// </summary>
public sealed class TransferSyntax
{
    private TransferSyntax(string uid, string name, bool explicitVR, bool bigEndian, bool deflated, bool encapsulated, bool lossy)
    {
        Uid = uid;
        Name = name;
        IsExplicitVR = explicitVR;
        IsBigEndian = bigEndian;
        IsDeflated = deflated;
        IsEncapsulated = encapsulated;
        IsLossy = lossy;
    }

    /// <summary>The UID, e.g. "1.2.840.10008.1.2.1".</summary>
    public string Uid { get; }

    /// <summary>PS3.6 name, e.g. "Explicit VR Little Endian".</summary>
    public string Name { get; }

    /// <summary>True when each element carries its VR (false only for Implicit VR Little Endian).</summary>
    public bool IsExplicitVR { get; }

    /// <summary>True for the retired Explicit VR Big Endian syntax.</summary>
    public bool IsBigEndian { get; }

    /// <summary>True when the data set after the file meta group is raw-deflate compressed.</summary>
    public bool IsDeflated { get; }

    /// <summary>True when pixel data is a sequence of compressed fragments.</summary>
    public bool IsEncapsulated { get; }

    /// <summary>True when the compression can lose information.</summary>
    public bool IsLossy { get; }

    /// <summary>Implicit VR Little Endian (the DICOM default).</summary>
    public static readonly TransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, false, false);
    /// <summary>Explicit VR Little Endian.</summary>
    public static readonly TransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, false, false);
    /// <summary>Deflated Explicit VR Little Endian.</summary>
    public static readonly TransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, false, false);
    /// <summary>Explicit VR Big Endian (retired).</summary>
    public static readonly TransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, false, false);
    /// <summary>JPEG Baseline (Process 1), 8-bit lossy.</summary>
    public static readonly TransferSyntax JPEGBaseline8Bit = new("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false, true, true);
    /// <summary>JPEG Extended (Process 2 and 4), 8/12-bit lossy.</summary>
    public static readonly TransferSyntax JPEGExtended12Bit = new("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false, false, true, true);
    /// <summary>JPEG Lossless, Non-Hierarchical (Process 14), any selection value.</summary>
    public static readonly TransferSyntax JPEGLossless = new("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false, false, true, false);
    /// <summary>JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).</summary>
    public static readonly TransferSyntax JPEGLosslessSV1 = new("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", true, false, false, true, false);
    /// <summary>JPEG-LS Lossless.</summary>
    public static readonly TransferSyntax JPEGLSLossless = new("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", true, false, false, true, false);
    /// <summary>JPEG-LS Lossy (Near-Lossless).</summary>
    public static readonly TransferSyntax JPEGLSNearLossless = new("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", true, false, false, true, true);
    /// <summary>JPEG 2000 Image Compression (Lossless Only).</summary>
    public static readonly TransferSyntax JPEG2000Lossless = new("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", true, false, false, true, false);
    /// <summary>JPEG 2000 Image Compression (lossy allowed).</summary>
    public static readonly TransferSyntax JPEG2000 = new("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", true, false, false, true, true);
    /// <summary>RLE Lossless.</summary>
    public static readonly TransferSyntax RLELossless = new("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, true, false);

    private static readonly FrozenDictionary<string, TransferSyntax> ByUid = new[]
    {
        ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
        JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless, JPEGLSNearLossless,
        JPEG2000Lossless, JPEG2000, RLELossless,
    }.ToFrozenDictionary(t => t.Uid, StringComparer.Ordinal);

    /// <summary>Every transfer syntax this library knows.</summary>
    public static IEnumerable<TransferSyntax> All => ByUid.Values;

    /// <summary>Finds a known transfer syntax by UID (trailing NUL/space padding is ignored).</summary>
    public static bool TryLookup(string? uid, out TransferSyntax syntax)
    {
        syntax = null!;
        return uid is not null && ByUid.TryGetValue(uid.TrimEnd('\0', ' '), out syntax!);
    }

    /// <summary>Finds a known transfer syntax by UID.</summary>
    /// <exception cref="DicomFormatException">The UID is not a transfer syntax this library reads.</exception>
    public static TransferSyntax Lookup(string uid) =>
        TryLookup(uid, out var ts)
            ? ts
            : throw new DicomFormatException($"Unknown or unsupported transfer syntax UID '{uid}'.", tag: DicomTag.TransferSyntaxUID);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{Uid}]";
}
