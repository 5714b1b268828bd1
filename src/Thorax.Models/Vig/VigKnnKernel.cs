using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Vig;

/// <summary>
/// The CPU kernel behind <see cref="VigKnn.Neighbours"/>: from the raw inner products <c>x_i·y_j</c> (one libtorch
/// batched matmul), the squared norms and the gaze vectors, it forms each query row's distances with the same IEEE
/// operations in the same order as the tensor formulation (so the same values, bit for bit), and keeps the k·d smallest
/// with an insertion list while the row is in cache. What the tensor formulation materialises and then ranks, about ten
/// [B, N, M] tensors and a full top-k, is never made: one pass over the inner products, no top-k.
/// </summary>
/// <remarks>
/// Order of operations per element (the reference's): <c>dist = ((|x_i|² + (-2·ip_ij)) + |y_j|²) [+ rel_ij]
/// [+ ((((g_i·g_i) + (-2·(g_i·g_j))) + g_j·g_j) [·λ]) · ĝ_i]</c>. No fused multiply-add is used (.NET does not contract
/// <c>a·b + c</c>), and multiplying by −2 is exact. Ranking: smallest first, NaN before every number (as
/// <c>topk(−dist)</c> ranks NaN largest); equal distances keep the lower key index first (torch's order among exact ties
/// is unspecified).
/// </remarks>
internal static unsafe class VigKnnKernel
{
    /// <summary>Neighbour indices [B, N, k] (int64, every <paramref name="dilation"/>-th of the k·d nearest).</summary>
    /// <param name="inner">x_i·y_j, [B, N, M], contiguous.</param>
    /// <param name="xsq">|x_i|², [B, N], contiguous.</param>
    /// <param name="ysq">|y_j|², [B, M], contiguous.</param>
    /// <param name="rel">Additive [N, M] term or null, contiguous.</param>
    /// <param name="gx">Query gaze [B, N] or null, contiguous.</param>
    /// <param name="gy">Key gaze [B, M] (with <paramref name="gx"/>), contiguous. ĝ_i = (g_i − min g) / (max g − min g)
    /// over each sample's query gaze (a range of 0 taken as 1) and g_j² are formed here, with the same operations as the
    /// tensor formulation (min, max, a subtraction and a division are exact to reorder).</param>
    /// <param name="lambda">Gaze weight, applied only when <paramref name="applyLambda"/> (the tensor path skips ×1).</param>
    /// <param name="applyLambda">Whether to multiply the gaze term by <paramref name="lambda"/>.</param>
    /// <param name="k">Neighbours kept.</param>
    /// <param name="dilation">Every d-th of the k·d nearest is kept.</param>
    public static Tensor Neighbours<T>(Tensor inner, Tensor xsq, Tensor ysq, Tensor? rel, Tensor? gx, Tensor? gy,
        T lambda, bool applyLambda, int k, int dilation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long b = inner.shape[0], n = inner.shape[1], m = inner.shape[2];
        int kd = k * dilation;
        var idx = empty(new[] { b, n, (long)k }, ScalarType.Int64);
        var a = new Args
        {
            Inner = Ptr(inner), Xsq = Ptr(xsq), Ysq = Ptr(ysq), Rel = rel is null ? 0 : Ptr(rel),
            Gx = gx is null ? 0 : Ptr(gx), Gy = gy is null ? 0 : Ptr(gy), Out = Ptr(idx), N = n, M = m, K = k, Dilation = dilation,
        };
        // per sample: the query gaze's minimum and range (the tensor formulation's amin, amax - amin, where(> 0, ·, 1))
        T[]? gmin = null, grange = null;
        if (gx is not null)
        {
            gmin = new T[b];
            grange = new T[b];
            T* g = (T*)a.Gx;
            for (long bi = 0; bi < b; bi++)
            {
                T lo = g[bi * n], hi = lo;
                for (long i = 1; i < n; i++)
                {
                    T v = g[bi * n + i];
                    if (v < lo || T.IsNaN(v)) lo = T.IsNaN(lo) ? lo : v;
                    if (v > hi || T.IsNaN(v)) hi = T.IsNaN(hi) ? hi : v;
                }
                T range = hi - lo;
                gmin[bi] = lo;
                grange[bi] = range > T.Zero ? range : T.One;
            }
        }
        long rows = b * n;
        int threads = Math.Max(1, torch.get_num_threads());
        if (threads == 1 || rows * m < 1 << 15)
        {
            var scratch = new Scratch<T>(m, kd);
            Rows(a, 0, rows, lambda, applyLambda, gmin, grange, scratch);
        }
        else
        {
            long chunk = Math.Max(8, (rows + threads * 4 - 1) / (threads * 4));
            int chunks = (int)((rows + chunk - 1) / chunk);
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new Scratch<T>(m, kd), (c, _, scratch) =>
            {
                long r0 = c * chunk;
                Rows(a, r0, Math.Min(rows, r0 + chunk), lambda, applyLambda, gmin, grange, scratch);
                return scratch;
            }, _ => { });
        }
        return idx;
    }

    private static nint Ptr(Tensor t) => (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    private struct Args
    {
        public nint Inner, Xsq, Ysq, Rel, Gx, Gy, Out;
        public long N, M;
        public int K, Dilation;
    }

    private sealed class Scratch<T>(long m, int kd) where T : unmanaged
    {
        public readonly T[] Row = new T[m];
        public readonly T[] Values = new T[kd];
        public readonly int[] Ids = new int[kd];
    }

    /// <summary>Query rows [r0, r1) of the flattened [B·N] rows. Fully optimised at first call: tier-0 code of these
    /// generic vector loops is an order of magnitude slower, and the method is called only a few times per forward.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Rows<T>(Args a, long r0, long r1, T lambda, bool applyLambda, T[]? gmin, T[]? grange, Scratch<T> s)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long m = a.M;
        int kd = a.K * a.Dilation, w = Vector<T>.Count;
        T minusTwo = T.CreateTruncating(-2);
        var vMinusTwo = new Vector<T>(minusTwo);
        var vLambda = new Vector<T>(lambda);
        T* inner = (T*)a.Inner, xsq = (T*)a.Xsq, ysq = (T*)a.Ysq, rel = (T*)a.Rel, gx = (T*)a.Gx, gy = (T*)a.Gy;
        long* output = (long*)a.Out;
        fixed (T* row = s.Row)
        fixed (T* vals = s.Values)
        fixed (int* ids = s.Ids)
        {
            for (long r = r0; r < r1; r++)
            {
                long bi = r / a.N, i = r - bi * a.N;
                T* ip = inner + r * m, ys = ysq + bi * m, rr = rel == null ? null : rel + i * m;
                T xs = xsq[r];
                var vxs = new Vector<T>(xs);
                T gi = default, gi2 = default, ni = default;
                T* gyb = null;
                if (gx != null)
                {
                    gi = gx[r];
                    gi2 = gi * gi;
                    ni = (gi - gmin![bi]) / grange![bi];
                    gyb = gy + bi * m;
                }
                long j = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    var vgi = new Vector<T>(gi);
                    var vgi2 = new Vector<T>(gi2);
                    var vni = new Vector<T>(ni);
                    for (; j <= m - w; j += w)
                    {
                        var d = vxs + Load(ip + j) * vMinusTwo + Load(ys + j);
                        if (rr != null) d += Load(rr + j);
                        if (gyb != null)
                        {
                            var gyj = Load(gyb + j);
                            var gd = vgi2 + vgi * gyj * vMinusTwo + gyj * gyj;
                            if (applyLambda) gd *= vLambda;
                            d += gd * vni;
                        }
                        Store(d, row + j);
                    }
                }
                for (; j < m; j++)
                {
                    T d = xs + ip[j] * minusTwo + ys[j];
                    if (rr != null) d += rr[j];
                    if (gyb != null)
                    {
                        T gyj = gyb[j];
                        T gd = gi2 + gi * gyj * minusTwo + gyj * gyj;
                        if (applyLambda) gd *= lambda;
                        d += gd * ni;
                    }
                    row[j] = d;
                }

                // the k·d smallest, sorted ascending (NaN first), lower index first among equals
                int count = 0;
                for (int jj = 0; jj < m; jj++)
                {
                    // once the list is full, skip whole vectors that hold no NaN and nothing below the k·d-th distance
                    if (count == kd && Vector.IsHardwareAccelerated && (jj & (w - 1)) == 0 && jj <= m - w)
                    {
                        var v8 = Load(row + jj);
                        if (!Vector.LessThanAny(v8, new Vector<T>(vals[kd - 1])) && Vector.EqualsAll(v8, v8))
                        {
                            jj += w - 1;
                            continue;
                        }
                    }
                    T v = row[jj];
                    if (count == kd && !Less(v, vals[kd - 1])) continue;
                    int pos = count < kd ? count++ : kd - 1;
                    while (pos > 0 && Less(v, vals[pos - 1]))
                    {
                        vals[pos] = vals[pos - 1];
                        ids[pos] = ids[pos - 1];
                        pos--;
                    }
                    vals[pos] = v;
                    ids[pos] = jj;
                }
                long* o = output + r * a.K;
                for (int t = 0; t < a.K; t++) o[t] = ids[t * a.Dilation];
            }
        }
    }

    /// <summary>a ranks before b: smaller, or NaN against a number.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Less<T>(T a, T b) where T : IBinaryFloatingPointIeee754<T> => a < b || (T.IsNaN(a) && !T.IsNaN(b));

    private static Vector<T> Load<T>(T* p) where T : unmanaged => System.Runtime.CompilerServices.Unsafe.ReadUnaligned<Vector<T>>(p);

    private static void Store<T>(Vector<T> v, T* p) where T : unmanaged => System.Runtime.CompilerServices.Unsafe.WriteUnaligned(p, v);
}
