// Elementwise math (enum-dispatched unary/binary ops), comparisons, clamps and reductions.
#include "thx_common.h"
#include <cmath>

using namespace thx;

static torch::Tensor unary(int32_t op, const torch::Tensor& x) {
  switch (op) {
    case 0: return x.neg();
    case 1: return x.abs();
    case 2: return x.exp();
    case 3: return x.log();
    case 4: return x.log1p();
    case 5: return x.expm1();
    case 6: return x.sqrt();
    case 7: return x.rsqrt();
    case 8: return x.sin();
    case 9: return x.cos();
    case 10: return x.tan();
    case 11: return x.tanh();
    case 12: return x.sigmoid();
    case 13: return torch::relu(x);
    case 14: return torch::gelu(x);
    case 15: return torch::silu(x);
    case 16: return x.floor();
    case 17: return x.ceil();
    case 18: return x.round();
    case 19: return x.trunc();
    case 20: return x.sign();
    case 21: return x.logical_not();
    case 22: return x.isnan();
    case 23: return x.isinf();
    case 24: return x.reciprocal();
    case 25: return x.erf();
    case 26: return x.square();
    case 27: return x.log2();
    case 28: return x.log10();
    case 29: return torch::gelu(x, "tanh");
    case 30: return x.bitwise_not();
    case 31: return x.asin();
    case 32: return x.acos();
    case 33: return x.atan();
    case 34: return x.sinh();
    case 35: return x.cosh();
    case 36: return torch::mish(x);
    case 37: return torch::hardswish(x);
    case 38: return torch::hardsigmoid(x);
    case 39: return torch::relu6(x);
    case 40: return x.isfinite();
    case 41: return x.frac();
    case 42: return torch::selu(x);
    case 43: return torch::log_sigmoid(x);
    case 44: return torch::nan_to_num(x, 0.0);
    case 45: return x.erfinv();
    default: throw std::runtime_error("unknown unary op " + std::to_string(op));
  }
}
static void unary_(int32_t op, torch::Tensor& x) {
  switch (op) {
    case 0: x.neg_(); return;
    case 1: x.abs_(); return;
    case 2: x.exp_(); return;
    case 3: x.log_(); return;
    case 6: x.sqrt_(); return;
    case 11: x.tanh_(); return;
    case 12: x.sigmoid_(); return;
    case 13: x.relu_(); return;
    case 15: torch::silu_(x); return;
    case 16: x.floor_(); return;
    case 17: x.ceil_(); return;
    case 18: x.round_(); return;
    case 24: x.reciprocal_(); return;
    case 26: x.square_(); return;
    case 44: x.nan_to_num_(0.0); return;
    default: x.copy_(unary(op, x)); return;
  }
}
THX_API int32_t thx_unary(int32_t op, thx_tensor t, int32_t inplace, thx_tensor* out) {
  THX_TRY
  if (inplace) {
    unary_(op, T(t));
    *out = nullptr;
  } else {
    *out = wrap(unary(op, T(t)));
  }
  THX_CATCH
}

