using System.Runtime.CompilerServices;

namespace Thorax.Dicom.Codecs;

/// <summary>
/// The accurate integer 8x8 inverse DCT of IJG libjpeg (<c>jidctint.c</c>, "ISLOW": Loeffler-Ligtenberg-Moschytz with
/// 12 multiplies, 13-bit fixed-point constants), with dequantisation and libjpeg's output range limiting, for 8-bit or
/// 12-bit samples. Integer arithmetic throughout, so results are bit-identical to libjpeg's: columns first, scaled up by
/// PASS1_BITS (2 for 8-bit samples, 1 for 12-bit) and rounded to <c>int</c>; then rows, rounded by a further
/// 13 + PASS1_BITS + 3 bits; the result is masked to 2 + precision bits (wrapping, as libjpeg's table index does),
/// shifted by the centre value and clamped to 0..2^precision - 1.
/// </summary>
internal sealed class JpegIslowIdct
{
    private const int ConstBits = 13;
    // FIX(x) = round(x * 2^13): the Loeffler rotation constants used by jidctint.c.
    private const long Fix0298631336 = 2446, Fix0390180644 = 3196, Fix0541196100 = 4433, Fix0765366865 = 6270;
    private const long Fix0899976223 = 7373, Fix1175875602 = 9633, Fix1501321110 = 12299, Fix1847759065 = 15137;
    private const long Fix1961570560 = 16069, Fix2053119869 = 16819, Fix2562915447 = 20995, Fix3072711026 = 25172;

    private readonly int _pass1Bits;
    private readonly int _rangeMask;
    private readonly ushort[] _rangeLimit;

    /// <summary>Creates the transform for <paramref name="precision"/>-bit samples (8 or 12).</summary>
    public JpegIslowIdct(int precision)
    {
        if (precision is not (8 or 12)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "8 or 12");
        _pass1Bits = precision == 8 ? 2 : 1;
        int max = (1 << precision) - 1, center = 1 << (precision - 1);
        _rangeMask = 4 * (max + 1) - 1;
        // Index = IDCT output (centred on 0) masked to 2 + precision bits; read as a two's complement value v,
        // the sample is clamp(v + centre, 0, max). This is what libjpeg's post-IDCT range-limit table holds.
        _rangeLimit = new ushort[_rangeMask + 1];
        for (int i = 0; i <= _rangeMask; i++)
        {
            int v = i < 2 * (max + 1) ? i : i - 4 * (max + 1);
            _rangeLimit[i] = (ushort)Math.Clamp(v + center, 0, max);
        }
    }

