namespace Thorax.Models.Weights.Onnx;

/// <summary>A node of a graph walk that carries weights (initializers), with its attributes resolved.</summary>
/// <param name="Node">The ONNX node.</param>
/// <param name="Order">Its position in the walk's topological order.</param>
public abstract record OnnxParameterGroup(OnnxNode Node, int Order)
{
    /// <summary>The node's data input (the value the parameters are applied to).</summary>
    public string Input => Node.Inputs[0];

    /// <summary>The node's first output.</summary>
    public string Output => Node.Outputs[0];
}

/// <summary>A <c>Conv</c> node: weight [out, in/group, kH, kW], optional bias, and its geometry. <see cref="Pads"/> are in
/// ONNX order (all begins, then all ends), zeros when absent; <see cref="AutoPad"/> is "NOTSET" unless the file says
/// otherwise.</summary>
public sealed record OnnxConv(OnnxNode Node, int Order, OnnxTensor Weight, OnnxTensor? Bias, long[] KernelShape,
    long[] Strides, long[] Pads, long[] Dilations, long Group, string AutoPad) : OnnxParameterGroup(Node, Order);

/// <summary>A <c>BatchNormalization</c> node (inference form): scale, bias, running mean and variance.</summary>
public sealed record OnnxBatchNorm(OnnxNode Node, int Order, OnnxTensor Scale, OnnxTensor Bias, OnnxTensor Mean,
    OnnxTensor Var, float Epsilon, float Momentum) : OnnxParameterGroup(Node, Order);

/// <summary>A <c>Gemm</c> node with a constant B (and optional C): Y = alpha·A·op(B) + beta·C.</summary>
public sealed record OnnxGemm(OnnxNode Node, int Order, OnnxTensor B, OnnxTensor? C, float Alpha, float Beta,
    bool TransA, bool TransB) : OnnxParameterGroup(Node, Order);

/// <summary>
/// Topology of an <see cref="OnnxGraph"/>: a topological order of its nodes (file order where the file is already
/// sorted, as ONNX requires), the producer and consumers of every value, and the parameter-carrying nodes
/// (<c>Conv</c>, <c>BatchNormalization</c>, <c>Gemm</c>) as <see cref="OnnxParameterGroup"/>s in that order. Loaders map
/// weights by following this topology rather than by initializer names, which exporters often leave anonymous.
/// </summary>
public sealed class OnnxGraphWalk
{
    private readonly Dictionary<string, OnnxNode> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<OnnxNode, int> _order = new(ReferenceEqualityComparer.Instance);