template <typename B>
static torch::Tensor binary(int32_t op, const torch::Tensor& a, const B& b) {
  switch (op) {
    case 0: return a.add(b);
    case 1: return a.sub(b);
    case 2: return a.mul(b);
    case 3: return a.div(b);
    case 4: return a.pow(b);
    case 8: return a.eq(b);
    case 9: return a.ne(b);
    case 10: return a.lt(b);
    case 11: return a.le(b);
    case 12: return a.gt(b);
    case 13: return a.ge(b);
    case 17: return a.remainder(b);
    case 18: return a.fmod(b);
    case 19: return a.div(b, "floor");
    case 20: return a.bitwise_and(b);
    case 21: return a.bitwise_or(b);
    case 22: return a.bitwise_xor(b);
    case 23: return a.div(b, "trunc");
    default: break;
  }
  if constexpr (std::is_same<B, torch::Tensor>::value) {
    switch (op) {
      case 5: return torch::maximum(a, b);
      case 6: return torch::minimum(a, b);
      case 7: return torch::atan2(a, b);
      case 14: return a.logical_and(b);
      case 15: return a.logical_or(b);
      case 16: return a.logical_xor(b);
      default: break;
    }
  } else {
    switch (op) {
      case 5: return torch::clamp_min(a, b);
      case 6: return torch::clamp_max(a, b);
      default: break;
    }
  }
  throw std::runtime_error("unknown binary op " + std::to_string(op));
}
template <typename B>
static void binary_(int32_t op, torch::Tensor& a, const B& b) {
  switch (op) {
    case 0: a.add_(b); return;
    case 1: a.sub_(b); return;
    case 2: a.mul_(b); return;
    case 3: a.div_(b); return;
    case 4: a.pow_(b); return;
    case 17: a.remainder_(b); return;
    case 18: a.fmod_(b); return;
    default: a.copy_(binary(op, a, b)); return;
  }
}
THX_API int32_t thx_binary(int32_t op, thx_tensor a, thx_tensor b, int32_t inplace, thx_tensor* out) {
  THX_TRY
  if (inplace) {
    binary_(op, T(a), T(b));
    *out = nullptr;
  } else {
    *out = wrap(binary(op, T(a), T(b)));
  }
  THX_CATCH
}
// An integral value meets an integral tensor as an integer Scalar, so int64 tensors stay int64 (as Python ints do).
static at::Scalar scalar_for(const torch::Tensor& t, double v) {
  if (!at::isFloatingType(t.scalar_type()) && t.scalar_type() != at::kBool && std::floor(v) == v && std::fabs(v) < 9.0e15)
    return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

THX_API int32_t thx_binary_scalar(int32_t op, thx_tensor a, double b, int32_t inplace, thx_tensor* out) {
  THX_TRY
  at::Scalar s = scalar_for(T(a), b);
  if (inplace) {
    binary_(op, T(a), s);
    *out = nullptr;
  } else {
    *out = wrap(binary(op, T(a), s));
  }
  THX_CATCH
}
// scalar (op) tensor, for the reversed operators: 1 rsub, 3 rdiv (reciprocal * s, as PyTorch's __rtruediv__), 4 rpow
THX_API int32_t thx_scalar_binary(int32_t op, double a, thx_tensor b, thx_tensor* out) {
  THX_TRY
  auto& x = T(b);
  switch (op) {
    case 1: *out = wrap(torch::rsub(x, a)); break;
    case 3: *out = wrap(x.reciprocal().mul(a)); break;
    case 4: *out = wrap(torch::pow(at::Scalar(a), x)); break;
    default: throw std::runtime_error("unknown reversed scalar op " + std::to_string(op));
  }
  THX_CATCH
}
THX_API int32_t thx_add_alpha(thx_tensor a, thx_tensor b, double alpha, int32_t inplace, thx_tensor* out) {
  THX_TRY
  if (inplace) {
    T(a).add_(T(b), alpha);
    *out = nullptr;
  } else {
    *out = wrap(T(a).add(T(b), alpha));
  }
  THX_CATCH
}
// kind 0: addcmul, 1: addcdiv (in place when inplace != 0)
THX_API int32_t thx_addc(int32_t kind, thx_tensor self, thx_tensor t1, thx_tensor t2, double value, int32_t inplace, thx_tensor* out) {
  THX_TRY
  auto& s = T(self);
  *out = nullptr;
  if (kind == 0) {
    if (inplace) s.addcmul_(T(t1), T(t2), value); else *out = wrap(s.addcmul(T(t1), T(t2), value));
  } else {
    if (inplace) s.addcdiv_(T(t1), T(t2), value); else *out = wrap(s.addcdiv(T(t1), T(t2), value));
  }
  THX_CATCH
}
THX_API int32_t thx_lerp(thx_tensor self, thx_tensor end, double weight, int32_t inplace, thx_tensor* out) {
  THX_TRY
  *out = nullptr;
  if (inplace) T(self).lerp_(T(end), weight); else *out = wrap(T(self).lerp(T(end), weight));
  THX_CATCH
}
// has_min/has_max select the optional bounds
THX_API int32_t thx_clamp(thx_tensor t, int32_t has_min, double mn, int32_t has_max, double mx, int32_t inplace, thx_tensor* out) {
  THX_TRY
  c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(mn) : c10::nullopt;
  c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(mx) : c10::nullopt;
  *out = nullptr;
  if (inplace) T(t).clamp_(lo, hi); else *out = wrap(T(t).clamp(lo, hi));
  THX_CATCH
}
THX_API int32_t thx_where(thx_tensor cond, thx_tensor a, thx_tensor b, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::where(T(cond), T(a), T(b)));
  THX_CATCH
}
THX_API int32_t thx_fill_(thx_tensor t, double v) {
  THX_TRY
  T(t).fill_(scalar_for(T(t), v));
  THX_CATCH
}
THX_API int32_t thx_zero_(thx_tensor t) {
  THX_TRY
  T(t).zero_();
  THX_CATCH
}

