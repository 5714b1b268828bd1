using Google.Protobuf;
using Thorax.Models.Weights.Onnx;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// The ONNX reader on small model files written field by field here with <see cref="CodedOutputStream"/> (ONNX schema
/// field numbers: ModelProto ir_version 1, producer_name 2, graph 7, opset_import 8; GraphProto node 1, name 2,
/// initializer 5, input 11, output 12; NodeProto input 1, output 2, name 3, op_type 4, attribute 5; AttributeProto
/// name 1, f 2, i 3, s 4, floats 7, ints 8, type 20; TensorProto dims 1, data_type 2, float_data 4, int32_data 5,
/// int64_data 7, name 8, raw_data 9, external_data 13, data_location 14).
/// </summary>
public class OnnxReaderTests
{
    private const WireFormat.WireType Delimited = WireFormat.WireType.LengthDelimited;

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        write(output);
        output.Flush();
        return ms.ToArray();
    }

    private static void Field(CodedOutputStream o, int number, byte[] payload)
    {
        o.WriteTag(number, Delimited);
        o.WriteBytes(ByteString.CopyFrom(payload));
    }

    private static void Text(CodedOutputStream o, int number, string value)
    {
        o.WriteTag(number, Delimited);
        o.WriteString(value);
    }

    private static void Varint(CodedOutputStream o, int number, long value)
    {
        o.WriteTag(number, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }

    private static void PackedInt64(CodedOutputStream o, int number, params long[] values) =>
        Field(o, number, Message(p => { foreach (var v in values) p.WriteInt64(v); }));

    private static byte[] RawFloats(params float[] values) =>
        values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Tensor(string name, int dataType, Action<CodedOutputStream> body) => Message(o =>
    {
        Varint(o, 2, dataType);
        Text(o, 8, name);
        body(o);
    });

    private static byte[] Attribute(string name, int type, Action<CodedOutputStream> body) => Message(o =>
    {
        Text(o, 1, name);
        body(o);
        Varint(o, 20, type);
    });

    private static byte[] Node(string opType, string[] inputs, string[] outputs, params byte[][] attributes) => Message(o =>
    {
        foreach (var i in inputs) Text(o, 1, i);
        foreach (var x in outputs) Text(o, 2, x);
        Text(o, 3, opType.ToLowerInvariant() + "_1");
        Text(o, 4, opType);
        foreach (var a in attributes) Field(o, 5, a);
    });

    private static byte[] ValueInfo(string name, params object[] dims) => Message(o =>
    {
        Text(o, 1, name);
        Field(o, 2, Message(type => Field(type, 1, Message(tensor =>
        {
            Varint(tensor, 1, 1);
            Field(tensor, 2, Message(shape =>
            {
                foreach (var d in dims)
                    Field(shape, 1, Message(dim =>
                    {
                        if (d is string param) Text(dim, 2, param);
                        else Varint(dim, 1, Convert.ToInt64(d));
                    }));
            }));
        }))));
    });

    private static byte[] Model(IEnumerable<byte[]> nodes, IEnumerable<byte[]> initializers) => Message(o =>
    {
        Varint(o, 1, 7);
        Text(o, 2, "thorax-test");
        Field(o, 7, Message(g =>
        {
            foreach (var n in nodes) Field(g, 1, n);
            Text(g, 2, "synthetic");
            foreach (var t in initializers) Field(g, 5, t);
            Field(g, 11, ValueInfo("x", "N", 1, 2, 2));
            Field(g, 12, ValueInfo("y", "N", 3));
        }));
        Field(o, 8, Message(op => { Text(op, 1, ""); Varint(op, 2, 13); }));
    });

    private static byte[][] Initializers() =>
    [
        // float raw_data, packed dims
        Tensor("w", 1, o => { PackedInt64(o, 1, 2, 1, 1, 1); Field(o, 9, RawFloats(1.5f, -2f)); }),
        // float_data packed, dims unpacked
        Tensor("scale", 1, o => { Varint(o, 1, 2); Field(o, 4, RawFloats(1f, 2f)); }),
        // float_data unpacked (fixed32 per value)
        Tensor("bias", 1, o =>
        {
            Varint(o, 1, 2);
            o.WriteTag(4, WireFormat.WireType.Fixed32); o.WriteFloat(0.5f);
            o.WriteTag(4, WireFormat.WireType.Fixed32); o.WriteFloat(-0.5f);
        }),
        Tensor("mean", 1, o => { PackedInt64(o, 1, 2); Field(o, 9, RawFloats(0.25f, 0.75f)); }),
        Tensor("var", 1, o => { PackedInt64(o, 1, 2); Field(o, 9, RawFloats(4f, 9f)); }),
        Tensor("fc_w", 1, o => { PackedInt64(o, 1, 3, 2); Field(o, 4, RawFloats(1, 2, 3, 4, 5, 6)); }),
        // int64_data packed, int64 raw_data, int32_data, a float scalar
        Tensor("shape", 7, o => { PackedInt64(o, 1, 3); PackedInt64(o, 7, 1, -2, 3_000_000_000); }),
        Tensor("shape_raw", 7, o => { PackedInt64(o, 1, 2); Field(o, 9, BitConverter.GetBytes(-1L).Concat(BitConverter.GetBytes(5L)).ToArray()); }),
        Tensor("i32", 6, o => { PackedInt64(o, 1, 2); Field(o, 5, Message(p => { p.WriteInt32(7); p.WriteInt32(-8); })); }),
        Tensor("scalar", 1, o => Field(o, 4, RawFloats(3.25f))),
    ];

    // File order deliberately not topological: Gemm first, then BN, then Conv.
    private static byte[][] Nodes() =>
    [
        Node("Gemm", ["flat", "fc_w"], ["y"],
            Attribute("alpha", 1, a => { a.WriteTag(2, WireFormat.WireType.Fixed32); a.WriteFloat(2f); }),
            Attribute("transB", 2, a => Varint(a, 3, 1))),
        Node("Flatten", ["bn_out"], ["flat"]),
        Node("BatchNormalization", ["conv_out", "scale", "bias", "mean", "var"], ["bn_out"],
            Attribute("epsilon", 1, a => { a.WriteTag(2, WireFormat.WireType.Fixed32); a.WriteFloat(1e-3f); })),
        Node("Conv", ["x", "w"], ["conv_out"],
            Attribute("kernel_shape", 7, a => PackedInt64(a, 8, 1, 1)),
            Attribute("strides", 7, a => { Varint(a, 8, 1); Varint(a, 8, 1); }),
            Attribute("pads", 7, a => PackedInt64(a, 8, 1, 0, 2, 0)),
            Attribute("auto_pad", 3, a => Text(a, 4, "NOTSET"))),
    ];

    [Fact]
    public void Initializers_FloatRawAndFloatData_Int64_Int32_Dims()
    {
        var model = OnnxReader.Read(Model(Nodes(), Initializers()), "synthetic.onnx");
        Assert.Equal(7, model.IrVersion);
        Assert.Equal("thorax-test", model.ProducerName);
        Assert.Equal(13, model.DefaultOpsetVersion);
        var g = model.Graph;
        Assert.Equal("synthetic", g.Name);
        Assert.Equal(10, g.Initializers.Count);

        OnnxTensor T(string name) { Assert.True(g.TryGetInitializer(name, out var t)); return t; }
        Assert.Equal(new long[] { 2, 1, 1, 1 }, T("w").Dims);
        Assert.Equal(new[] { 1.5f, -2f }, T("w").GetFloats());
        Assert.Equal(new[] { 1f, 2f }, T("scale").GetFloats());
        Assert.Equal(new long[] { 2 }, T("bias").Dims);
        Assert.Equal(new[] { 0.5f, -0.5f }, T("bias").GetFloats());
        Assert.Equal(new[] { 1f, 2, 3, 4, 5, 6 }, T("fc_w").GetFloats());
        Assert.Equal(OnnxDataType.Int64, T("shape").DataType);
        Assert.Equal(new[] { 1L, -2, 3_000_000_000 }, T("shape").GetInt64s());
        Assert.Equal(new[] { -1L, 5 }, T("shape_raw").GetInt64s());
        Assert.Equal(new[] { 7L, -8 }, T("i32").GetInt64s());
        Assert.Empty(T("scalar").Dims);
        Assert.Equal(1, T("scalar").ElementCount);
        Assert.Equal(new[] { 3.25f }, T("scalar").GetFloats());
        var wrongType = Assert.Throws<OnnxFormatException>(() => T("shape").GetFloats());
        Assert.Contains("'shape'", wrongType.Message);

        var input = Assert.Single(g.DataInputs);
        Assert.Equal("x", input.Name);
        Assert.Equal(new long?[] { null, 1, 2, 2 }, input.Shape);
        Assert.Equal("y", Assert.Single(g.Outputs).Name);
    }

    [Fact]
    public void GraphWalk_YieldsConvBatchNormGemm_InTopologicalOrder_WithAttributes()
    {
        var model = OnnxReader.Read(Model(Nodes(), Initializers()), "synthetic.onnx");
        var walk = new OnnxGraphWalk(model.Graph);
        Assert.Equal(new[] { "Conv", "BatchNormalization", "Flatten", "Gemm" }, walk.Order.Select(n => n.OpType));
        var groups = walk.ParameterGroups();
        Assert.Equal(3, groups.Count);
        var conv = Assert.IsType<OnnxConv>(groups[0]);
        Assert.Equal("w", conv.Weight.Name);
        Assert.Null(conv.Bias);
        Assert.Equal(new long[] { 1, 1 }, conv.KernelShape);
        Assert.Equal(new long[] { 1, 1 }, conv.Strides);
        Assert.Equal(new long[] { 1, 0, 2, 0 }, conv.Pads);
        Assert.Equal(new long[] { 1, 1 }, conv.Dilations);
        Assert.Equal("NOTSET", conv.AutoPad);
        var bn = Assert.IsType<OnnxBatchNorm>(groups[1]);
        Assert.Equal(("scale", "bias", "mean", "var"), (bn.Scale.Name, bn.Bias.Name, bn.Mean.Name, bn.Var.Name));
        Assert.Equal(1e-3f, bn.Epsilon);
        Assert.Equal("conv_out", bn.Input);
        var gemm = Assert.IsType<OnnxGemm>(groups[2]);
        Assert.Equal(2f, gemm.Alpha);
        Assert.Equal(1f, gemm.Beta);
        Assert.True(gemm.TransB);
        Assert.Null(gemm.C);
        Assert.Equal("BatchNormalization", walk.SingleConsumer("conv_out").OpType);
    }

    [Fact]
    public void RawDataOfWrongSize_NamesFileAndInitializer()
    {
        var bad = Tensor("w_bad", 1, o => { PackedInt64(o, 1, 3); Field(o, 9, RawFloats(1f, 2f)); });
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(Model([], [bad]), "bad.onnx"));
        Assert.Equal("bad.onnx", ex.FileName);
        Assert.StartsWith("bad.onnx: ", ex.Message);
        Assert.Contains("'w_bad'", ex.Message);
        Assert.Contains("raw_data", ex.Message);
    }

    [Fact]
    public void FloatDataCountMismatch_IsRefused()
    {
        var bad = Tensor("short", 1, o => { PackedInt64(o, 1, 2, 2); Field(o, 4, RawFloats(1f, 2f, 3f)); });
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(Model([], [bad]), "short.onnx"));
        Assert.Contains("'short'", ex.Message);
        Assert.Contains("float_data", ex.Message);
    }

    [Fact]
    public void ExternalData_IsRefusedWithAClearError()
    {
        var external = Tensor("big", 1, o =>
        {
            PackedInt64(o, 1, 1000);
            Field(o, 13, Message(e => { Text(e, 1, "location"); Text(e, 2, "weights.bin"); }));
            Varint(o, 14, 1);
        });
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(Model([], [external]), "ext.onnx"));
        Assert.Contains("'big'", ex.Message);
        Assert.Contains("external", ex.Message);
        Assert.Contains("weights.bin", ex.Message);
    }

    [Fact]
    public void HostileLengths_AreRefusedWithoutAllocating()
    {
        // A graph field that claims 2 GiB - 1 bytes, followed by 3 bytes.
        var model = Message(o => { o.WriteTag(7, Delimited); o.WriteLength(int.MaxValue); o.WriteRawTag(1, 2, 3); });
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(model, "hostile.onnx"));
        Assert.Contains("graph", ex.Message);
        Assert.Contains("remain", ex.Message);

        // raw_data inside an initializer that claims more than the initializer holds.
        var tensor = Message(o => { Varint(o, 2, 1); Text(o, 8, "liar"); o.WriteTag(9, Delimited); o.WriteLength(1 << 30); o.WriteRawTag(0, 0, 0, 0); });
        var ex2 = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(Model([], [tensor]), "hostile2.onnx"));
        Assert.Contains("raw_data", ex2.Message);
        Assert.Contains("'liar'", ex2.Message);

        // Dims whose product overflows, with no data.
        var huge = Tensor("huge", 1, o => PackedInt64(o, 1, long.MaxValue / 2, 4));
        Assert.Contains("overflow", Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(Model([], [huge]), "h.onnx")).Message);

        // Dims that do not overflow but have no data behind them: refused before any array of that size exists.
        var empty = Tensor("empty", 1, o => PackedInt64(o, 1, 1L << 40));
        Assert.Contains("'empty'", Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(Model([], [empty]), "e.onnx")).Message);
    }

    [Fact]
    public void NotAModel_AndTruncatedVarints_AreOnnxFormatExceptions()
    {
        Assert.Throws<OnnxFormatException>(() => OnnxReader.Read([], "empty.onnx"));
        Assert.Throws<OnnxFormatException>(() => OnnxReader.Read("hello, world"u8.ToArray(), "text.onnx"));
        Assert.Throws<OnnxFormatException>(() => OnnxReader.Read([0x08, 0xFF, 0xFF], "varint.onnx"));
        var valid = Model(Nodes(), Initializers());
        for (var length = 1; length <= valid.Length - 7; length += 7) // the last 6 bytes are opset_import
        {
            var ex = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(valid[..length], "cut.onnx"));
            Assert.StartsWith("cut.onnx: ", ex.Message);
        }
    }

    [Fact]
    public void GraphWalk_RefusesDanglingInputsAndCycles()
    {
        var dangling = OnnxReader.Read(Model([Node("Relu", ["nowhere"], ["y"])], []), "dangling.onnx");
        Assert.Contains("'nowhere'", Assert.Throws<OnnxFormatException>(() => new OnnxGraphWalk(dangling.Graph)).Message);
        var cycle = OnnxReader.Read(Model([Node("Relu", ["b"], ["a"]), Node("Relu", ["a"], ["b"])], []), "cycle.onnx");
        Assert.Contains("cycle", Assert.Throws<OnnxFormatException>(() => new OnnxGraphWalk(cycle.Graph)).Message);
    }
}
