namespace Thorax.Synthetic.Internal;

/// <summary>Read-only tables shared by all studies of one generator: a wrap-around band-pass noise field
/// (lung parenchyma mottle, unit variance) and a table of standard-normal values for pixel noise. Built once
/// from the master seed, so rendering a study only samples them at a random offset.</summary>
internal sealed class Textures
{
    public const int NormalTableSize = 1 << 16;

    public Textures(int size, long seed)
    {
        Size = size;
        var rng = Rng.For(seed, 0xBEEF, 0);
        Normals = new float[NormalTableSize];
        for (int i = 0; i < Normals.Length; i++) Normals[i] = (float)rng.Normal();

        var fine = new Raster(size, size);
        var coarse = new Raster(size, size);
        var scratch = new Raster(size, size);
        for (int i = 0; i < fine.Data.Length; i++) fine.Data[i] = Normals[(int)(rng.NextULong() >> 48)];
        fine.CopyTo(coarse);
        float k = size / 1024f;
        Blur.Gaussian(fine, 1.6f * k, scratch);
        Blur.Gaussian(coarse, 7f * k, scratch);
        double sum = 0, sq = 0;
        var d = fine.Data;
        for (int i = 0; i < d.Length; i++)
        {
            float v = d[i] - 0.85f * coarse.Data[i];
            d[i] = v;
            sum += v;
            sq += (double)v * v;
        }
        double mean = sum / d.Length, sd = Math.Sqrt(Math.Max(sq / d.Length - mean * mean, 1e-12));
        for (int i = 0; i < d.Length; i++) d[i] = (float)((d[i] - mean) / sd);
        Mottle = d;
    }

    public int Size { get; }

    /// <summary>Band-pass noise, Size x Size, mean 0, sd 1 (treated as periodic when sampled).</summary>
    public float[] Mottle { get; }

    /// <summary>Standard-normal samples.</summary>
    public float[] Normals { get; }
}
