using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thorax.Synthetic.Internal;

/// <summary>Maps attenuation to brightness through a tabulated tone curve and adds signal-dependent pixel
/// noise: b = lut(A) + sd (0.5 + b) n, clamped to [0, 1]. The noise n comes from eight interleaved xorshift32
/// streams per row (pixel x uses stream x mod 8) indexing a table of standard-normal values. The AVX2 path and
/// the scalar path perform the same float operations in the same order, so results are identical on every
/// machine.</summary>
internal sealed class ToneMapper
{
    /// <summary>Attenuation range covered by the table.</summary>
    public const float MinA = -0.5f, MaxA = 4.5f;

    /// <summary>Table resolution (intervals).</summary>
    public const int LutSize = 4096;

    private const float Top = LutSize - 1e-3f;
    private readonly float[] _lut;
    private readonly float[] _normals;
    private readonly float _scale, _sd;

    /// <param name="curve">Brightness for attenuation A, evaluated at LutSize + 1 points over [MinA, MaxA].</param>
    /// <param name="noiseSd">Noise standard deviation at mid-grey.</param>
    /// <param name="normals">Standard-normal table of exactly 2^16 entries.</param>
    public ToneMapper(Func<float, float> curve, float noiseSd, float[] normals)
    {
        if (normals.Length != 1 << 16) throw new ArgumentException("The normal table must have 65536 entries.", nameof(normals));
        _lut = new float[LutSize + 1];
        for (int i = 0; i <= LutSize; i++) _lut[i] = curve(MinA + (MaxA - MinA) * i / LutSize);
        _scale = LutSize / (MaxA - MinA);
        _sd = noiseSd;
        _normals = normals;
    }

    /// <summary>Maps one row in place; <paramref name="rowSeed"/> seeds that row's noise streams.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void MapRow(Span<float> row, ulong rowSeed)
    {
        Span<uint> st = stackalloc uint[8];
        ulong h = rowSeed;
        for (int i = 0; i < 8; i += 2)
        {
            h = Rng.Mix(h + 0x9E3779B97F4A7C15UL);
            st[i] = (uint)h | 1;
            st[i + 1] = (uint)(h >> 32) | 1;
        }
        int x = 0, n = row.Length;
        fixed (float* lut = _lut, nrm = _normals, r = row)
        {
            if (Avx2.IsSupported && n >= 8)
            {
                var s = Vector256.Create(st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]);
                var minA = Vector256.Create(MinA);
                var scale = Vector256.Create(_scale);
                var top = Vector256.Create(Top);
                var zero = Vector256<float>.Zero;
                var one = Vector256.Create(1f);
                var half = Vector256.Create(0.5f);
                var sd = Vector256.Create(_sd);
                for (; x <= n - 8; x += 8)
                {
                    s ^= Avx2.ShiftLeftLogical(s, 13);
                    s ^= Avx2.ShiftRightLogical(s, 17);
                    s ^= Avx2.ShiftLeftLogical(s, 5);
                    var f = Avx.Multiply(Avx.Subtract(Avx.LoadVector256(r + x), minA), scale);
                    f = Avx.Min(Avx.Max(f, zero), top);
                    var j = Avx.ConvertToVector256Int32WithTruncation(f);
                    var l0 = Avx2.GatherVector256(lut, j, 4);
                    var l1 = Avx2.GatherVector256(lut + 1, j, 4);
                    var b = Avx.Add(l0, Avx.Multiply(Avx.Subtract(l1, l0), Avx.Subtract(f, Avx.ConvertToVector256Single(j))));
                    var noise = Avx2.GatherVector256(nrm, Avx2.ShiftRightLogical(s, 16).AsInt32(), 4);
                    b = Avx.Add(b, Avx.Multiply(Avx.Multiply(sd, Avx.Add(half, b)), noise));
                    Avx.Store(r + x, Avx.Min(Avx.Max(b, zero), one));
                }
                s.CopyTo(st);
            }
            for (; x < n; x++)
            {
                ref uint q = ref st[x & 7];
                q ^= q << 13; q ^= q >> 17; q ^= q << 5;
                r[x] = Map(r[x], lut, nrm[q >> 16]);
            }
        }
    }

    private unsafe float Map(float av, float* lut, float noise)
    {
        float f = (av - MinA) * _scale;
        f = MathF.Min(MathF.Max(f, 0f), Top);
        int j = (int)f;
        float l0 = lut[j], l1 = lut[j + 1];
        float b = l0 + (l1 - l0) * (f - j);
        b = b + _sd * (0.5f + b) * noise;
        return MathF.Min(MathF.Max(b, 0f), 1f);
    }
}
