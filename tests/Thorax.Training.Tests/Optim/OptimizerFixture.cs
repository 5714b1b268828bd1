using System.Text.Json;
using Thorax.Training.Optim;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;

namespace Thorax.Training.Tests.Optim;

/// <summary>Builds parameters, TorchSharp optimisers and gradient feeds from optimizers.json (PyTorch 1.13).</summary>
internal static class OptimizerFixture
{
    public static readonly string[] Names = { "w", "b", "c", "frozen" };

    public static JsonElement File => TestData.Load("optim/optimizers.json");

    public static JsonElement Case(string name) => File.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static IEnumerable<object[]> CaseNames() =>
        File.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    /// <summary>Fresh leaf parameters with the golden initial values (caller disposes).</summary>
    public static Dictionary<string, Parameter> Parameters()
    {
        var init = File.GetProperty("init");
        return Names.ToDictionary(n => n, n =>
        {
            var e = init.GetProperty(n);
            using var t = torch.tensor(TestData.Floats(e.GetProperty("data")), TestData.Longs(e.GetProperty("shape")));
            return (Parameter)new Parameter(t.clone(), requires_grad: true).DetachFromDisposeScope();
        });
    }

    /// <summary>Assigns the golden gradients of 1-based <paramref name="step"/> (absent ones become null).</summary>
    public static void SetGrads(Dictionary<string, Parameter> ps, int step)
    {
        var g = File.GetProperty("grads")[step - 1];
        foreach (var (n, p) in ps)
        {
            p.grad = null;
            if (g.TryGetProperty(n, out var data))
            {
                using var grad = torch.tensor(TestData.Floats(data), p.shape);
                p.grad = grad;
            }
        }
    }

    /// <summary>
    /// Builds the case's optimiser over <paramref name="ps"/>: TorchSharp's SGD, except <see cref="PyTorchSgd"/> for SGD
    /// with maximize (TorchSharp's SGD gets maximize + weight decay wrong), and Thorax's <see cref="SafeAdam"/> /
    /// <see cref="SafeAdamW"/> (what every Thorax trainer uses), or TorchSharp's Adam / AdamW with
    /// <paramref name="torchSharpAdam"/>.
    /// Options a group does not set stay unset, so they come from the optimiser's defaults as in PyTorch.
    /// </summary>
    public static torch.optim.Optimizer Build(JsonElement c, Dictionary<string, Parameter> ps, bool torchSharpSgd = false, bool torchSharpAdam = false)
    {
        var kind = c.GetProperty("optimizer").GetString();
        var d = c.GetProperty("defaults");
        double Num(JsonElement o, string k, double def) => o.TryGetProperty(k, out var v) ? v.GetDouble() : def;
        double? Opt(JsonElement o, string k) => o.TryGetProperty(k, out var v) ? v.GetDouble() : null;
        bool? Flag(JsonElement o, string k) => o.TryGetProperty(k, out var v) ? v.GetBoolean() : null;
        IEnumerable<Parameter> Ps(JsonElement g) => g.GetProperty("params").EnumerateArray().Select(x => ps[x.GetString()!]).ToList();
        var groups = c.GetProperty("groups").EnumerateArray().ToList();
        (double, double) Betas(JsonElement o) => o.TryGetProperty("betas", out var v) ? (v[0].GetDouble(), v[1].GetDouble()) : (0.9, 0.999);
        switch (kind)
        {
            case "sgd":
            {
                var gs = groups.Select(g => new SGD.ParamGroup(Ps(g), new SGD.Options
                {
                    LearningRate = Opt(g, "lr"), momentum = Opt(g, "momentum"), dampening = Opt(g, "dampening"),
                    weight_decay = Opt(g, "weight_decay"), nesterov = Flag(g, "nesterov"), maximize = Flag(g, "maximize"),
                })).ToList();
                var maximize = Flag(d, "maximize") ?? false;
                return maximize && !torchSharpSgd
                    ? new PyTorchSgd(gs, Num(d, "lr", double.NaN), Num(d, "momentum", 0), Num(d, "dampening", 0), Num(d, "weight_decay", 0), Flag(d, "nesterov") ?? false, maximize)
                    : new SGD(gs, Num(d, "lr", double.NaN), Num(d, "momentum", 0), Num(d, "dampening", 0), Num(d, "weight_decay", 0), Flag(d, "nesterov") ?? false, maximize);
            }
            case "adam":
            {
                var gs = groups.Select(g => new Adam.ParamGroup(Ps(g), new Adam.Options
                {
                    LearningRate = Opt(g, "lr"), beta1 = g.TryGetProperty("betas", out _) ? Betas(g).Item1 : null,
                    beta2 = g.TryGetProperty("betas", out _) ? Betas(g).Item2 : null, eps = Opt(g, "eps"),
                    weight_decay = Opt(g, "weight_decay"), amsgrad = Flag(g, "amsgrad"), maximize = Flag(g, "maximize"),
                })).ToList();
                var (b1, b2) = Betas(d);
                return torchSharpAdam
                    ? new Adam(gs, Num(d, "lr", 1e-3), b1, b2, Num(d, "eps", 1e-8), Num(d, "weight_decay", 0), Flag(d, "amsgrad") ?? false, Flag(d, "maximize") ?? false)
                    : new SafeAdam(gs, Num(d, "lr", 1e-3), b1, b2, Num(d, "eps", 1e-8), Num(d, "weight_decay", 0), Flag(d, "amsgrad") ?? false, Flag(d, "maximize") ?? false);
            }
            case "adamw":
            {
                var gs = groups.Select(g => new AdamW.ParamGroup(Ps(g), new AdamW.Options
                {
                    LearningRate = Opt(g, "lr"), beta1 = g.TryGetProperty("betas", out _) ? Betas(g).Item1 : null,
                    beta2 = g.TryGetProperty("betas", out _) ? Betas(g).Item2 : null, eps = Opt(g, "eps"),
                    weight_decay = Opt(g, "weight_decay"), amsgrad = Flag(g, "amsgrad"), maximize = Flag(g, "maximize"),
                })).ToList();
                var (b1, b2) = Betas(d);
                // PyTorch's AdamW default weight_decay is 1e-2; TorchSharp's is 0, so it is passed explicitly.
                return torchSharpAdam
                    ? new AdamW(gs, Num(d, "lr", 1e-3), b1, b2, Num(d, "eps", 1e-8), Num(d, "weight_decay", 1e-2), Flag(d, "amsgrad") ?? false, Flag(d, "maximize") ?? false)
                    : new SafeAdamW(gs, Num(d, "lr", 1e-3), b1, b2, Num(d, "eps", 1e-8), Num(d, "weight_decay", 1e-2), Flag(d, "amsgrad") ?? false, Flag(d, "maximize") ?? false);
            }
            default:
                throw new InvalidOperationException("unknown optimizer " + kind);
        }
    }

    /// <summary>Runs steps <paramref name="from"/>..<paramref name="to"/> (1-based, inclusive) with the golden gradients.</summary>
    public static void Run(torch.optim.Optimizer opt, Dictionary<string, Parameter> ps, int from, int to)
    {
        for (var s = from; s <= to; s++)
        {
            SetGrads(ps, s);
            opt.step();
        }
    }

    public static float[] Values(Parameter p) => TestData.Values(p);

    public static void DisposeAll(Dictionary<string, Parameter> ps)
    {
        foreach (var p in ps.Values) p.Dispose();
    }
}
