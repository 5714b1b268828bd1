namespace Thorax.Imaging.Codecs;

/// <summary>CRC-32 (ISO 3309, polynomial 0xEDB88320) as used by PNG chunks.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Build();

    private static uint[] Build()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = crc;
        var table = Table;
        foreach (byte b in data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}