    /// <summary>Indexes <paramref name="graph"/>: the producer and the consumers of every value, and each node's position.</summary>
    public OnnxGraphWalk(OnnxGraph graph)
    {
        Graph = graph;
        foreach (var node in graph.Nodes)
        {
            foreach (var output in node.Outputs.Where(o => o.Length > 0))
            {
                if (!_producer.TryAdd(output, node))
                    throw new OnnxFormatException(graph.Source, $"graph: value '{output}' is produced by two nodes");
            }
        }
        var available = new HashSet<string>(graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        foreach (var t in graph.Initializers) available.Add(t.Name);

        // Kahn's algorithm, taking the earliest ready node in file order each time (file order when already sorted).
        var pending = new int[graph.Nodes.Count];
        var waiting = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var ready = new SortedSet<int>();
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            foreach (var input in node.Inputs.Where(n => n.Length > 0).Distinct())
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<OnnxNode>();
                list.Add(node);
                if (available.Contains(input)) continue;
                if (!_producer.ContainsKey(input))
                    throw new OnnxFormatException(graph.Source,
                        $"graph: input '{input}' of {node.Describe()} is not a graph input, an initializer or a node output");
                pending[i]++;
                if (!waiting.TryGetValue(input, out var w)) waiting[input] = w = new List<int>();
                w.Add(i);
            }
            if (pending[i] == 0) ready.Add(i);
        }
        var order = new List<OnnxNode>(graph.Nodes.Count);
        while (ready.Count > 0)
        {
            var i = ready.Min;
            ready.Remove(i);
            var node = graph.Nodes[i];
            _order[node] = order.Count;
            order.Add(node);
            foreach (var output in node.Outputs)
            {
                if (!waiting.TryGetValue(output, out var w)) continue;
                foreach (var j in w)
                    if (--pending[j] == 0) ready.Add(j);
            }
        }
        if (order.Count != graph.Nodes.Count)
            throw new OnnxFormatException(graph.Source, "graph: the nodes form a cycle");
        Order = order;
    }

    /// <summary>The graph walked.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>All nodes, each after the producers of its inputs.</summary>
    public IReadOnlyList<OnnxNode> Order { get; }

    /// <summary>The node producing <paramref name="value"/>, or null for graph inputs and initializers.</summary>
    public OnnxNode? Producer(string value) => _producer.GetValueOrDefault(value);

    /// <summary>The nodes reading <paramref name="value"/>, in file order.</summary>
    public IReadOnlyList<OnnxNode> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : Array.Empty<OnnxNode>();

    /// <summary>The only consumer of <paramref name="value"/>, which must have op type <paramref name="opType"/> (when
    /// given); otherwise an <see cref="OnnxFormatException"/> describing what was found.</summary>
    public OnnxNode SingleConsumer(string value, string? opType = null)
    {
        var consumers = Consumers(value);
        if (consumers.Count != 1 || (opType is not null && consumers[0].OpType != opType))
            throw new OnnxFormatException(Graph.Source,
                $"graph: expected value '{value}' to feed exactly one {opType ?? "node"}, found " +
                (consumers.Count == 0 ? "none" : string.Join(", ", consumers.Select(c => c.Describe()))));
        return consumers[0];
    }

    /// <summary>The Conv / BatchNormalization / Gemm nodes in topological order, with initializers and attributes.</summary>
    public IReadOnlyList<OnnxParameterGroup> ParameterGroups() =>
        Order.Where(n => n.OpType is "Conv" or "BatchNormalization" or "Gemm").Select(Group).ToList();

    /// <summary>The parameter group of one Conv, BatchNormalization or Gemm node.</summary>
    public OnnxParameterGroup Group(OnnxNode node)
    {
        var order = _order[node];
        var what = node.Describe();
        OnnxTensor Init(int index, string role)
        {
            if (node.Inputs.Count <= index || node.Inputs[index].Length == 0)
                throw new OnnxFormatException(Graph.Source, $"{what}: missing input {index} ({role})");
            return Graph.GetInitializer(node.Inputs[index], $"{what} {role}");
        }
        OnnxTensor? Optional(int index, string role) =>
            node.Inputs.Count > index && node.Inputs[index].Length > 0 ? Init(index, role) : null;

        switch (node.OpType)
        {
            case "Conv":
            {
                var w = Init(1, "weight");
                if (w.Dims.Count < 3)
                    throw new OnnxFormatException(Graph.Source, $"{what}: weight '{w.Name}' has {w.Dims.Count} dims");
                var spatial = w.Dims.Count - 2;
                var kernel = node.GetInts("kernel_shape")?.ToArray() ?? w.Dims.Skip(2).ToArray();
                var strides = node.GetInts("strides")?.ToArray() ?? Enumerable.Repeat(1L, spatial).ToArray();
                var pads = node.GetInts("pads")?.ToArray() ?? new long[2 * spatial];
                var dilations = node.GetInts("dilations")?.ToArray() ?? Enumerable.Repeat(1L, spatial).ToArray();
                if (kernel.Length != spatial || strides.Length != spatial || pads.Length != 2 * spatial || dilations.Length != spatial)
                    throw new OnnxFormatException(Graph.Source, $"{what}: attribute lengths do not match a {spatial}-D kernel");
                return new OnnxConv(node, order, w, Optional(2, "bias"), kernel, strides, pads, dilations,
                    node.GetInt("group", 1), node.GetString("auto_pad") ?? "NOTSET");
            }
            case "BatchNormalization":
                return new OnnxBatchNorm(node, order, Init(1, "scale"), Init(2, "bias"), Init(3, "mean"), Init(4, "var"),
                    node.GetFloat("epsilon", 1e-5f), node.GetFloat("momentum", 0.9f));
            case "Gemm":
                return new OnnxGemm(node, order, Init(1, "B"), Optional(2, "C"), node.GetFloat("alpha", 1f),
                    node.GetFloat("beta", 1f), node.GetInt("transA", 0) != 0, node.GetInt("transB", 0) != 0);
            default:
                throw new OnnxFormatException(Graph.Source, $"{what}: not a Conv, BatchNormalization or Gemm node");
        }
    }

    /// <summary>Shorthand for <c>new OnnxGraphWalk(graph).ParameterGroups()</c>.</summary>
    public static IReadOnlyList<OnnxParameterGroup> ParameterGroups(OnnxGraph graph) => new OnnxGraphWalk(graph).ParameterGroups();
}
