using System.Diagnostics;
using Thorax.Models.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench engine</c>: libtorch cases called through TorchSharp and, in the same run, the same computations in
/// PyTorch (tools/bench/engine_bench.py) with the same thread count. Medians in milliseconds (per-op overhead in µs).
/// </summary>
internal static class EngineBench
{
    /// <param name="device">Where the cases run.</param>
    /// <param name="repeats">Timed repetitions per case.</param>
    /// <param name="withPyTorch">Whether to run the PyTorch peer.</param>
    /// <param name="log">Progress messages.</param>
    /// <param name="only">Substrings; when not empty, only the cases whose name contains one of them run (both sides).</param>
    /// <param name="mkldnn">False: oneDNN off on both sides (<see cref="EngineSwitches.OneDnnEnabled"/>, the peer's
    /// <c>torch.backends.mkldnn.enabled = False</c>).</param>
    public static List<BenchResult> Run(Device device, int repeats, bool withPyTorch, Action<string> log, IReadOnlyList<string>? only = null,
        bool mkldnn = true)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        EngineSwitches.OneDnnEnabled = mkldnn;
        var sync = device.type == DeviceType.CUDA ? () => torch.cuda.synchronize(device) : (Action?)null;
        var cases = new List<(string Name, Func<double> Run)>
        {
            ("conv3x3_bn_relu_fwd_bwd [8,64,128,128]", () => ConvBnRelu(device, repeats, sync)),
            ("unet4_train_step [4,1,256,256]", () => UNetStep(device, Math.Max(3, repeats / 2), sync)),
            ("matmul 1024^3", () => MatMul(device, repeats, sync)),
            ("knn_graph cdist+topk k=9 [8,3136,80]", () => Knn(device, repeats, sync)),
            ("mha_forward [4,1024,256] h=8", () => Mha(device, repeats, sync)),
            ("per_op_overhead add 1-elem (us)", () => Overhead(device)),
        };
        if (only is { Count: > 0 })
            cases = cases.Where(c => only.Any(o => c.Name.Contains(o, StringComparison.Ordinal))).ToList();
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
                var args = new List<string> { "--threads", TorchRuntime.NumThreads.ToString(), "--repeats", repeats.ToString(), "--device", DeviceName(device) };
                if (only is { Count: > 0 }) args.AddRange(new[] { "--cases", string.Join(",", only) });
                if (!mkldnn) args.Add("--no-mkldnn");
                peer = PyTorchPeer.Run("engine_bench.py", args);
            }
            else log("PyTorch peer skipped: " + why);
        }
        return cases.Select(c => new BenchResult(c.Name, ours[c.Name], peer != null && peer.TryGetValue(c.Name, out var v) ? v : null,
            c.Name.EndsWith("(us)") ? "us" : "ms")).ToList();
    }

    /// <summary>The device as PyTorch spells it: <c>cpu</c> or <c>cuda:N</c>.</summary>
    internal static string DeviceName(Device d) => d.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, d.index)}" : "cpu";

    private static Tensor Param(long[] shape, Device d, double scale = 0.05)
    {
        using var r = torch.randn(shape, ScalarType.Float32, d);
        var p = r.mul(scale);
        p.requires_grad_(true);
        return p;
    }

    private static double ConvBnRelu(Device d, int repeats, Action? sync)
    {
        using var x = torch.randn(new long[] { 8, 64, 128, 128 }, ScalarType.Float32, d);
        using var w = Param(new long[] { 64, 64, 3, 3 }, d);
        using var g = torch.ones(new long[] { 64 }, ScalarType.Float32, d, requires_grad: true);
        using var b = torch.zeros(new long[] { 64 }, ScalarType.Float32, d, requires_grad: true);
        var pad1 = new long[] { 1, 1 };
        var result = Timing.MedianMs(() =>
        {
            using var s = torch.NewDisposeScope();
            var y = F.conv2d(x, w, null, padding: pad1);
            y = F.batch_norm(y, null, null, g, b, training: true).relu();
            y.sum().backward();
        }, 2, repeats, sync);
        return result;
    }

    private static double MatMul(Device d, int repeats, Action? sync)
    {
        using var a = torch.randn(new long[] { 1024, 1024 }, ScalarType.Float32, d);
        using var b = torch.randn(new long[] { 1024, 1024 }, ScalarType.Float32, d);
        return Timing.MedianMs(() => { using var c = a.matmul(b); }, 3, repeats * 2, sync);
    }

    private static double Knn(Device d, int repeats, Action? sync)
    {
        using var x = torch.randn(new long[] { 8, 3136, 80 }, ScalarType.Float32, d);
        return Timing.MedianMs(() =>
        {
            using var s = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var dist = torch.cdist(x, x);
            var (v, i) = dist.topk(9, -1, largest: false);
        }, 2, repeats, sync);
    }

    private static double Mha(Device d, int repeats, Action? sync)
    {
        const int B = 4, L = 1024, E = 256, H = 8, D = E / H;
        using var x = torch.randn(new long[] { B, L, E }, ScalarType.Float32, d);
        using var win = Param(new long[] { 3 * E, E }, d);
        using var bin = Param(new long[] { 3 * E }, d);
        using var wout = Param(new long[] { E, E }, d);
        using var bout = Param(new long[] { E }, d);
        return Timing.MedianMs(() =>
        {
            using var s = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var qkv = F.linear(x, win, bin).chunk(3, -1);
            Tensor Heads(Tensor t) => t.reshape(B, L, H, D).transpose(1, 2);
            var q = Heads(qkv[0]);
            var k = Heads(qkv[1]);
            var v = Heads(qkv[2]);
            var att = F.softmax(q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(D)), -1);
            var o = att.matmul(v).transpose(1, 2).reshape(B, L, E);
            F.linear(o, wout, bout);
        }, 2, repeats, sync);
    }

    /// <summary>Microseconds per <c>a + b</c> on one-element tensors, result disposed at once (no dispose scope): the
    /// cost of one TorchSharp call (P/Invoke, the native wrapper, libtorch's dispatcher) rather than any arithmetic.
    /// PyTorch's figure is the same loop in Python.</summary>
    private static double Overhead(Device d)
    {
        using var a = torch.ones(new long[] { 1 }, ScalarType.Float32, d);
        using var b = torch.ones(new long[] { 1 }, ScalarType.Float32, d);
        const int n = 20000;
        for (var i = 0; i < 2000; i++) a.add(b).Dispose();
        var times = new double[5];
        for (var r = 0; r < times.Length; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) a.add(b).Dispose();
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
        Tensor Ones(long c) { var t = torch.ones(new[] { c }, ScalarType.Float32, d, requires_grad: true); ps.Add(t); return t; }
        Tensor Zeros(long c) { var t = torch.zeros(new[] { c }, ScalarType.Float32, d, requires_grad: true); ps.Add(t); return t; }
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
        using var x = torch.randn(new long[] { 4, 1, 256, 256 }, ScalarType.Float32, d);
        using var yr = torch.rand(new long[] { 4, 1, 256, 256 }, ScalarType.Float32, d);
        using var yMask = yr.gt(0.5);
        using var y = yMask.to(ScalarType.Float32);
        var pad1 = new long[] { 1, 1 };
        var pool = new long[] { 2, 2 };
        var stride2 = new long[] { 2, 2 };
        Tensor Run(Tensor t, (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) blk)
        {
            var (w1, g1, b1, w2, g2, b2) = blk;
            t = F.batch_norm(F.conv2d(t, w1, null, padding: pad1), null, null, g1, b1, training: true).relu();
            return F.batch_norm(F.conv2d(t, w2, null, padding: pad1), null, null, g2, b2, training: true).relu();
        }
        var result = Timing.MedianMs(() =>
        {
            using var s = torch.NewDisposeScope();
            var skips = new List<Tensor>();
            var h = x;
            foreach (var blk in enc) { h = Run(h, blk); skips.Add(h); h = F.max_pool2d(h, pool); }
            h = Run(h, mid);
            for (var i = 0; i < dec.Count; i++)
            {
                h = F.conv_transpose2d(h, ups[i].W, ups[i].B, strides: stride2);
                h = Run(torch.cat(new[] { skips[skips.Count - 1 - i], h }, 1), dec[i]);
            }
            var logits = F.conv2d(h, head.W, head.B);
            var loss = F.binary_cross_entropy_with_logits(logits, y);
            loss.backward();
            using (torch.no_grad())
            {
                foreach (var p in ps)
                {
                    using var g = p.grad!;
                    p.add_(g, alpha: -0.01);
                    p.grad = null; // like PyTorch's p.grad = None: the next backward allocates a fresh gradient
                }
            }
        }, 1, repeats, sync);
        foreach (var p in ps) p.Dispose();
        return result;
    }
}
