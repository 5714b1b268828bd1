using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Thorax.Dicom;

/// <summary>
/// A data element with a plain value. <see cref="Data"/> holds the value bytes in little-endian order whatever the
/// transfer syntax it was read from (big endian values are swapped on reading).
/// </summary>
public sealed class DicomElement : DicomItem
{
    /// <summary>Creates an element from little-endian value bytes (kept by reference, not copied).</summary>
    public DicomElement(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> data) : base(tag, vr)
    {
        if (vr == DicomVR.SQ) throw new ArgumentException("Use DicomSequence for SQ elements.", nameof(vr));
        Data = data;
    }

    /// <summary>Value bytes, little endian, including any padding byte.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Value length in bytes.</summary>
    public int Length => Data.Length;

    /// <summary>Number of values: '\'-separated strings for multi-valued text VRs, Length / unit size for binary.</summary>
    public int ValueCount(Encoding encoding)
    {
        if (Data.IsEmpty) return 0;
        if (VR.IsText) return VR.IsMultiValuedText ? GetTextValues(encoding).Length : 1;
        return Data.Length / VR.UnitSize;
    }

    /// <summary>The whole text value with trailing spaces/NULs (and leading spaces, except for UT/LT/ST) removed.</summary>
    public string GetText(Encoding encoding)
    {
        var s = encoding.GetString(Data.Span).TrimEnd(' ', '\0');
        return VR.Code is "UT" or "LT" or "ST" ? s : s.TrimStart(' ');
    }

    /// <summary>Text values split at '\' (for multi-valued text VRs) and trimmed.</summary>
    public string[] GetTextValues(Encoding encoding)
    {
        var s = encoding.GetString(Data.Span);
        if (!VR.IsMultiValuedText) return [s.TrimEnd(' ', '\0')];
        var parts = s.Split('\\');
        for (int i = 0; i < parts.Length; i++) parts[i] = parts[i].Trim(' ', '\0');
        return parts;
    }

    /// <summary>Reads value <paramref name="index"/> as a double (DS/IS text, or any binary number).</summary>
    public bool TryGetDouble(int index, Encoding encoding, out double value)
    {
        value = 0;
        if (index < 0) return false;
        if (VR.IsText)
        {
            var values = GetTextValues(encoding);
            return index < values.Length &&
                   double.TryParse(values[index], NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
        var span = Data.Span;
        int size = VR.UnitSize;
        if ((long)(index + 1) * size > span.Length) return false;
        var v = span.Slice(index * size, size);
        switch (VR.Code)
        {
            case "US" or "OW": value = BinaryPrimitives.ReadUInt16LittleEndian(v); return true;
            case "SS": value = BinaryPrimitives.ReadInt16LittleEndian(v); return true;
            case "UL" or "OL": value = BinaryPrimitives.ReadUInt32LittleEndian(v); return true;
            case "SL": value = BinaryPrimitives.ReadInt32LittleEndian(v); return true;
            case "FL" or "OF": value = BinaryPrimitives.ReadSingleLittleEndian(v); return true;
            case "FD" or "OD": value = BinaryPrimitives.ReadDoubleLittleEndian(v); return true;
            case "SV": value = BinaryPrimitives.ReadInt64LittleEndian(v); return true;
            case "UV" or "OV": value = BinaryPrimitives.ReadUInt64LittleEndian(v); return true;
            case "OB" or "UN": value = v[0]; return true;
            default: return false;
        }
    }

    /// <summary>Reads value <paramref name="index"/> as an integer (IS text, or an integral binary number within range).</summary>
    public bool TryGetInt64(int index, Encoding encoding, out long value)
    {
        value = 0;
        if (VR.IsText)
        {
            var values = GetTextValues(encoding);
            if (index < 0 || index >= values.Length) return false;
            if (long.TryParse(values[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out value)) return true;
            // Some writers put "1.0" in IS; accept integral decimals.
            if (double.TryParse(values[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) &&
                d == Math.Floor(d) && Math.Abs(d) < 9e15)
            {
                value = (long)d;
                return true;
            }
            return false;
        }
        if (VR == DicomVR.FL || VR == DicomVR.FD || VR == DicomVR.OF || VR == DicomVR.OD) return false;
        if (VR == DicomVR.UV || VR == DicomVR.OV)
        {
            if ((long)(index + 1) * 8 > Data.Length || index < 0) return false;
            ulong u = BinaryPrimitives.ReadUInt64LittleEndian(Data.Span.Slice(index * 8, 8));
            if (u > long.MaxValue) return false;
            value = (long)u;
            return true;
        }
        if (VR == DicomVR.SV)
        {
            if ((long)(index + 1) * 8 > Data.Length || index < 0) return false;
            value = BinaryPrimitives.ReadInt64LittleEndian(Data.Span.Slice(index * 8, 8));
            return true;
        }
        if (!TryGetDouble(index, encoding, out var dv)) return false;
        value = (long)dv;
        return true;
    }

    /// <summary>Creates a text element; the value is padded to even length with the VR's padding byte.</summary>
    public static DicomElement FromText(DicomTag tag, DicomVR vr, string value, Encoding? encoding = null)
    {
        if (!vr.IsText) throw new ArgumentException($"VR {vr} is not a text VR.", nameof(vr));
        var bytes = (encoding ?? Encoding.ASCII).GetBytes(value);
        if ((bytes.Length & 1) == 1)
        {
            Array.Resize(ref bytes, bytes.Length + 1);
            bytes[^1] = vr.PaddingByte;
        }
        return new DicomElement(tag, vr, bytes);
    }

    /// <summary>Creates a US/SS/UL/SL/FL/FD/OW element from numbers (converted to the VR's binary type).</summary>
    public static DicomElement FromNumbers(DicomTag tag, DicomVR vr, params double[] values)
    {
        int size = vr.UnitSize;
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var d = bytes.AsSpan(i * size, size);
            double x = values[i];
            switch (vr.Code)
            {
                case "US" or "OW": BinaryPrimitives.WriteUInt16LittleEndian(d, checked((ushort)x)); break;
                case "SS": BinaryPrimitives.WriteInt16LittleEndian(d, checked((short)x)); break;
                case "UL" or "OL": BinaryPrimitives.WriteUInt32LittleEndian(d, checked((uint)x)); break;
                case "SL": BinaryPrimitives.WriteInt32LittleEndian(d, checked((int)x)); break;
                case "FL" or "OF": BinaryPrimitives.WriteSingleLittleEndian(d, (float)x); break;
                case "FD" or "OD": BinaryPrimitives.WriteDoubleLittleEndian(d, x); break;
                default: throw new ArgumentException($"VR {vr} is not a numeric binary VR.", nameof(vr));
            }
        }
        return new DicomElement(tag, vr, bytes);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Tag} {VR} ({Length} bytes)";
}