// ---- reductions ----
// op: 0 sum, 1 mean, 2 prod, 3 amax, 4 amin, 5 logsumexp, 6 all, 7 any, 8 nansum, 9 count_nonzero.
// nd < 0 reduces over every dimension.
THX_API int32_t thx_reduce(int32_t op, thx_tensor t, const int64_t* dims, int32_t nd, int32_t keepdim, thx_tensor* out) {
  THX_TRY
  auto& x = T(t);
  bool all = nd < 0;
  bool kd = keepdim != 0;
  auto d = all ? at::IntArrayRef() : A(dims, nd);
  torch::Tensor r;
  switch (op) {
    case 0: r = all ? x.sum() : x.sum(d, kd); break;
    case 1: r = all ? x.mean() : x.mean(d, kd); break;
    case 2:
      if (all) r = x.prod();
      else if (nd == 1) r = x.prod(dims[0], kd);
      else throw std::runtime_error("prod reduces over one dimension or all");
      break;
    case 3: r = all ? x.max() : x.amax(d, kd); break;
    case 4: r = all ? x.min() : x.amin(d, kd); break;
    case 5: {
      std::vector<int64_t> alld;
      if (all) for (int64_t i = 0; i < x.dim(); i++) alld.push_back(i);
      r = torch::logsumexp(x, all ? at::IntArrayRef(alld) : d, kd);
      break;
    }
    case 6: r = all ? x.all() : (nd == 1 ? x.all(dims[0], kd) : throw std::runtime_error("all reduces over one dimension or all")); break;
    case 7: r = all ? x.any() : (nd == 1 ? x.any(dims[0], kd) : throw std::runtime_error("any reduces over one dimension or all")); break;
    case 8: r = all ? x.nansum() : x.nansum(d, kd); break;
    case 9: r = all ? x.count_nonzero() : x.count_nonzero(d); break;
    default: throw std::runtime_error("unknown reduction " + std::to_string(op));
  }
  *out = wrap(std::move(r));
  THX_CATCH
}
// var/std with Bessel correction; is_std selects std.
THX_API int32_t thx_var(thx_tensor t, const int64_t* dims, int32_t nd, int64_t correction, int32_t keepdim, int32_t is_std, thx_tensor* out) {
  THX_TRY
  auto& x = T(t);
  c10::optional<at::IntArrayRef> d = nd < 0 ? c10::nullopt : c10::optional<at::IntArrayRef>(A(dims, nd));
  *out = wrap(is_std ? torch::std(x, d, correction, keepdim != 0) : torch::var(x, d, correction, keepdim != 0));
  THX_CATCH
}
// is_max: max or min along dim with indices
THX_API int32_t thx_max_dim(thx_tensor t, int64_t dim, int32_t keepdim, int32_t is_max, thx_tensor* values, thx_tensor* indices) {
  THX_TRY
  auto r = is_max ? T(t).max(dim, keepdim != 0) : T(t).min(dim, keepdim != 0);
  *values = wrap(std::get<0>(r));
  *indices = wrap(std::get<1>(r));
  THX_CATCH
}
// has_dim == 0 flattens
THX_API int32_t thx_argmax(thx_tensor t, int32_t has_dim, int64_t dim, int32_t keepdim, int32_t is_max, thx_tensor* out) {
  THX_TRY
  c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
  *out = wrap(is_max ? T(t).argmax(d, keepdim != 0) : T(t).argmin(d, keepdim != 0));
  THX_CATCH
}
THX_API int32_t thx_norm(thx_tensor t, double p, const int64_t* dims, int32_t nd, int32_t keepdim, thx_tensor* out) {
  THX_TRY
  auto& x = T(t);
  if (nd < 0) *out = wrap(x.norm(p));
  else *out = wrap(x.norm(at::Scalar(p), A(dims, nd), keepdim != 0));
  THX_CATCH
}
// kind 0 cumsum, 1 cumprod
THX_API int32_t thx_cumulative(int32_t kind, thx_tensor t, int64_t dim, thx_tensor* out) {
  THX_TRY
  *out = wrap(kind == 0 ? T(t).cumsum(dim) : T(t).cumprod(dim));
  THX_CATCH
}
