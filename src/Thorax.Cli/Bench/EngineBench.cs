using System.Diagnostics;
using F = Thorax.Functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench engine</c>: the engine's cases in Thorax and, in the same run, the same computations in PyTorch
/// (tools/bench/engine_bench.py) with the same thread count. Medians in milliseconds (per-op overhead in µs).
/// </summary>
internal static class EngineBench
{
    public static List<BenchResult> Run(Device device, int repeats, bool withPyTorch, Action<string> log)
    {
        Torch.Initialize();
        Torch.ManualSeed(0);
        var sync = device.Type == DeviceType.Cuda ? () => Torch.CudaSynchronize() : (Action?)null;
        var cases = new List<(string Name, Func<double> Run)>
        {
            ("conv3x3_bn_relu_fwd_bwd [8,64,128,128]", () => ConvBnRelu(device, repeats, sync)),
            ("unet4_train_step [4,1,256,256]", () => UNetStep(device, Math.Max(3, repeats / 2), sync)),
            ("matmul 1024^3", () => MatMul(device, repeats, sync)),
            ("knn_graph cdist+topk k=9 [8,3136,80]", () => Knn(device, repeats, sync)),
            ("mha_forward [4,1024,256] h=8", () => Mha(device, repeats, sync)),
            ("per_op_overhead add 1-elem (us)", () => Overhead(device)),
        };
        var ours = new Dictionary<string, double>();
        foreach (var (name, run) in cases)
        {
            log($"Thorax  {name} ...");
            ours[name] = run();
        }
        Dictionary<string, double>? peer = null;
        if (withPyTorch)
        {
            if (PyTorchPeer.Available(out var why))
            {
                log("PyTorch peer (same cases, same threads) ...");
                peer = PyTorchPeer.Run("engine_bench.py", new[] { "--threads", Torch.NumThreads.ToString(), "--repeats", repeats.ToString(), "--device", device.ToString() });
            }
            else log("PyTorch peer skipped: " + why);
        }
        return cases.Select(c => new BenchResult(c.Name, ours[c.Name], peer != null && peer.TryGetValue(c.Name, out var v) ? v : null,
            c.Name.EndsWith("(us)") ? "us" : "ms")).ToList();
    }

    private static Tensor Param(long[] shape, Device d, double scale = 0.05)
    {
        using var r = Torch.Randn(shape, null, DType.Float32, d);
        var p = (r * scale).DetachFromScope();
        p.RequiresGrad = true;
        return p;
    }

    private static double ConvBnRelu(Device d, int repeats, Action? sync)
    {
        using var x = Torch.Randn(new long[] { 8, 64, 128, 128 }, null, DType.Float32, d);
        using var w = Param(new long[] { 64, 64, 3, 3 }, d);
        using var g = Torch.Ones(new long[] { 64 }, DType.Float32, d, true);
        using var b = Torch.Zeros(new long[] { 64 }, DType.Float32, d, true);
        return Timing.MedianMs(() =>
        {
            using var s = Torch.NewScope();
            var y = F.Conv2d(x, w, null, padding: new long[] { 1, 1 });
            y = F.BatchNorm(y, null, null, g, b, training: true).Relu();
            y.Sum().Backward();
        }, 2, repeats, sync);
    }

    private static double MatMul(Device d, int repeats, Action? sync)
    {
        using var a = Torch.Randn(new long[] { 1024, 1024 }, null, DType.Float32, d);
        using var b = Torch.Randn(new long[] { 1024, 1024 }, null, DType.Float32, d);
        return Timing.MedianMs(() => { using var c = a.MatMul(b); }, 3, repeats * 2, sync);
    }

    private static double Knn(Device d, int repeats, Action? sync)
    {
        using var x = Torch.Randn(new long[] { 8, 3136, 80 }, null, DType.Float32, d);
        return Timing.MedianMs(() =>
        {
            using var s = Torch.NewScope();
            using var _ = Torch.NoGrad();
            var dist = Torch.CDist(x, x);
            var (v, i) = dist.TopK(9, -1, largest: false);
        }, 2, repeats, sync);
    }

