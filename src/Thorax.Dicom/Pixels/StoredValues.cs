using System.Runtime.InteropServices;

namespace Thorax.Dicom;

/// <summary>Reduces raw samples (little-endian host assumed) to their stored bits (BitsStored at HighBit) and sign-extends signed data.</summary>
internal static class StoredValues
{
    /// <summary>In place over little-endian samples of <paramref name="info"/>'s BitsAllocated.</summary>
    public static void Normalize(Span<byte> data, PixelDataInfo info)
    {
        int shift = info.HighBit + 1 - info.BitsStored;
        int bits = info.BitsStored;
        switch (info.BitsAllocated)
        {
            case 8:
                if (shift == 0 && bits == 8) return;
                for (int i = 0; i < data.Length; i++)
                {
                    int v = (data[i] >> shift) & ((1 << bits) - 1);
                    if (info.IsSigned && bits < 8 && (v & (1 << (bits - 1))) != 0) v |= ~((1 << bits) - 1);
                    data[i] = (byte)v;
                }
                return;
            case 16:
            {
                if (shift == 0 && bits == 16) return;
                var s = MemoryMarshal.Cast<byte, ushort>(data);
                uint mask = (1u << bits) - 1;
                uint sign = 1u << (bits - 1);
                for (int i = 0; i < s.Length; i++)
                {
                    uint v = ((uint)s[i] >> shift) & mask;
                    if (info.IsSigned && (v & sign) != 0) v |= ~mask;
                    s[i] = (ushort)v;
                }
                return;
            }
            case 32:
            {
                if (shift == 0 && bits == 32) return;
                var s = MemoryMarshal.Cast<byte, uint>(data);
                uint mask = bits == 32 ? uint.MaxValue : (1u << bits) - 1;
                uint sign = 1u << (bits - 1);
                for (int i = 0; i < s.Length; i++)
                {
                    uint v = (s[i] >> shift) & mask;
                    if (info.IsSigned && (v & sign) != 0) v |= ~mask;
                    s[i] = v;
                }
                return;
            }
        }
    }
}