    /// <summary>
    /// Dequantises <paramref name="coefficients"/> (natural order) with <paramref name="quant"/> (natural order),
    /// inverse-transforms them and writes the 8x8 samples to <paramref name="output"/> at <paramref name="offset"/>
    /// with <paramref name="stride"/> samples per row.
    /// </summary>
    public void Transform(ReadOnlySpan<short> coefficients, ReadOnlySpan<ushort> quant, Span<ushort> output, int offset, int stride)
    {
        Span<int> ws = stackalloc int[64];
        int p1 = _pass1Bits;
        int shift1 = ConstBits - p1;
        long round1 = 1L << (shift1 - 1);

        // Pass 1: columns, from the dequantised input into the work array.
        for (int c = 0; c < 8; c++)
        {
            if (coefficients[8 + c] == 0 && coefficients[16 + c] == 0 && coefficients[24 + c] == 0 && coefficients[32 + c] == 0
                && coefficients[40 + c] == 0 && coefficients[48 + c] == 0 && coefficients[56 + c] == 0)
            {
                // AC terms zero: the column is constant (the general formula gives the same values).
                int dc = (int)(((long)coefficients[c] * quant[c]) << p1);
                for (int r = 0; r < 8; r++) ws[8 * r + c] = dc;
                continue;
            }
            long d0 = (long)coefficients[c] * quant[c];
            long d1 = (long)coefficients[8 + c] * quant[8 + c];
            long d2 = (long)coefficients[16 + c] * quant[16 + c];
            long d3 = (long)coefficients[24 + c] * quant[24 + c];
            long d4 = (long)coefficients[32 + c] * quant[32 + c];
            long d5 = (long)coefficients[40 + c] * quant[40 + c];
            long d6 = (long)coefficients[48 + c] * quant[48 + c];
            long d7 = (long)coefficients[56 + c] * quant[56 + c];
            Butterfly(d0, d1, d2, d3, d4, d5, d6, d7, out long o0, out long o1, out long o2, out long o3,
                out long o4, out long o5, out long o6, out long o7);
            ws[c] = (int)((o0 + round1) >> shift1);
            ws[8 + c] = (int)((o1 + round1) >> shift1);
            ws[16 + c] = (int)((o2 + round1) >> shift1);
            ws[24 + c] = (int)((o3 + round1) >> shift1);
            ws[32 + c] = (int)((o4 + round1) >> shift1);
            ws[40 + c] = (int)((o5 + round1) >> shift1);
            ws[48 + c] = (int)((o6 + round1) >> shift1);
            ws[56 + c] = (int)((o7 + round1) >> shift1);
        }

        // Pass 2: rows, from the work array to range-limited samples.
        int shift2 = ConstBits + p1 + 3;
        long round2 = 1L << (shift2 - 1);
        for (int r = 0; r < 8; r++)
        {
            var row = ws.Slice(8 * r, 8);
            var dst = output.Slice(offset + r * stride, 8);
            Butterfly(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], out long o0, out long o1,
                out long o2, out long o3, out long o4, out long o5, out long o6, out long o7);
            dst[0] = Limit(o0, round2, shift2);
            dst[1] = Limit(o1, round2, shift2);
            dst[2] = Limit(o2, round2, shift2);
            dst[3] = Limit(o3, round2, shift2);
            dst[4] = Limit(o4, round2, shift2);
            dst[5] = Limit(o5, round2, shift2);
            dst[6] = Limit(o6, round2, shift2);
            dst[7] = Limit(o7, round2, shift2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort Limit(long value, long round, int shift) => _rangeLimit[(int)((value + round) >> shift) & _rangeMask];

    /// <summary>
    /// One 8-point IDCT, outputs scaled by 2^13 (not yet rounded). Even part: inputs 0, 2, 4, 6; odd part: 1, 3, 5, 7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Butterfly(long x0, long x1, long x2, long x3, long x4, long x5, long x6, long x7,
        out long o0, out long o1, out long o2, out long o3, out long o4, out long o5, out long o6, out long o7)
    {
        // Even part: rotation of (x2, x6) by sqrt(2)*c6, plus the DC/x4 sum and difference.
        long z1 = (x2 + x6) * Fix0541196100;
        long e2 = z1 - x6 * Fix1847759065;
        long e3 = z1 + x2 * Fix0765366865;
        long e0 = (x0 + x4) << ConstBits;
        long e1 = (x0 - x4) << ConstBits;
        long t10 = e0 + e3, t13 = e0 - e3, t11 = e1 + e2, t12 = e1 - e2;

        // Odd part (x7, x5, x3, x1 are the odd-frequency inputs).
        long a0 = x7, a1 = x5, a2 = x3, a3 = x1;
        long s1 = a0 + a3, s2 = a1 + a2, s3 = a0 + a2, s4 = a1 + a3;
        long s5 = (s3 + s4) * Fix1175875602;
        a0 *= Fix0298631336;
        a1 *= Fix2053119869;
        a2 *= Fix3072711026;
        a3 *= Fix1501321110;
        s1 *= -Fix0899976223;
        s2 *= -Fix2562915447;
        s3 = s3 * -Fix1961570560 + s5;
        s4 = s4 * -Fix0390180644 + s5;
        a0 += s1 + s3;
        a1 += s2 + s4;
        a2 += s2 + s3;
        a3 += s1 + s4;

        o0 = t10 + a3;
        o7 = t10 - a3;
        o1 = t11 + a2;
        o6 = t11 - a2;
        o2 = t12 + a1;
        o5 = t12 - a1;
        o3 = t13 + a0;
        o4 = t13 - a0;
    }
}
