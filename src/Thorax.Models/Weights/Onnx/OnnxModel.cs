namespace Thorax.Models.Weights.Onnx;

/// <summary>ONNX tensor element types (the <c>TensorProto.DataType</c> enumeration values).</summary>
public enum OnnxDataType
{
    /// <summary><c>UNDEFINED</c> (0): no type set.</summary>
    Undefined = 0,
    /// <summary><c>FLOAT</c> (1): 32-bit IEEE float.</summary>
    Float = 1,
    /// <summary><c>UINT8</c> (2): unsigned byte.</summary>
    UInt8 = 2,
    /// <summary><c>INT8</c> (3): signed byte.</summary>
    Int8 = 3,
    /// <summary><c>UINT16</c> (4).</summary>
    UInt16 = 4,
    /// <summary><c>INT16</c> (5).</summary>
    Int16 = 5,
    /// <summary><c>INT32</c> (6).</summary>
    Int32 = 6,
    /// <summary><c>INT64</c> (7).</summary>
    Int64 = 7,
    /// <summary><c>STRING</c> (8): byte strings.</summary>
    String = 8,
    /// <summary><c>BOOL</c> (9).</summary>
    Bool = 9,
    /// <summary><c>FLOAT16</c> (10): IEEE half precision.</summary>
    Float16 = 10,
    /// <summary><c>DOUBLE</c> (11): 64-bit IEEE float.</summary>
    Double = 11,
    /// <summary><c>UINT32</c> (12).</summary>
    UInt32 = 12,
    /// <summary><c>UINT64</c> (13).</summary>
    UInt64 = 13,
    /// <summary><c>COMPLEX64</c> (14): two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary><c>COMPLEX128</c> (15): two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary><c>BFLOAT16</c> (16): brain floating point.</summary>
    BFloat16 = 16,
}

/// <summary>ONNX attribute kinds (the <c>AttributeProto.AttributeType</c> enumeration values).</summary>
public enum OnnxAttributeType
{
    /// <summary><c>UNDEFINED</c> (0).</summary>
    Undefined = 0,
    /// <summary><c>FLOAT</c> (1): one float (<see cref="OnnxAttribute.F"/>).</summary>
    Float = 1,
    /// <summary><c>INT</c> (2): one integer (<see cref="OnnxAttribute.I"/>).</summary>
    Int = 2,
    /// <summary><c>STRING</c> (3): one byte string (<see cref="OnnxAttribute.S"/>).</summary>
    String = 3,
    /// <summary><c>TENSOR</c> (4): one tensor (<see cref="OnnxAttribute.T"/>).</summary>
    Tensor = 4,
    /// <summary><c>GRAPH</c> (5): a sub-graph (not read).</summary>
    Graph = 5,
    /// <summary><c>FLOATS</c> (6): a list of floats (<see cref="OnnxAttribute.Floats"/>).</summary>
    Floats = 6,
    /// <summary><c>INTS</c> (7): a list of integers (<see cref="OnnxAttribute.Ints"/>).</summary>
    Ints = 7,
    /// <summary><c>STRINGS</c> (8): a list of byte strings (<see cref="OnnxAttribute.Strings"/>).</summary>
    Strings = 8,
    /// <summary><c>TENSORS</c> (9): a list of tensors (not read).</summary>
    Tensors = 9,
    /// <summary><c>GRAPHS</c> (10): a list of sub-graphs (not read).</summary>
    Graphs = 10,
    /// <summary><c>SPARSE_TENSOR</c> (11): not read.</summary>
    SparseTensor = 11,
    /// <summary><c>SPARSE_TENSORS</c> (12): not read.</summary>
    SparseTensors = 12,
    /// <summary><c>TYPE_PROTO</c> (13): not read.</summary>
    TypeProto = 13,
    /// <summary><c>TYPE_PROTOS</c> (14): not read.</summary>
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
    /// <summary>The ONNX IR version (<c>ir_version</c>).</summary>
    public long IrVersion { get; }
    /// <summary>The tool that wrote the file (<c>producer_name</c>; empty when absent).</summary>
    public string ProducerName { get; }
    /// <summary>The version of that tool (<c>producer_version</c>; empty when absent).</summary>
    public string ProducerVersion { get; }
    /// <summary>The operator sets the model uses (<c>opset_import</c>).</summary>
    public IReadOnlyList<OnnxOpsetImport> OpsetImports { get; }
    /// <summary>The main graph.</summary>
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

