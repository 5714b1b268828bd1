using System.Runtime.CompilerServices;
using Thorax.Native;

namespace Thorax;

public sealed partial class Tensor
{
    // Codes shared with native/src/thx_tensor_math.cpp.
    internal enum UnaryOp
    {
        Neg = 0, Abs = 1, Exp = 2, Log = 3, Log1p = 4, Expm1 = 5, Sqrt = 6, Rsqrt = 7, Sin = 8, Cos = 9, Tan = 10,
        Tanh = 11, Sigmoid = 12, Relu = 13, Gelu = 14, Silu = 15, Floor = 16, Ceil = 17, Round = 18, Trunc = 19,
        Sign = 20, LogicalNot = 21, IsNan = 22, IsInf = 23, Reciprocal = 24, Erf = 25, Square = 26, Log2 = 27,
        Log10 = 28, GeluTanh = 29, BitwiseNot = 30, Asin = 31, Acos = 32, Atan = 33, Sinh = 34, Cosh = 35, Mish = 36,
        Hardswish = 37, Hardsigmoid = 38, Relu6 = 39, IsFinite = 40, Frac = 41, Selu = 42, LogSigmoid = 43,
        NanToNum = 44, Erfinv = 45,
    }

    internal enum BinaryOp
    {
        Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Maximum = 5, Minimum = 6, Atan2 = 7, Eq = 8, Ne = 9, Lt = 10,
        Le = 11, Gt = 12, Ge = 13, LogicalAnd = 14, LogicalOr = 15, LogicalXor = 16, Remainder = 17, Fmod = 18,
        FloorDivide = 19, BitwiseAnd = 20, BitwiseOr = 21, BitwiseXor = 22, TruncDivide = 23,
    }

