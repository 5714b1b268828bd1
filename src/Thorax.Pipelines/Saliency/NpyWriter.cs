using System.Text;

namespace Thorax.Pipelines.Saliency;

/// <summary>Writes NumPy <c>.npy</c> files (format 1.0, little-endian float32, C order).</summary>
public static class NpyWriter
{
    /// <summary>Writes <paramref name="values"/> with <paramref name="shape"/> to <paramref name="path"/>.</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> values, params int[] shape)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        if (n != values.Length) throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {n} values, got {values.Length}");
        var dims = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";
        var total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.WriteByte(0x93);
        f.Write("NUMPY"u8);
        f.WriteByte(1);
        f.WriteByte(0);
        var h = Encoding.ASCII.GetBytes(header);
        f.WriteByte((byte)(h.Length & 0xFF));
        f.WriteByte((byte)(h.Length >> 8));
        f.Write(h);
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), values[i]);
        f.Write(bytes);
    }
}
