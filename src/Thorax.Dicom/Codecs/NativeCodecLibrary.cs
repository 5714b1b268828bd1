namespace Thorax.Dicom.Codecs;

/// <summary>Turns a missing shared library into a <see cref="DicomCodecException"/> naming the Debian package.</summary>
internal static class NativeCodecLibrary
{
    /// <summary>True for the exceptions the runtime throws when a P/Invoke target cannot be loaded.</summary>
    public static bool IsLoadFailure(Exception ex) =>
        ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException;

    /// <summary>The exception to throw when <paramref name="library"/> is missing.</summary>
    public static DicomCodecException Missing(string library, string package, TransferSyntax syntax, Exception inner) =>
        new($"{syntax.Name} needs the native library {library}, which could not be loaded. Install it with: apt-get install {package}",
            syntax, package, inner);
}
