using System.Buffers.Binary;

namespace Thorax.Imaging.Codecs;

/// <summary>CRC-32 (ISO 3309, polynomial 0xEDB88320) as used by PNG chunks.</summary>
internal static class Crc32
{
    // Slicing-by-8 tables: Tables[0] is the classic byte table; Tables[k][n] is the CRC of byte n followed by k zero
    // bytes, so eight input bytes are folded in with eight independent lookups.
    private static readonly uint[] Tables = Build();

    private static uint[] Build()
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++)
            {
                uint prev = t[(k - 1) * 256 + n];
                t[k * 256 + n] = t[prev & 0xFF] ^ (prev >> 8);
            }
        return t;
    }

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = crc;
        var t = Tables;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint lo = c ^ BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            c = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
              ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
        }
        for (; i < data.Length; i++) c = t[(c ^ data[i]) & 0xFF] ^ (c >> 8);
        return c;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}
