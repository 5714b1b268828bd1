using FsCheck;
using FsCheck.Fluent;

namespace Thorax.Nn.Tests.IO;

public sealed class SafeTensorsPropertyTests
{
    private static readonly DType[] Types =
        { DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int64, DType.Int32, DType.Int16, DType.Int8, DType.UInt8, DType.Bool };

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
            using var scope = Torch.NewScope();
            var shape = c.dims.Select(d => (long)d).ToArray();
            using var g = new Generator(c.seed);
            var t = Torch.RandInt(0, 2, shape, g).To(Types[c.type]);
            if (Types[c.type].IsFloatingPoint()) t = Torch.Randn(shape, g).To(Types[c.type]);
            var bytes = SafeTensors.Serialize(new[] { KeyValuePair.Create("x", t), KeyValuePair.Create("y", t) });
            var (sd, _) = SafeTensors.Read(bytes);
            using (sd)
            {
                return sd["x"].DType == t.DType && sd["x"].Shape.SequenceEqual(shape) && sd["x"].Equal(t) && sd["y"].Equal(t);
            }
        }).QuickCheckThrowOnFailure();
    }
}
