using System.Text;

namespace Thorax.Dicom;

/// <summary>Maps Specific Character Set (0008,0005) to a .NET text encoding.</summary>
public static class DicomCharacterSet
{
    /// <summary>
    /// Encoding for a Specific Character Set value: "ISO_IR 100" (and "ISO 2022 IR 100") is Latin-1,
    /// "ISO_IR 192" is UTF-8; empty, absent or any other value gives the default repertoire (ASCII; bytes above
    /// 0x7F decode as '?'). With several values the first non-empty one decides.
    /// </summary>
    public static Encoding ToEncoding(string? specificCharacterSet)
    {
        if (string.IsNullOrWhiteSpace(specificCharacterSet)) return Encoding.ASCII;
        foreach (var raw in specificCharacterSet.Split('\\'))
        {
            var v = raw.Trim(' ', '\0');
            if (v.Length == 0) continue;
            return v switch
            {
                "ISO_IR 100" or "ISO 2022 IR 100" => Encoding.Latin1,
                "ISO_IR 192" => Encoding.UTF8,
                _ => Encoding.ASCII,
            };
        }
        return Encoding.ASCII;
    }
}