    private unsafe Tensor Unary(UnaryOp op, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_unary((int)op, Handle, 0, &r), name);
        return new Tensor(r);
    }

    private unsafe Tensor UnaryInPlace(UnaryOp op, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_unary((int)op, Handle, 1, &r), name);
        return this;
    }

    private unsafe Tensor Binary(BinaryOp op, Tensor other, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_binary((int)op, Handle, other.Handle, 0, &r), name);
        return new Tensor(r);
    }

    private unsafe Tensor BinaryInPlace(BinaryOp op, Tensor other, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_binary((int)op, Handle, other.Handle, 1, &r), name);
        return this;
    }

    private unsafe Tensor Binary(BinaryOp op, double other, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_binary_scalar((int)op, Handle, other, 0, &r), name);
        return new Tensor(r);
    }

    private unsafe Tensor BinaryInPlace(BinaryOp op, double other, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_binary_scalar((int)op, Handle, other, 1, &r), name);
        return this;
    }

    internal static unsafe Tensor ScalarBinary(BinaryOp op, double a, Tensor b, [CallerMemberName] string name = "")
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_scalar_binary((int)op, a, b.Handle, &r), name);
        return new Tensor(r);
    }

    // ---- unary ----
    public Tensor Neg() => Unary(UnaryOp.Neg);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Log1p() => Unary(UnaryOp.Log1p);
    public Tensor Expm1() => Unary(UnaryOp.Expm1);
    public Tensor Log2() => Unary(UnaryOp.Log2);
    public Tensor Log10() => Unary(UnaryOp.Log10);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Square() => Unary(UnaryOp.Square);
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Tan() => Unary(UnaryOp.Tan);
    public Tensor Asin() => Unary(UnaryOp.Asin);
    public Tensor Acos() => Unary(UnaryOp.Acos);
    public Tensor Atan() => Unary(UnaryOp.Atan);
    public Tensor Sinh() => Unary(UnaryOp.Sinh);
    public Tensor Cosh() => Unary(UnaryOp.Cosh);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    public Tensor Silu() => Unary(UnaryOp.Silu);
    public Tensor Gelu() => Unary(UnaryOp.Gelu);
    public Tensor Erf() => Unary(UnaryOp.Erf);
    public Tensor Erfinv() => Unary(UnaryOp.Erfinv);
    public Tensor Floor() => Unary(UnaryOp.Floor);
    public Tensor Ceil() => Unary(UnaryOp.Ceil);
    /// <summary>Round half to even, as PyTorch.</summary>
    public Tensor Round() => Unary(UnaryOp.Round);
    public Tensor Trunc() => Unary(UnaryOp.Trunc);
    public Tensor Frac() => Unary(UnaryOp.Frac);
    public Tensor Sign() => Unary(UnaryOp.Sign);
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);
    public Tensor BitwiseNot() => Unary(UnaryOp.BitwiseNot);
    public Tensor IsNan() => Unary(UnaryOp.IsNan);
    public Tensor IsInf() => Unary(UnaryOp.IsInf);
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite);
    /// <summary>Replaces NaN with 0 and infinities with the dtype's extremes.</summary>
    public Tensor NanToNum() => Unary(UnaryOp.NanToNum);

    // ---- in place ----
    public Tensor Neg_() => UnaryInPlace(UnaryOp.Neg);
    public Tensor Abs_() => UnaryInPlace(UnaryOp.Abs);
    public Tensor Exp_() => UnaryInPlace(UnaryOp.Exp);
    public Tensor Log_() => UnaryInPlace(UnaryOp.Log);
    public Tensor Sqrt_() => UnaryInPlace(UnaryOp.Sqrt);
    public Tensor Sigmoid_() => UnaryInPlace(UnaryOp.Sigmoid);
    public Tensor Tanh_() => UnaryInPlace(UnaryOp.Tanh);
    public Tensor Relu_() => UnaryInPlace(UnaryOp.Relu);
    public Tensor Floor_() => UnaryInPlace(UnaryOp.Floor);
    public Tensor Round_() => UnaryInPlace(UnaryOp.Round);
    public Tensor Add_(Tensor other) => BinaryInPlace(BinaryOp.Add, other);
    public Tensor Add_(double other) => BinaryInPlace(BinaryOp.Add, other);
    public Tensor Sub_(Tensor other) => BinaryInPlace(BinaryOp.Sub, other);
    public Tensor Sub_(double other) => BinaryInPlace(BinaryOp.Sub, other);
    public Tensor Mul_(Tensor other) => BinaryInPlace(BinaryOp.Mul, other);
    public Tensor Mul_(double other) => BinaryInPlace(BinaryOp.Mul, other);
    public Tensor Div_(Tensor other) => BinaryInPlace(BinaryOp.Div, other);
    public Tensor Div_(double other) => BinaryInPlace(BinaryOp.Div, other);
    public Tensor Pow_(double other) => BinaryInPlace(BinaryOp.Pow, other);

    /// <summary><c>this += alpha * other</c> in place.</summary>
    public unsafe Tensor Add_(Tensor other, double alpha)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_add_alpha(Handle, other.Handle, alpha, 1, &r));
        return this;
    }

    /// <summary>Fills with <paramref name="value"/> in place.</summary>
    public Tensor Fill_(double value) { NativeMethods.Check(NativeMethods.thx_fill_(Handle, value)); return this; }

    /// <summary>Sets every element to zero in place.</summary>
    public Tensor Zero_() { NativeMethods.Check(NativeMethods.thx_zero_(Handle)); return this; }

    /// <summary>Copies <paramref name="src"/> (broadcast, converted) into this tensor in place.</summary>
    public Tensor Copy_(Tensor src) { NativeMethods.Check(NativeMethods.thx_copy_(Handle, src.Handle)); return this; }

    // ---- binary with broadcasting ----
    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, other);
    public Tensor Add(double other) => Binary(BinaryOp.Add, other);

    /// <summary><c>this + alpha * other</c>.</summary>
    public unsafe Tensor Add(Tensor other, double alpha)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_add_alpha(Handle, other.Handle, alpha, 0, &r));
        return new Tensor(r);
    }

    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, other);
    public Tensor Sub(double other) => Binary(BinaryOp.Sub, other);
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor Mul(double other) => Binary(BinaryOp.Mul, other);
    /// <summary>True division (integer inputs give floating results), as PyTorch's <c>/</c>.</summary>
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor Div(double other) => Binary(BinaryOp.Div, other);
    public Tensor FloorDivide(Tensor other) => Binary(BinaryOp.FloorDivide, other);
    public Tensor FloorDivide(double other) => Binary(BinaryOp.FloorDivide, other);
    public Tensor Remainder(Tensor other) => Binary(BinaryOp.Remainder, other);
    public Tensor Remainder(double other) => Binary(BinaryOp.Remainder, other);
    public Tensor Fmod(double other) => Binary(BinaryOp.Fmod, other);
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor Pow(double exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor Atan2(Tensor other) => Binary(BinaryOp.Atan2, other);
    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor Eq(double other) => Binary(BinaryOp.Eq, other);
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor Ne(double other) => Binary(BinaryOp.Ne, other);
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor Lt(double other) => Binary(BinaryOp.Lt, other);
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor Le(double other) => Binary(BinaryOp.Le, other);
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor Gt(double other) => Binary(BinaryOp.Gt, other);
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor Ge(double other) => Binary(BinaryOp.Ge, other);
    public Tensor LogicalAnd(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor LogicalOr(Tensor other) => Binary(BinaryOp.LogicalOr, other);
    public Tensor LogicalXor(Tensor other) => Binary(BinaryOp.LogicalXor, other);
    public Tensor BitwiseAnd(Tensor other) => Binary(BinaryOp.BitwiseAnd, other);
    public Tensor BitwiseOr(Tensor other) => Binary(BinaryOp.BitwiseOr, other);

    /// <summary><c>this + value * t1 * t2</c>.</summary>
    public unsafe Tensor AddCMul(Tensor t1, Tensor t2, double value = 1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_addc(0, Handle, t1.Handle, t2.Handle, value, 0, &r));
        return new Tensor(r);
    }

    /// <summary><c>this + value * t1 / t2</c>.</summary>
    public unsafe Tensor AddCDiv(Tensor t1, Tensor t2, double value = 1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_addc(1, Handle, t1.Handle, t2.Handle, value, 0, &r));
        return new Tensor(r);
    }

    /// <summary><c>this + weight * (end - this)</c>.</summary>
    public unsafe Tensor Lerp(Tensor end, double weight)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_lerp(Handle, end.Handle, weight, 0, &r));
        return new Tensor(r);
    }

    /// <summary>Clamps to [min, max]; either bound may be null.</summary>
    public unsafe Tensor Clamp(double? min = null, double? max = null)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, 0, &r));
        return new Tensor(r);
    }

    /// <summary>Clamps in place.</summary>
    public unsafe Tensor Clamp_(double? min = null, double? max = null)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, 1, &r));
        return this;
    }

    // ---- operators ----
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b) => ScalarBinary(BinaryOp.Sub, a, b, "rsub");
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    public static Tensor operator /(double a, Tensor b) => ScalarBinary(BinaryOp.Div, a, b, "rdiv");
    public static Tensor operator %(Tensor a, double b) => a.Remainder(b);
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    public static Tensor operator ^(Tensor a, Tensor b) => a.LogicalXor(b);
    public static Tensor operator !(Tensor a) => a.LogicalNot();

    /// <summary>Element-wise <c>scalar ** this</c>.</summary>
    public static Tensor Pow(double scalar, Tensor exponent) => ScalarBinary(BinaryOp.Pow, scalar, exponent, "pow");

    /// <summary>Matrix product with broadcasting (<c>torch.matmul</c>).</summary>
    public Tensor MatMul(Tensor other) => Torch.MatMul(this, other);

    // ---- comparison of whole tensors ----
    /// <summary>True when shapes and every element are equal.</summary>
    public unsafe bool Equal(Tensor other)
    {
        int r;
        NativeMethods.Check(NativeMethods.thx_equal(Handle, other.Handle, &r));
        return r != 0;
    }

    /// <summary><c>|this - other| &lt;= atol + rtol * |other|</c> everywhere.</summary>
    public unsafe bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        int r;
        NativeMethods.Check(NativeMethods.thx_allclose(Handle, other.Handle, rtol, atol, equalNan ? 1 : 0, &r));
        return r != 0;
    }
}
