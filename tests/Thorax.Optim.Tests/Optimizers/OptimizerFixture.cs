using System.Text.Json;

namespace Thorax.Optim.Tests.Optimizers;

/// <summary>Builds parameters, optimisers and gradient feeds from optimizers.json.</summary>
internal static class OptimizerFixture
{
    public static readonly string[] Names = { "w", "b", "c", "frozen" };

    public static JsonElement File => Golden.Load("optimizers.json");

    public static JsonElement Case(string name) => File.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static IEnumerable<object[]> CaseNames() =>
        File.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    /// <summary>Fresh leaf parameters with the golden initial values (caller disposes).</summary>
    public static Dictionary<string, Tensor> Parameters()
    {
        var init = File.GetProperty("init");
        return Names.ToDictionary(n => n, n =>
        {
            var e = init.GetProperty(n);
            return Torch.FromArray(Golden.Floats(e.GetProperty("data")), Golden.Longs(e.GetProperty("shape"))).RequiresGrad_().DetachFromScope();
        });
    }

    /// <summary>Assigns the golden gradients of 1-based <paramref name="step"/> (absent ones become null).</summary>
    public static void SetGrads(Dictionary<string, Tensor> ps, int step)
    {
        var g = File.GetProperty("grads")[step - 1];
        using var scope = Torch.NewScope();
        foreach (var (n, p) in ps)
        {
            p.ZeroGrad(setToNone: true);
            if (g.TryGetProperty(n, out var data)) p.Grad = Torch.FromArray(Golden.Floats(data), p.Shape);
        }
    }

    /// <summary>Builds the case's optimiser over <paramref name="ps"/>.</summary>
    public static Optimizer Build(JsonElement c, Dictionary<string, Tensor> ps)
    {
        var kind = c.GetProperty("optimizer").GetString();
        var d = c.GetProperty("defaults");
        var groups = c.GetProperty("groups").EnumerateArray().Select(g =>
        {
            var pg = new ParamGroup(g.GetProperty("params").EnumerateArray().Select(x => ps[x.GetString()!]));
            foreach (var prop in g.EnumerateObject())
            {
                if (prop.Name == "params") continue;
                switch (prop.Value.ValueKind)
                {
                    case JsonValueKind.Number: pg.Set(prop.Name, prop.Value.GetDouble()); break;
                    case JsonValueKind.True or JsonValueKind.False: pg.Set(prop.Name, prop.Value.GetBoolean()); break;
                    case JsonValueKind.Array: pg.Set(prop.Name, (prop.Value[0].GetDouble(), prop.Value[1].GetDouble())); break;
                }
            }
            return pg;
        }).ToList();
        double Num(string k, double def) => d.TryGetProperty(k, out var v) ? v.GetDouble() : def;
        bool Flag(string k) => d.TryGetProperty(k, out var v) && v.GetBoolean();
        (double, double) Betas() => d.TryGetProperty("betas", out var v) ? (v[0].GetDouble(), v[1].GetDouble()) : (0.9, 0.999);
        return kind switch
        {
            "sgd" => new Sgd(groups, new SgdOptions
            {
                Lr = Num("lr", double.NaN), Momentum = Num("momentum", 0), Dampening = Num("dampening", 0),
                WeightDecay = Num("weight_decay", 0), Nesterov = Flag("nesterov"), Maximize = Flag("maximize"),
            }),
            "adam" => new Adam(groups, new AdamOptions
            {
                Lr = Num("lr", 1e-3), Betas = Betas(), Eps = Num("eps", 1e-8), WeightDecay = Num("weight_decay", 0),
                AmsGrad = Flag("amsgrad"), Maximize = Flag("maximize"),
            }),
            "adamw" => new AdamW(groups, new AdamWOptions
            {
                Lr = Num("lr", 1e-3), Betas = Betas(), Eps = Num("eps", 1e-8), WeightDecay = Num("weight_decay", 1e-2),
                AmsGrad = Flag("amsgrad"), Maximize = Flag("maximize"),
            }),
            _ => throw new InvalidOperationException("unknown optimizer " + kind),
        };
    }

    /// <summary>Runs steps <paramref name="from"/>..<paramref name="to"/> (1-based, inclusive) with the golden gradients.</summary>
    public static void Run(Optimizer opt, Dictionary<string, Tensor> ps, int from, int to)
    {
        for (var s = from; s <= to; s++)
        {
            SetGrads(ps, s);
            using var scope = Torch.NewScope();
            opt.Step();
        }
    }

    public static void DisposeAll(Dictionary<string, Tensor> ps)
    {
        foreach (var p in ps.Values) p.Dispose();
    }
}
