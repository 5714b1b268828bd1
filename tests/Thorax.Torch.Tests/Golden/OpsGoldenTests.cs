using System.Text.Json;
using F = Thorax.Functional;

namespace Thorax.TorchTests.Golden;

/// <summary>
/// Every op family against PyTorch 1.13: forward outputs and the gradients of sum(output * cotangent), from
/// tests/data/golden/torch/ops.json (made by tools/golden/torch/make_ops_golden.py).
/// </summary>
public class OpsGoldenTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Golden("torch/ops.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
    });

    public static IEnumerable<object[]> CaseNames() => Cases.Value.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Op_MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        using var scope = Torch.NewScope();
        var args = c.GetProperty("args");
        var inputs = new Dictionary<string, Tensor>();
        var wantGrad = c.TryGetProperty("grads", out var grads);
        foreach (var p in c.GetProperty("inputs").EnumerateObject())
        {
            var t = GoldenTensor.Read(p.Value);
            if (wantGrad && grads.TryGetProperty(p.Name, out _)) t.RequiresGrad = true;
            inputs[p.Name] = t;
        }
        var outs = Evaluate(c.GetProperty("op").GetString()!, inputs, args);
        if (c.TryGetProperty("outputs", out var expectedOuts))
        {
            var i = 0;
            foreach (var e in expectedOuts.EnumerateArray()) GoldenTensor.AssertClose(e, outs[i], $"{name} output {i++}");
        }
        else
        {
            GoldenTensor.AssertClose(c.GetProperty("output"), outs[0], $"{name} output");
        }
        if (!wantGrad) return;
        var g = GoldenTensor.Read(c.GetProperty("cotangent"));
        (outs[0] * g).Sum().Backward();
        foreach (var p in grads.EnumerateObject())
        {
            var grad = inputs[p.Name].Grad;
            Assert.True(grad is not null, $"{name}: no gradient for {p.Name}");
            GoldenTensor.AssertClose(p.Value, grad!, $"{name} grad {p.Name}", rtol: 1e-4, atol: 1e-5);
        }
    }

    private static long[] L(JsonElement a, string k) => a.GetProperty(k).EnumerateArray().Select(x => x.GetInt64()).ToArray();
    private static double D(JsonElement a, string k) => a.GetProperty(k).GetDouble();
    private static long I(JsonElement a, string k) => a.GetProperty(k).GetInt64();
    private static bool B(JsonElement a, string k) => a.GetProperty(k).GetBoolean();

    private static bool? OptBool(JsonElement a, string k) =>
        a.TryGetProperty(k, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetBoolean() : null;

    private static Tensor[] Evaluate(string op, Dictionary<string, Tensor> i, JsonElement a)
    {
        Tensor One(Tensor t) => t;
        switch (op)
        {
            case "unary":
                var x = i["x"];
                return new[] { a.GetProperty("fn").GetString() switch
                {
                    "exp" => x.Exp(), "sigmoid" => x.Sigmoid(), "tanh" => x.Tanh(), "relu" => F.Relu(x), "gelu" => F.Gelu(x),
                    "silu" => F.Silu(x), "abs" => x.Abs(), "neg" => x.Neg(), "sin" => x.Sin(), "cos" => x.Cos(), "erf" => x.Erf(),
                    "square" => x.Square(), "log" => x.Log(), "sqrt" => x.Sqrt(), "rsqrt" => x.Rsqrt(), "reciprocal" => x.Reciprocal(),
                    "log1p" => x.Log1p(), var f => throw new NotSupportedException(f),
                } };
            case "gelu_tanh": return new[] { F.Gelu(i["x"], tanhApproximation: true) };
            case "binary":
            {
                var (p, q) = (i["a"], i["b"]);
                return new[] { a.GetProperty("fn").GetString() switch
                {
                    "add" => p + q, "sub" => p - q, "mul" => p * q, "div" => p / q, "maximum" => p.Maximum(q), "minimum" => p.Minimum(q),
                    "pow" => p.Pow(q), var f => throw new NotSupportedException(f),
                } };
            }
            case "add_alpha": return new[] { i["a"].Add(i["b"], D(a, "alpha")) };
            case "pow_scalar": return new[] { i["a"].Pow(D(a, "e")) };
            case "rdiv_scalar": return new[] { D(a, "s") / i["a"] };
            case "rsub_scalar": return new[] { D(a, "s") - i["a"] };
            case "clamp": return new[] { i["x"].Clamp(D(a, "min"), D(a, "max")) };
            case "where": return new[] { Torch.Where(i["c"], i["a"], i["b"]) };
            case "lerp": return new[] { i["a"].Lerp(i["b"], D(a, "w")) };
            case "addcdiv": return new[] { i["s"].AddCDiv(i["a"], i["b"], D(a, "v")) };
            case "sum": return new[] { L(a, "dims").Length == 0 ? i["x"].Sum() : i["x"].Sum(L(a, "dims"), B(a, "keepdim")) };
            case "mean": return new[] { i["x"].Mean(L(a, "dims")) };
            case "var":
            {
                var dims = a.GetProperty("dims").ValueKind == JsonValueKind.Null ? null : L(a, "dims");
                return new[] { B(a, "std") ? i["x"].Std(dims, I(a, "correction")) : i["x"].Var(dims, I(a, "correction")) };
            }
            case "logsumexp": return new[] { i["x"].LogSumExp(I(a, "dim")) };
            case "max_dim": { var (v, ix) = i["x"].Max(I(a, "dim")); return new[] { v, ix }; }
            case "min_dim": { var (v, ix) = i["x"].Min(I(a, "dim")); return new[] { v, ix }; }
            case "amax": return new[] { i["x"].Amax(L(a, "dims")) };
            case "argmax": return new[] { i["x"].ArgMax(I(a, "dim")) };
            case "norm":
                return new[] { a.GetProperty("dims").ValueKind == JsonValueKind.Null ? i["x"].Norm(D(a, "p")) : i["x"].Norm(D(a, "p"), L(a, "dims")) };
            case "cumsum": return new[] { i["x"].CumSum(I(a, "dim")) };
            case "matmul": return new[] { i["a"].MatMul(i["b"]) };
            case "bmm": return new[] { Torch.Bmm(i["a"], i["b"]) };
            case "einsum": return new[] { Torch.Einsum(a.GetProperty("eq").GetString()!, i["a"], i["b"]) };
            case "linear": return new[] { F.Linear(i["x"], i["w"], i["b"]) };
            case "topk": { var (v, ix) = i["x"].TopK(I(a, "k"), I(a, "dim"), B(a, "largest")); return new[] { v, ix }; }
            case "sort": { var (v, ix) = i["x"].Sort(I(a, "dim"), B(a, "descending")); return new[] { v, ix }; }
            case "cdist": return new[] { Torch.CDist(i["a"], i["b"], D(a, "p")) };
            case "pairwise_distance": return new[] { F.PairwiseDistance(i["a"], i["b"]) };
            case "cosine_similarity": return new[] { F.CosineSimilarity(i["a"], i["b"], 1) };
            case "one_hot": return new[] { Torch.OneHot(i["x"], I(a, "n")) };
            case "permute_reshape": return new[] { i["x"].Permute(2, 0, 1).Reshape(4, 6) };
            case "cat": return new[] { Torch.Cat(new[] { i["a"], i["b"] }, I(a, "dim")) };
            case "stack": return new[] { Torch.Stack(new[] { i["a"], i["b"] }, I(a, "dim")) };
            case "gather": return new[] { i["x"].Gather(I(a, "dim"), i["i"]) };
            case "scatter_add": return new[] { i["x"].ScatterAdd(I(a, "dim"), i["i"], i["s"]) };
            case "index_select": return new[] { i["x"].IndexSelect(I(a, "dim"), i["i"]) };
            case "masked_fill": return new[] { i["x"].MaskedFill(i["m"], D(a, "v")) };
            case "flip": return new[] { i["x"].Flip(L(a, "dims")) };
            case "repeat": return new[] { i["x"].Repeat(L(a, "reps")) };
            case "expand": return new[] { i["x"].Expand(L(a, "shape")) };
            case "narrow_slice": return new[] { i["x"].Narrow(0, 1, 2).Slice(1, 1, 6, 2) };
            case "index_tensor": return new[] { i["x"].Index(i["i"]) };
            case "pad":
                return new[] { F.Pad(i["x"], L(a, "pad"), a.GetProperty("mode").GetString() == "reflect" ? PadMode.Reflect : PadMode.Constant,
                    a.TryGetProperty("value", out var pv) ? pv.GetDouble() : 0) };
            case "conv2d":
                return new[] { F.Conv2d(i["x"], i["w"], i.GetValueOrDefault("b"), L(a, "stride"), L(a, "padding"), L(a, "dilation"), I(a, "groups")) };
            case "conv_transpose2d":
                return new[] { F.ConvTranspose2d(i["x"], i["w"], i.GetValueOrDefault("b"), L(a, "stride"), L(a, "padding"), L(a, "output_padding"), I(a, "groups"), L(a, "dilation")) };
            case "conv1d": return new[] { F.Conv1d(i["x"], i["w"], i["b"], I(a, "stride"), I(a, "padding")) };
            case "max_pool2d": return new[] { F.MaxPool2d(i["x"], L(a, "k"), L(a, "s"), L(a, "p"), ceilMode: B(a, "ceil")) };
            case "avg_pool2d": return new[] { F.AvgPool2d(i["x"], L(a, "k"), L(a, "s"), L(a, "p"), B(a, "ceil"), B(a, "cip")) };
            case "adaptive_avg_pool2d": return new[] { F.AdaptiveAvgPool2d(i["x"], L(a, "size")) };
            case "adaptive_max_pool2d": return new[] { F.AdaptiveMaxPool2d(i["x"], L(a, "size")) };
            case "interpolate":
            case "interpolate_scale":
            {
                var mode = a.GetProperty("mode").GetString() switch
                {
                    "nearest" => InterpolationMode.Nearest, "bilinear" => InterpolationMode.Bilinear, "bicubic" => InterpolationMode.Bicubic,
                    "area" => InterpolationMode.Area, "nearest-exact" => InterpolationMode.NearestExact, var m => throw new NotSupportedException(m),
                };
                var aa = a.TryGetProperty("antialias", out var av) && av.GetBoolean();
                return op == "interpolate"
                    ? new[] { F.Interpolate(i["x"], size: L(a, "size"), mode: mode, alignCorners: OptBool(a, "align_corners"), antialias: aa) }
                    : new[] { F.Interpolate(i["x"], scaleFactor: a.GetProperty("scale").EnumerateArray().Select(v => v.GetDouble()).ToArray(), mode: mode, alignCorners: OptBool(a, "align_corners")) };
            }
            case "affine_grid": return new[] { F.AffineGrid(i["t"], L(a, "size"), B(a, "align_corners")) };
            case "grid_sample": return new[] { F.GridSample(i["x"], i["g"], (int)I(a, "mode"), (int)I(a, "padding"), B(a, "align_corners")) };
            case "batch_norm":
                return new[] { F.BatchNorm(i["x"], i["rm"], i["rv"], i["w"], i["b"], B(a, "training"), D(a, "momentum"), D(a, "eps")) };
            case "group_norm": return new[] { F.GroupNorm(i["x"], I(a, "groups"), i["w"], i["b"], D(a, "eps")) };
            case "layer_norm": return new[] { F.LayerNorm(i["x"], L(a, "shape"), i["w"], i["b"], D(a, "eps")) };
            case "instance_norm": return new[] { F.InstanceNorm(i["x"], weight: i["w"], bias: i["b"], eps: D(a, "eps")) };
            case "softmax": return new[] { F.Softmax(i["x"], I(a, "dim")) };
            case "log_softmax": return new[] { F.LogSoftmax(i["x"], I(a, "dim")) };
            case "leaky_relu": return new[] { F.LeakyRelu(i["x"], D(a, "slope")) };
            case "elu": return new[] { F.Elu(i["x"], D(a, "alpha")) };
            case "softplus": return new[] { F.Softplus(i["x"], D(a, "beta"), D(a, "threshold")) };
            case "bce_with_logits": return new[] { F.BinaryCrossEntropyWithLogits(i["x"], i["y"], posWeight: i["pw"]) };
            case "bce": return new[] { F.BinaryCrossEntropy(i["x"], i["y"], reduction: Reduction.Sum) };
            case "cross_entropy":
                return new[] { F.CrossEntropy(i["x"], i["y"], i.GetValueOrDefault("w_const"), Reduction.Mean, I(a, "ignore"), D(a, "smooth")) };
            case "nll_loss": return new[] { F.NllLoss(i["x"], i["y"]) };
            case "mse": return new[] { F.MseLoss(i["x"], i["y"]) };
            case "l1": return new[] { F.L1Loss(i["x"], i["y"]) };
            case "smooth_l1": return new[] { F.SmoothL1Loss(i["x"], i["y"], beta: D(a, "beta")) };
            case "kl_div": return new[] { F.KlDiv(i["x"], i["y"], batchMean: true) };
            case "triplet": return new[] { F.TripletMarginLoss(i["a"], i["p"], i["n"], D(a, "margin")) };
            default: throw new NotSupportedException("golden op " + op);
        }
    }
}