    private static double Mha(Device d, int repeats, Action? sync)
    {
        const int B = 4, L = 1024, E = 256, H = 8, D = E / H;
        using var x = Torch.Randn(new long[] { B, L, E }, null, DType.Float32, d);
        using var win = Param(new long[] { 3 * E, E }, d);
        using var bin = Param(new long[] { 3 * E }, d);
        using var wout = Param(new long[] { E, E }, d);
        using var bout = Param(new long[] { E }, d);
        return Timing.MedianMs(() =>
        {
            using var s = Torch.NewScope();
            using var _ = Torch.NoGrad();
            var qkv = F.Linear(x, win, bin).Chunk(3, -1);
            Tensor Heads(Tensor t) => t.Reshape(B, L, H, D).Transpose(1, 2);
            var q = Heads(qkv[0]);
            var k = Heads(qkv[1]);
            var v = Heads(qkv[2]);
            var att = F.Softmax(q.MatMul(k.Transpose(-2, -1)) * (1.0 / Math.Sqrt(D)), -1);
            var o = att.MatMul(v).Transpose(1, 2).Reshape(B, L, E);
            F.Linear(o, wout, bout);
        }, 2, repeats, sync);
    }

    private static double Overhead(Device d)
    {
        using var a = Torch.Ones(new long[] { 1 }, DType.Float32, d);
        using var b = Torch.Ones(new long[] { 1 }, DType.Float32, d);
        const int n = 20000;
        for (var i = 0; i < 2000; i++) a.Add(b).Dispose();
        var times = new double[5];
        for (var r = 0; r < times.Length; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) a.Add(b).Dispose();
            times[r] = sw.Elapsed.TotalMilliseconds * 1000.0 / n;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    // A 4-level U-Net (widths 16-32-64-128, bottleneck 256; conv3x3-BN-ReLU x2 per block, transposed-conv up-sampling)
    // trained one step with BCE-with-logits and SGD: forward, loss, backward, update. tools/bench/engine_bench.py mirrors it.
    private static double UNetStep(Device d, int repeats, Action? sync)
    {
        int[] widths = { 16, 32, 64, 128 };
        const int bottleneck = 256;
        var ps = new List<Tensor>();
        Tensor P(params long[] shape) { var t = Param(shape, d); ps.Add(t); return t; }
        Tensor Ones(long c) { var t = Torch.Ones(new[] { c }, DType.Float32, d, true); ps.Add(t); return t; }
        Tensor Zeros(long c) { var t = Torch.Zeros(new[] { c }, DType.Float32, d, true); ps.Add(t); return t; }
        (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) Block(long cin, long cout) =>
            (P(cout, cin, 3, 3), Ones(cout), Zeros(cout), P(cout, cout, 3, 3), Ones(cout), Zeros(cout));
        var enc = new List<(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)>();
        long c0 = 1;
        foreach (var w in widths) { enc.Add(Block(c0, w)); c0 = w; }
        var mid = Block(widths[^1], bottleneck);
        var ups = new List<(Tensor W, Tensor B)>();
        var dec = new List<(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)>();
        long cu = bottleneck;
        for (var i = widths.Length - 1; i >= 0; i--)
        {
            ups.Add((P(cu, widths[i], 2, 2), Zeros(widths[i])));
            dec.Add(Block(2L * widths[i], widths[i]));
            cu = widths[i];
        }
        var head = (W: P(1, widths[0], 1, 1), B: Zeros(1));
        using var x = Torch.Randn(new long[] { 4, 1, 256, 256 }, null, DType.Float32, d);
        using var yr = Torch.Rand(new long[] { 4, 1, 256, 256 }, null, DType.Float32, d);
        using var y = yr.Gt(0.5).To(DType.Float32).DetachFromScope();
        var pad1 = new long[] { 1, 1 };
        Tensor Run(Tensor t, (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) blk)
        {
            var (w1, g1, b1, w2, g2, b2) = blk;
            t = F.BatchNorm(F.Conv2d(t, w1, null, padding: pad1), null, null, g1, b1, training: true).Relu();
            return F.BatchNorm(F.Conv2d(t, w2, null, padding: pad1), null, null, g2, b2, training: true).Relu();
        }
        var result = Timing.MedianMs(() =>
        {
            using var s = Torch.NewScope();
            var skips = new List<Tensor>();
            var h = x;
            foreach (var blk in enc) { h = Run(h, blk); skips.Add(h); h = F.MaxPool2d(h, 2); }
            h = Run(h, mid);
            for (var i = 0; i < dec.Count; i++)
            {
                h = F.ConvTranspose2d(h, ups[i].W, ups[i].B, stride: new long[] { 2, 2 });
                h = Run(Torch.Cat(new[] { skips[skips.Count - 1 - i], h }, 1), dec[i]);
            }
            var logits = F.Conv2d(h, head.W, head.B);
            var loss = F.BinaryCrossEntropyWithLogits(logits, y);
            loss.Backward();
            using (Torch.NoGrad())
            {
                foreach (var p in ps)
                {
                    using var g = p.Grad!;
                    p.Add_(g, -0.01);
                    p.ZeroGrad();
                }
            }
        }, 1, repeats, sync);
        foreach (var p in ps) p.Dispose();
        return result;
    }
}
