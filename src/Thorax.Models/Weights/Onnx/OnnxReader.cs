using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;

namespace Thorax.Models.Weights.Onnx;

/// <summary>
/// A minimal reader of ONNX model files: <c>ModelProto</c>, <c>GraphProto</c>, <c>NodeProto</c>,
/// <c>AttributeProto</c>, <c>TensorProto</c> and <c>ValueInfoProto</c>, decoded field by field with Google.Protobuf's
/// <see cref="CodedInputStream"/> using the field numbers of the published ONNX schema. Fields it does not need are
/// skipped. Every length-delimited field is checked against the bytes that remain in its enclosing message before
/// anything is read or allocated, so a hostile length can only produce an <see cref="OnnxFormatException"/>.
/// Unsupported: external tensor data (refused), sparse initializers (refused), sub-graph attributes (skipped).
/// </summary>
public static class OnnxReader
{
    /// <summary>Files at or above 2 GiB must use external data, which this reader refuses anyway.</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>Reads an ONNX file. Errors are <see cref="OnnxFormatException"/>s naming <paramref name="path"/>.</summary>
    public static OnnxModel ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX file not found: {path}", path);
        var length = new FileInfo(path).Length;
        if (length >= MaxFileBytes)
            throw new OnnxFormatException(path, $"file is {length} bytes; files of 2 GiB or more (external data) are not supported");
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads an ONNX model held in memory; <paramref name="sourceName"/> names it in error messages.</summary>
    public static OnnxModel Read(byte[] bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new Parser(bytes, sourceName).ReadModel();
    }

    private readonly record struct Span(int Start, int Length)
    {
        public int End => Start + Length;
    }

    private sealed class Parser
    {
        private readonly byte[] _buf;
        private readonly string _source;
        private readonly List<string> _where = new();

        public Parser(byte[] buf, string source)
        {
            _buf = buf;
            _source = source;
        }

        private string Where => _where.Count == 0 ? "ModelProto" : "ModelProto." + string.Join(".", _where);

        private OnnxFormatException Error(string message, Exception? inner = null) =>
            new(_source, $"{Where}: {message}", inner);

        public OnnxModel ReadModel()
        {
            try
            {
                return ParseModel(new Span(0, _buf.Length));
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw Error($"malformed protobuf ({ex.Message})", ex);
            }
        }

        // ---- primitives -------------------------------------------------------------------------------------------

        private CodedInputStream Open(Span s) => new(_buf, s.Start, s.Length);

        /// <summary>
        /// For a length-delimited field whose tag was just read: the payload's extent, checked against the end of the
        /// enclosing message, and the stream advanced past it. Nothing is allocated from the length.
        /// </summary>
        private Span Delimited(CodedInputStream input, uint tag, int end, string field)
        {
            if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
                throw Error($"field {field} has wire type {WireFormat.GetTagWireType(tag)}, expected length-delimited");
            var lengthAt = checked((int)input.Position);
            var peek = new CodedInputStream(_buf, lengthAt, Math.Min(10, end - lengthAt));
            var length = peek.ReadLength();
            var payloadAt = checked((int)peek.Position);
            if (length < 0 || length > end - payloadAt)
                throw Error($"field {field} declares {(uint)length} bytes but only {end - payloadAt} remain");
            input.SkipLastField();
            if (input.Position != payloadAt + length)
                throw Error($"field {field}: inconsistent length");
            return new Span(payloadAt, length);
        }

        private string String(CodedInputStream input, uint tag, int end, string field)
        {
            var s = Delimited(input, tag, end, field);
            return Encoding.UTF8.GetString(_buf, s.Start, s.Length);
        }

        private byte[] Bytes(CodedInputStream input, uint tag, int end, string field)
        {
            var s = Delimited(input, tag, end, field);
            return _buf.AsSpan(s.Start, s.Length).ToArray();
        }

        private void Int64s(CodedInputStream input, uint tag, int end, string field, List<long> into) =>
            Varints(input, tag, end, field, into, s => s.ReadInt64());

        private void Int32s(CodedInputStream input, uint tag, int end, string field, List<int> into) =>
            Varints(input, tag, end, field, into, s => s.ReadInt32());

        /// <summary>A repeated varint field, one value per tag or packed.</summary>
        private void Varints<T>(CodedInputStream input, uint tag, int end, string field, List<T> into, Func<CodedInputStream, T> read)
        {
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.Varint:
                    into.Add(read(input));
                    break;
                case WireFormat.WireType.LengthDelimited:
                    var packed = Open(Delimited(input, tag, end, field));
                    while (!packed.IsAtEnd) into.Add(read(packed));
                    break;
                default:
                    throw Error($"field {field} has wire type {WireFormat.GetTagWireType(tag)}, expected varint or packed");
            }
        }

