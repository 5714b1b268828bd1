using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Thorax.Dicom;

/// <summary>
/// One decoded frame of stored values (before any LUT or MONOCHROME1 inversion), row-major, samples interleaved
/// per pixel for colour (YBR_FULL_422 included: Y Cb Cr for every pixel, chroma repeated over each pixel pair).
/// <see cref="Data"/> holds 1 byte per value when BitsAllocated is 1 (0 or 1, unpacked) or 8, 2 bytes (little endian)
/// when 16 and 4 when 32; values are reduced to BitsStored bits and sign-extended when signed.
/// </summary>
public sealed class PixelFrame
{
    /// <summary>Wraps decoded bytes (not copied).</summary>
    public PixelFrame(PixelDataInfo info, byte[] data)
    {
        if (data.LongLength != info.FrameSizeBytes)
            throw new ArgumentException($"Frame needs {info.FrameSizeBytes} bytes, got {data.LongLength}.", nameof(data));
        Info = info;
        Data = data;
    }

    /// <summary>Geometry and sample format.</summary>
    public PixelDataInfo Info { get; }

    /// <summary>Stored values as little-endian bytes (see type remarks).</summary>
    public byte[] Data { get; }

    /// <summary>Height, pixels.</summary>
    public int Rows => Info.Rows;

    /// <summary>Width, pixels.</summary>
    public int Columns => Info.Columns;

    /// <summary>Values in the frame (Rows * Columns * SamplesPerPixel).</summary>
    public int Length => (int)Info.SamplesPerFrame;

    /// <summary>The values as bytes (BitsAllocated 8 or 1, unsigned).</summary>
    public ReadOnlySpan<byte> AsBytes() => Info.BitsAllocated is 8 or 1 && !Info.IsSigned ? Data : throw Wrong("unsigned 8-bit");

    /// <summary>The values as signed bytes (BitsAllocated 8, signed).</summary>
    public ReadOnlySpan<sbyte> AsSBytes() => Info.BitsAllocated == 8 && Info.IsSigned ? MemoryMarshal.Cast<byte, sbyte>(Data) : throw Wrong("signed 8-bit");

    /// <summary>The values as unsigned 16-bit (BitsAllocated 16, unsigned).</summary>
    public ReadOnlySpan<ushort> AsUInt16() => Info.BitsAllocated == 16 && !Info.IsSigned ? MemoryMarshal.Cast<byte, ushort>(Data) : throw Wrong("unsigned 16-bit");

    /// <summary>The values as signed 16-bit (BitsAllocated 16, signed).</summary>
    public ReadOnlySpan<short> AsInt16() => Info.BitsAllocated == 16 && Info.IsSigned ? MemoryMarshal.Cast<byte, short>(Data) : throw Wrong("signed 16-bit");

    /// <summary>Copies every value, widened to int, into <paramref name="destination"/> (length ≥ <see cref="Length"/>).</summary>
    public void CopyTo(Span<int> destination)
    {
        if (destination.Length < Length) throw new ArgumentException($"Destination needs {Length} values.", nameof(destination));
        var d = destination[..Length];
        switch (Info.BitsAllocated, Info.IsSigned)
        {
            case (8 or 1, false): for (int i = 0; i < d.Length; i++) d[i] = Data[i]; break;
            case (8, true): { var s = AsSBytes(); for (int i = 0; i < d.Length; i++) d[i] = s[i]; break; }
            case (16, false): { var s = AsUInt16(); for (int i = 0; i < d.Length; i++) d[i] = s[i]; break; }
            case (16, true): { var s = AsInt16(); for (int i = 0; i < d.Length; i++) d[i] = s[i]; break; }
            case (32, false):
            {
                var s = MemoryMarshal.Cast<byte, uint>(Data);
                for (int i = 0; i < d.Length; i++) d[i] = (int)Math.Min(s[i], int.MaxValue);
                break;
            }
            default: MemoryMarshal.Cast<byte, int>(Data).CopyTo(d); break;
        }
    }

    /// <summary>All values widened to int, row-major.</summary>
    public int[] ToInt32Array()
    {
        var r = new int[Length];
        CopyTo(r);
        return r;
    }

    /// <summary>Minimum, maximum and mean of all stored values.</summary>
    public (long Min, long Max, double Mean) Statistics()
    {
        var values = ToInt32Array();
        if (values.Length == 0) return (0, 0, 0);
        long min = long.MaxValue, max = long.MinValue, sum = 0;
        foreach (var v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
            sum += v;
        }
        return (min, max, (double)sum / values.Length);
    }

    /// <summary>Lower-case hex SHA-256 of <see cref="Data"/> (the stored values as described on the type).</summary>
    public string Sha256() => Convert.ToHexStringLower(SHA256.HashData(Data));

    private InvalidOperationException Wrong(string wanted) =>
        new($"Frame holds {(Info.IsSigned ? "signed" : "unsigned")} {Info.BitsAllocated}-bit values, not {wanted}.");
}
