using FsCheck;
using FsCheck.Fluent;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

public sealed class SafeTensorsPropertyTests
{
    private static readonly ScalarType[] Types =
    {
        ScalarType.Float32, ScalarType.Float64, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    };

    [Fact]
    public void SerializeRead_AnyShapeAndDtype_RoundTripsExactly()
    {
        var gen = from rank in Gen.Choose(0, 3)
                  from dims in Gen.ArrayOf(Gen.Choose(0, 4), rank)
                  from type in Gen.Choose(0, Types.Length - 1)
                  from seed in Gen.Choose(0, 100_000)
                  select (dims, type, seed);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            using var scope = torch.NewDisposeScope();
            var shape = c.dims.Select(d => (long)d).ToArray();
            var dtype = Types[c.type];
            using var g = new torch.Generator((ulong)c.seed);
            var t = dtype.IsFloatingPoint()
                ? torch.randn(shape, generator: g).to(dtype)
                : torch.randint(-100, 100, shape, ScalarType.Int64, generator: g).to(dtype);
            var bytes = SafeTensors.Serialize(new[] { KeyValuePair.Create("x", t), KeyValuePair.Create("y", t) });
            var (sd, _) = SafeTensors.Read(bytes);
            try
            {
                return sd["x"].dtype == dtype && sd["x"].shape.SequenceEqual(shape) && SameBytes(sd["x"], t) && SameBytes(sd["y"], t);
            }
            finally
            {
                sd.DisposeAll();
            }
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Bit-exact equality (so -0.0 and NaN payloads count), for contiguous CPU tensors of one dtype.</summary>
    private static bool SameBytes(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.is_contiguous() && b.is_contiguous() && a.bytes.SequenceEqual(b.bytes);
}
