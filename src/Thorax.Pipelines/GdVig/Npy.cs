using System.Runtime.InteropServices;
using System.Text;

namespace Thorax.Pipelines.GdVig;

/// <summary>NumPy <c>.npy</c> (format 1.0) writing and reading of little-endian float32 matrices.</summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a C-order float32 array of shape (rows, cols).</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> values, int rows, int cols)
    {
        if (values.Length != rows * cols) throw new ArgumentException($"{values.Length} values for shape ({rows}, {cols})");
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write(Magic);
        f.WriteByte(1);
        f.WriteByte(0);
        var len = (ushort)header.Length;
        f.WriteByte((byte)(len & 0xFF));
        f.WriteByte((byte)(len >> 8));
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Reads a float32 array written by <see cref="WriteFloat32"/> (or NumPy: '&lt;f4', C order, 2-D).</summary>
    public static (float[] Values, int Rows, int Cols) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic) || bytes[6] != 1)
            throw new InvalidDataException($"{path}: not a version-1 .npy file");
        int len = bytes[8] | bytes[9] << 8;
        var header = Encoding.ASCII.GetString(bytes, 10, len);
        if (!header.Contains("'<f4'") || header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"{path}: expected little-endian float32 in C order, header {header.Trim()}");
        var shape = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        var dims = shape[..shape.IndexOf(')')].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        if (dims.Length != 2) throw new InvalidDataException($"{path}: expected a 2-D array, header {header.Trim()}");
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(10 + len)).ToArray();
        if (values.Length != dims[0] * dims[1]) throw new InvalidDataException($"{path}: {values.Length} values for shape ({dims[0]}, {dims[1]})");
        return (values, dims[0], dims[1]);
    }
}
