namespace Thorax.Models.Weights.Onnx;

/// <summary>ONNX tensor element types (the <c>TensorProto.DataType</c> enumeration values).</summary>
public enum OnnxDataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>ONNX attribute kinds (the <c>AttributeProto.AttributeType</c> enumeration values).</summary>
public enum OnnxAttributeType
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>The parts of an ONNX <c>ModelProto</c> that Thorax reads.</summary>
public sealed class OnnxModel
{
    internal OnnxModel(string source, long irVersion, string producerName, string producerVersion,
        IReadOnlyList<OnnxOpsetImport> opsetImports, OnnxGraph graph)
    {
        Source = source;
        IrVersion = irVersion;
        ProducerName = producerName;
        ProducerVersion = producerVersion;
        OpsetImports = opsetImports;
        Graph = graph;
    }

    /// <summary>The file path (or source name) the model was read from; used in error messages.</summary>
    public string Source { get; }
    public long IrVersion { get; }
    public string ProducerName { get; }
    public string ProducerVersion { get; }
    public IReadOnlyList<OnnxOpsetImport> OpsetImports { get; }
    public OnnxGraph Graph { get; }

    /// <summary>The opset version of the default (ONNX) domain, or 0 when none is declared.</summary>
    public long DefaultOpsetVersion =>
        OpsetImports.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
}

/// <summary>One <c>OperatorSetIdProto</c>: a domain and its opset version.</summary>
public sealed record OnnxOpsetImport(string Domain, long Version);

/// <summary>A graph input or output (<c>ValueInfoProto</c>): its name, element type and shape (null for a symbolic or
/// unknown dimension; <see cref="Shape"/> itself is null when no shape is recorded).</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, IReadOnlyList<long?>? Shape);

/// <summary>The parts of an ONNX <c>GraphProto</c> that Thorax reads: nodes, initializers, inputs and outputs.</summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, OnnxTensor> _initializers;

    internal OnnxGraph(string source, string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyList<OnnxTensor> initializers,
        IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs)
    {
        Source = source;
        Name = name;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
        _initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in initializers)
        {
            if (!_initializers.TryAdd(t.Name, t))
                throw new OnnxFormatException(source, $"graph.initializer: the name '{t.Name}' is used twice");
        }
    }

    public string Source { get; }
    public string Name { get; }
    /// <summary>Nodes in file order (ONNX requires this to be a topological order; see <see cref="OnnxGraphWalk"/>).</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyList<OnnxTensor> Initializers { get; }
    /// <summary>Declared graph inputs; older files list initializers here too (see <see cref="DataInputs"/>).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>The graph inputs that are not initializers, i.e. the ones a caller feeds.</summary>
    public IEnumerable<OnnxValueInfo> DataInputs => Inputs.Where(i => !_initializers.ContainsKey(i.Name));

    public bool TryGetInitializer(string name, out OnnxTensor tensor) => _initializers.TryGetValue(name, out tensor!);

    /// <summary>The initializer with this name, or an <see cref="OnnxFormatException"/> saying what needed it.</summary>
    public OnnxTensor GetInitializer(string name, string neededBy) =>
        _initializers.TryGetValue(name, out var t)
            ? t
            : throw new OnnxFormatException(Source, $"{neededBy}: input '{name}' is not an initializer of the graph");
}

/// <summary>One <c>NodeProto</c>.</summary>
public sealed class OnnxNode
{
    internal OnnxNode(string name, string opType, string domain, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        IReadOnlyDictionary<string, OnnxAttribute> attributes)
    {
        Name = name;
        OpType = opType;
        Domain = domain;
        Inputs = inputs;
        Outputs = outputs;
        Attributes = attributes;
    }

    public string Name { get; }
    public string OpType { get; }
    public string Domain { get; }
    /// <summary>Input value names; an empty string marks an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; }

    /// <summary>A short description for messages: op type and name (or first output when unnamed).</summary>
    public string Describe() =>
        $"{OpType} node '{(Name.Length > 0 ? Name : Outputs.Count > 0 ? Outputs[0] : "?")}'";

    public long GetInt(string name, long defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.I : defaultValue;

    public float GetFloat(string name, float defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.F : defaultValue;

    public string? GetString(string name) =>
        Attributes.TryGetValue(name, out var a) ? System.Text.Encoding.UTF8.GetString(a.S) : null;

    public IReadOnlyList<long>? GetInts(string name) =>
        Attributes.TryGetValue(name, out var a) ? a.Ints : null;
}

/// <summary>One <c>AttributeProto</c>. Sub-graphs (<c>g</c>, <c>graphs</c>) and sparse tensors are not read.</summary>
public sealed class OnnxAttribute
{
    internal OnnxAttribute(string name, OnnxAttributeType type, float f, long i, byte[] s, OnnxTensor? t,
        IReadOnlyList<float> floats, IReadOnlyList<long> ints, IReadOnlyList<byte[]> strings)
    {
        Name = name;
        Type = type;
        F = f;
        I = i;
        S = s;
        T = t;
        Floats = floats;
        Ints = ints;
        Strings = strings;
    }

    public string Name { get; }
    public OnnxAttributeType Type { get; }
    public float F { get; }
    public long I { get; }
    public byte[] S { get; }
    public OnnxTensor? T { get; }
    public IReadOnlyList<float> Floats { get; }
    public IReadOnlyList<long> Ints { get; }
    public IReadOnlyList<byte[]> Strings { get; }
}

/// <summary>
/// One <c>TensorProto</c> (an initializer or a tensor attribute). Float, int32 and int64 data are decoded, from
/// <c>raw_data</c> (little-endian) or from the typed repeated fields; other element types keep their dims only.
/// </summary>
public sealed class OnnxTensor
{
    private readonly string _source;
    private readonly float[]? _floats;
    private readonly long[]? _int64s;
    private readonly int[]? _int32s;

    internal OnnxTensor(string source, string name, OnnxDataType dataType, long[] dims, long elementCount,
        float[]? floats, long[]? int64s, int[]? int32s)
    {
        _source = source;
        Name = name;
        DataType = dataType;
        Dims = dims;
        ElementCount = elementCount;
        _floats = floats;
        _int64s = int64s;
        _int32s = int32s;
    }

    public string Name { get; }
    public OnnxDataType DataType { get; }
    public IReadOnlyList<long> Dims { get; }
    /// <summary>The product of <see cref="Dims"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The float elements in row-major order, or an <see cref="OnnxFormatException"/> for another type.</summary>
    public float[] GetFloats() =>
        _floats ?? throw new OnnxFormatException(_source,
            $"initializer '{Name}' has element type {DataType}, not Float");

    /// <summary>Int64 (or widened int32) elements, or an <see cref="OnnxFormatException"/> for another type.</summary>
    public long[] GetInt64s() =>
        _int64s ?? (_int32s is { } i32
            ? Array.ConvertAll(i32, v => (long)v)
            : throw new OnnxFormatException(_source, $"initializer '{Name}' has element type {DataType}, not Int64/Int32"));

    public override string ToString() => $"{Name} {DataType}[{string.Join(",", Dims)}]";
}