    /// <summary>The file path (or source name) the graph was read from; used in error messages.</summary>
    public string Source { get; }

    /// <summary>The graph name (<c>name</c>; may be empty).</summary>
    public string Name { get; }

    /// <summary>Nodes in file order (ONNX requires this to be a topological order; see <see cref="OnnxGraphWalk"/>).</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>The stored tensors (weights, constants) in file order; names are unique.</summary>
    public IReadOnlyList<OnnxTensor> Initializers { get; }
    /// <summary>Declared graph inputs; older files list initializers here too (see <see cref="DataInputs"/>).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Declared graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>The graph inputs that are not initializers, i.e. the ones a caller feeds.</summary>
    public IEnumerable<OnnxValueInfo> DataInputs => Inputs.Where(i => !_initializers.ContainsKey(i.Name));

    /// <summary>The initializer with this name, when the graph has one.</summary>
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

    /// <summary>The node name (may be empty).</summary>
    public string Name { get; }

    /// <summary>The operator, e.g. <c>Conv</c>, <c>BatchNormalization</c>.</summary>
    public string OpType { get; }

    /// <summary>The operator set domain (empty for the default ONNX domain).</summary>
    public string Domain { get; }
    /// <summary>Input value names; an empty string marks an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Output value names.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The attributes by name.</summary>
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; }

    /// <summary>A short description for messages: op type and name (or first output when unnamed).</summary>
    public string Describe() =>
        $"{OpType} node '{(Name.Length > 0 ? Name : Outputs.Count > 0 ? Outputs[0] : "?")}'";

    /// <summary>Integer attribute <paramref name="name"/>, or <paramref name="defaultValue"/> when the node has none.</summary>
    public long GetInt(string name, long defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.I : defaultValue;

    /// <summary>Float attribute <paramref name="name"/>, or <paramref name="defaultValue"/> when the node has none.</summary>
    public float GetFloat(string name, float defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.F : defaultValue;

    /// <summary>String attribute <paramref name="name"/> decoded as UTF-8, or null when the node has none.</summary>
    public string? GetString(string name) =>
        Attributes.TryGetValue(name, out var a) ? System.Text.Encoding.UTF8.GetString(a.S) : null;

    /// <summary>Integer-list attribute <paramref name="name"/>, or null when the node has none.</summary>
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

    /// <summary>The attribute name.</summary>
    public string Name { get; }

    /// <summary>Which of the value fields below is meant.</summary>
    public OnnxAttributeType Type { get; }

    /// <summary>The value of a <c>FLOAT</c> attribute (0 otherwise).</summary>
    public float F { get; }

    /// <summary>The value of an <c>INT</c> attribute (0 otherwise).</summary>
    public long I { get; }

    /// <summary>The bytes of a <c>STRING</c> attribute (empty otherwise).</summary>
    public byte[] S { get; }

    /// <summary>The tensor of a <c>TENSOR</c> attribute (null otherwise).</summary>
    public OnnxTensor? T { get; }

    /// <summary>The values of a <c>FLOATS</c> attribute (empty otherwise).</summary>
    public IReadOnlyList<float> Floats { get; }

    /// <summary>The values of an <c>INTS</c> attribute (empty otherwise).</summary>
    public IReadOnlyList<long> Ints { get; }

    /// <summary>The values of a <c>STRINGS</c> attribute (empty otherwise).</summary>
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

    /// <summary>The tensor name (an initializer is referenced by it).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>The dimensions (empty for a scalar).</summary>
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

    /// <summary>Name, element type and dimensions, e.g. <c>conv1.weight Float[64,3,7,7]</c>.</summary>
    public override string ToString() => $"{Name} {DataType}[{string.Join(",", Dims)}]";
}