        private void Floats(CodedInputStream input, uint tag, int end, string field, List<float> into)
        {
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.Fixed32:
                    into.Add(input.ReadFloat());
                    break;
                case WireFormat.WireType.LengthDelimited:
                    var s = Delimited(input, tag, end, field);
                    if (s.Length % 4 != 0)
                        throw Error($"field {field}: packed floats take {s.Length} bytes, not a multiple of 4");
                    into.AddRange(DecodeFloats(s));
                    break;
                default:
                    throw Error($"field {field} has wire type {WireFormat.GetTagWireType(tag)}, expected fixed32 or packed");
            }
        }

        private float[] DecodeFloats(Span s) => DecodeLittleEndian<float>(s);

        private long[] DecodeInt64s(Span s) => DecodeLittleEndian<long>(s);

        private int[] DecodeInt32s(Span s) => DecodeLittleEndian<int>(s);

        /// <summary>Whole little-endian elements of <typeparamref name="T"/> from a byte run (a trailing partial element is ignored).</summary>
        private T[] DecodeLittleEndian<T>(Span s) where T : unmanaged
        {
            var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            var result = new T[s.Length / size];
            var dst = MemoryMarshal.AsBytes(result.AsSpan());
            _buf.AsSpan(s.Start, dst.Length).CopyTo(dst);
            if (!BitConverter.IsLittleEndian)
                for (var i = 0; i < dst.Length; i += size) dst.Slice(i, size).Reverse();
            return result;
        }

        private static void ExpectWire(uint tag, WireFormat.WireType wire, Func<string, OnnxFormatException> error, string field)
        {
            if (WireFormat.GetTagWireType(tag) != wire)
                throw error($"field {field} has wire type {WireFormat.GetTagWireType(tag)}, expected {wire}");
        }

        // ---- messages ---------------------------------------------------------------------------------------------

        private OnnxModel ParseModel(Span span)
        {
            long irVersion = 0;
            string producerName = "", producerVersion = "";
            var opsets = new List<OnnxOpsetImport>();
            OnnxGraph? graph = null;
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "ir_version");
                        irVersion = input.ReadInt64();
                        break;
                    case 2: producerName = String(input, tag, span.End, "producer_name"); break;
                    case 3: producerVersion = String(input, tag, span.End, "producer_version"); break;
                    case 7:
                        _where.Add("graph");
                        graph = ParseGraph(Delimited(input, tag, span.End, "graph"));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 8:
                        _where.Add($"opset_import[{opsets.Count}]");
                        opsets.Add(ParseOpset(Delimited(input, tag, span.End, "opset_import")));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
            if (graph is null)
                throw Error("no graph (field 7); is this an ONNX model file?");
            return new OnnxModel(_source, irVersion, producerName, producerVersion, opsets, graph);
        }

        private OnnxOpsetImport ParseOpset(Span span)
        {
            string domain = "";
            long version = 0;
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: domain = String(input, tag, span.End, "domain"); break;
                    case 2:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "version");
                        version = input.ReadInt64();
                        break;
                    default: input.SkipLastField(); break;
                }
            }
            return new OnnxOpsetImport(domain, version);
        }

        private OnnxGraph ParseGraph(Span span)
        {
            string name = "";
            var nodes = new List<OnnxNode>();
            var initializers = new List<OnnxTensor>();
            var inputs = new List<OnnxValueInfo>();
            var outputs = new List<OnnxValueInfo>();
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        _where.Add($"node[{nodes.Count}]");
                        nodes.Add(ParseNode(Delimited(input, tag, span.End, "node")));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 2: name = String(input, tag, span.End, "name"); break;
                    case 5:
                        _where.Add($"initializer[{initializers.Count}]");
                        initializers.Add(ParseTensor(Delimited(input, tag, span.End, "initializer")));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 11:
                        _where.Add($"input[{inputs.Count}]");
                        inputs.Add(ParseValueInfo(Delimited(input, tag, span.End, "input")));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 12:
                        _where.Add($"output[{outputs.Count}]");
                        outputs.Add(ParseValueInfo(Delimited(input, tag, span.End, "output")));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 15:
                        throw Error("sparse_initializer is not supported");
                    default:
                        input.SkipLastField();
                        break;
                }
            }
            return new OnnxGraph(_source, name, nodes, initializers, inputs, outputs);
        }

        private OnnxNode ParseNode(Span span)
        {
            string name = "", opType = "", domain = "";
            var inputs = new List<string>();
            var outputs = new List<string>();
            var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: inputs.Add(String(input, tag, span.End, "input")); break;
                    case 2: outputs.Add(String(input, tag, span.End, "output")); break;
                    case 3: name = String(input, tag, span.End, "name"); break;
                    case 4: opType = String(input, tag, span.End, "op_type"); break;
                    case 5:
                        _where.Add($"attribute[{attributes.Count}]");
                        var a = ParseAttribute(Delimited(input, tag, span.End, "attribute"));
                        if (!attributes.TryAdd(a.Name, a))
                            throw Error($"attribute '{a.Name}' appears twice");
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 7: domain = String(input, tag, span.End, "domain"); break;
                    default: input.SkipLastField(); break;
                }
            }
            return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
        }

        private OnnxAttribute ParseAttribute(Span span)
        {
            string name = "";
            var type = OnnxAttributeType.Undefined;
            float f = 0;
            long i = 0;
            byte[] s = [];
            OnnxTensor? t = null;
            var floats = new List<float>();
            var ints = new List<long>();
            var strings = new List<byte[]>();
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        name = String(input, tag, span.End, "name");
                        _where[^1] = $"attribute '{name}'";
                        break;
                    case 2:
                        ExpectWire(tag, WireFormat.WireType.Fixed32, m => Error(m), "f");
                        f = input.ReadFloat();
                        break;
                    case 3:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "i");
                        i = input.ReadInt64();
                        break;
                    case 4: s = Bytes(input, tag, span.End, "s"); break;
                    case 5:
                        _where.Add("t");
                        t = ParseTensor(Delimited(input, tag, span.End, "t"));
                        _where.RemoveAt(_where.Count - 1);
                        break;
                    case 7: Floats(input, tag, span.End, "floats", floats); break;
                    case 8: Int64s(input, tag, span.End, "ints", ints); break;
                    case 9: strings.Add(Bytes(input, tag, span.End, "strings")); break;
                    case 20:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "type");
                        type = (OnnxAttributeType)input.ReadInt32();
                        break;
                    default: input.SkipLastField(); break;
                }
            }
            return new OnnxAttribute(name, type, f, i, s, t, floats, ints, strings);
        }

        private OnnxValueInfo ParseValueInfo(Span span)
        {
            string name = "";
            var elementType = OnnxDataType.Undefined;
            List<long?>? shape = null;
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: name = String(input, tag, span.End, "name"); break;
                    case 2:
                        // TypeProto: tensor_type = 1 -> TypeProto.Tensor: elem_type = 1, shape = 2.
                        var typeSpan = Delimited(input, tag, span.End, "type");
                        var typeInput = Open(typeSpan);
                        uint typeTag;
                        while ((typeTag = typeInput.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(typeTag) != 1) { typeInput.SkipLastField(); continue; }
                            var tensorSpan = Delimited(typeInput, typeTag, typeSpan.End, "type.tensor_type");
                            (elementType, shape) = ParseTensorType(tensorSpan);
                        }
                        break;
                    default: input.SkipLastField(); break;
                }
            }
            return new OnnxValueInfo(name, elementType, shape);
        }

        private (OnnxDataType, List<long?>?) ParseTensorType(Span span)
        {
            var elementType = OnnxDataType.Undefined;
            List<long?>? shape = null;
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "elem_type");
                        elementType = (OnnxDataType)input.ReadInt32();
                        break;
                    case 2:
                        // TensorShapeProto: dim = 1 -> Dimension: dim_value = 1, dim_param = 2.
                        shape = new List<long?>();
                        var shapeSpan = Delimited(input, tag, span.End, "shape");
                        var shapeInput = Open(shapeSpan);
                        uint dimTag;
                        while ((dimTag = shapeInput.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(dimTag) != 1) { shapeInput.SkipLastField(); continue; }
                            var dimSpan = Delimited(shapeInput, dimTag, shapeSpan.End, "shape.dim");
                            long? value = null;
                            var dimInput = Open(dimSpan);
                            uint valueTag;
                            while ((valueTag = dimInput.ReadTag()) != 0)
                            {
                                if (WireFormat.GetTagFieldNumber(valueTag) == 1
                                    && WireFormat.GetTagWireType(valueTag) == WireFormat.WireType.Varint)
                                    value = dimInput.ReadInt64();
                                else
                                    dimInput.SkipLastField();
                            }
                            shape.Add(value);
                        }
                        break;
                    default: input.SkipLastField(); break;
                }
            }
            return (elementType, shape);
        }

        private OnnxTensor ParseTensor(Span span)
        {
            string name = "";
            var dataType = OnnxDataType.Undefined;
            var dims = new List<long>();
            var floatData = new List<float>();
            var int32Data = new List<int>();
            var int64Data = new List<long>();
            Span? raw = null;
            var external = false;
            string? externalLocation = null;
            var input = Open(span);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: Int64s(input, tag, span.End, "dims", dims); break;
                    case 2:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "data_type");
                        dataType = (OnnxDataType)input.ReadInt32();
                        break;
                    case 3: throw Error("segmented tensors (field segment) are not supported");
                    case 4: Floats(input, tag, span.End, "float_data", floatData); break;
                    case 5: Int32s(input, tag, span.End, "int32_data", int32Data); break;
                    case 7: Int64s(input, tag, span.End, "int64_data", int64Data); break;
                    case 8:
                        name = String(input, tag, span.End, "name");
                        _where[^1] = $"{_where[^1]} '{name}'";
                        break;
                    case 9: raw = Delimited(input, tag, span.End, "raw_data"); break;
                    case 13:
                        external = true;
                        externalLocation ??= ExternalLocation(Delimited(input, tag, span.End, "external_data"));
                        break;
                    case 14:
                        ExpectWire(tag, WireFormat.WireType.Varint, m => Error(m), "data_location");
                        if (input.ReadInt32() == 1) external = true;
                        break;
                    default: input.SkipLastField(); break;
                }
            }

            var what = $"tensor '{name}'";
            if (external)
                throw Error($"{what} keeps its data in an external file{(externalLocation is null ? "" : $" ('{externalLocation}')")}; " +
                            "external data is not supported, only self-contained .onnx files");

            long count = 1;
            foreach (var d in dims)
            {
                if (d < 0) throw Error($"{what} has a negative dimension {d}");
                try { count = checked(count * d); }
                catch (OverflowException) { throw Error($"{what}: dims [{string.Join(",", dims)}] overflow"); }
            }

            float[]? floats = null;
            long[]? int64s = null;
            int[]? int32s = null;
            switch (dataType)
            {
                case OnnxDataType.Float:
                    floats = raw is { } rf ? DecodeRaw(rf, 4, count, what, DecodeFloats) : Typed(floatData, floatData.Count, count, what, "float_data");
                    if (raw is not null && floatData.Count > 0) throw Error($"{what} has both raw_data and float_data");
                    break;
                case OnnxDataType.Int64:
                    int64s = raw is { } rl ? DecodeRaw(rl, 8, count, what, DecodeInt64s) : Typed(int64Data, int64Data.Count, count, what, "int64_data");
                    if (raw is not null && int64Data.Count > 0) throw Error($"{what} has both raw_data and int64_data");
                    break;
                case OnnxDataType.Int32:
                    int32s = raw is { } ri ? DecodeRaw(ri, 4, count, what, DecodeInt32s) : Typed(int32Data, int32Data.Count, count, what, "int32_data");
                    if (raw is not null && int32Data.Count > 0) throw Error($"{what} has both raw_data and int32_data");
                    break;
                case OnnxDataType.Undefined:
                    throw Error($"{what} has no data_type");
            }
            return new OnnxTensor(_source, name, dataType, dims.ToArray(), count, floats, int64s, int32s);
        }

        private T[] DecodeRaw<T>(Span raw, int elementSize, long count, string what, Func<Span, T[]> decode)
        {
            if (raw.Length % elementSize != 0 || raw.Length / elementSize != count)
                throw Error($"{what}: raw_data holds {raw.Length} bytes but dims need {count} x {elementSize}");
            return decode(raw);
        }

        private T[] Typed<T>(List<T> values, int have, long count, string what, string field)
        {
            if (have != count)
                throw Error($"{what}: {field} holds {have} values but dims need {count}");
            return values.ToArray();
        }

        private string? ExternalLocation(Span entry)
        {
            // StringStringEntryProto: key = 1, value = 2.
            string? key = null, value = null;
            var input = Open(entry);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: key = String(input, tag, entry.End, "external_data.key"); break;
                    case 2: value = String(input, tag, entry.End, "external_data.value"); break;
                    default: input.SkipLastField(); break;
                }
            }
            return key == "location" ? value : null;
        }
    }
}
