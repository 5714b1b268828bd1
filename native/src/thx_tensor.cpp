// Tensor lifetime, metadata, creation, data access, conversion and autograd.
#include "thx_common.h"
#include <cstring>

using namespace thx;

static torch::TensorOptions opts(int32_t dtype, int32_t dev_type, int32_t dev_index, int32_t requires_grad) {
  return torch::TensorOptions().dtype(dtype_of(dtype)).device(device_of(dev_type, dev_index)).requires_grad(requires_grad != 0);
}

THX_API void thx_tensor_free(thx_tensor t) { delete reinterpret_cast<torch::Tensor*>(t); }

THX_API int32_t thx_tensor_info(thx_tensor t, int32_t* ndim, int32_t* dtype, int32_t* dev_type, int32_t* dev_index) {
  THX_TRY
  auto& x = T(t);
  if (!x.defined()) throw std::runtime_error("tensor is undefined");
  *ndim = static_cast<int32_t>(x.dim());
  *dtype = dtype_code(x.scalar_type());
  *dev_type = static_cast<int32_t>(x.device().type());
  *dev_index = x.device().index();
  THX_CATCH
}
THX_API int32_t thx_tensor_sizes(thx_tensor t, int64_t* out, int32_t cap) {
  THX_TRY
  auto s = T(t).sizes();
  if (static_cast<int32_t>(s.size()) > cap) throw std::runtime_error("sizes buffer too small");
  for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
  THX_CATCH
}
THX_API int32_t thx_tensor_strides(thx_tensor t, int64_t* out, int32_t cap) {
  THX_TRY
  auto s = T(t).strides();
  if (static_cast<int32_t>(s.size()) > cap) throw std::runtime_error("strides buffer too small");
  for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
  THX_CATCH
}
THX_API int32_t thx_tensor_numel(thx_tensor t, int64_t* out) {
  THX_TRY
  *out = T(t).numel();
  THX_CATCH
}
THX_API int32_t thx_tensor_is_contiguous(thx_tensor t, int32_t* out) {
  THX_TRY
  *out = T(t).is_contiguous() ? 1 : 0;
  THX_CATCH
}
THX_API int32_t thx_tensor_data_ptr(thx_tensor t, void** out) {
  THX_TRY
  *out = T(t).data_ptr();
  THX_CATCH
}
THX_API int32_t thx_tensor_shallow_copy(thx_tensor t, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t));
  THX_CATCH
}

// ---- creation ----
THX_API int32_t thx_empty(const int64_t* shape, int32_t nd, int32_t dtype, int32_t dt, int32_t di, int32_t rg, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::empty(A(shape, nd), opts(dtype, dt, di, rg)));
  THX_CATCH
}
THX_API int32_t thx_full(const int64_t* shape, int32_t nd, double value, int32_t dtype, int32_t dt, int32_t di, int32_t rg, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::full(A(shape, nd), value, opts(dtype, dt, di, rg)));
  THX_CATCH
}
THX_API int32_t thx_arange(double start, double end, double step, int32_t dtype, int32_t dt, int32_t di, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::arange(start, end, step, opts(dtype, dt, di, 0)));
  THX_CATCH
}
THX_API int32_t thx_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t dt, int32_t di, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::linspace(start, end, steps, opts(dtype, dt, di, 0)));
  THX_CATCH
}
THX_API int32_t thx_eye(int64_t n, int64_t m, int32_t dtype, int32_t dt, int32_t di, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::eye(n, m, opts(dtype, dt, di, 0)));
  THX_CATCH
}
// kind: 0 rand, 1 randn
THX_API int32_t thx_random(int32_t kind, const int64_t* shape, int32_t nd, thx_generator g, int32_t dtype, int32_t dt, int32_t di, thx_tensor* out) {
  THX_TRY
  auto o = opts(dtype, dt, di, 0);
  auto gen = OG(g);
  *out = wrap(kind == 0 ? torch::rand(A(shape, nd), gen, o) : torch::randn(A(shape, nd), gen, o));
  THX_CATCH
}
THX_API int32_t thx_randint(int64_t low, int64_t high, const int64_t* shape, int32_t nd, thx_generator g, int32_t dtype, int32_t dt, int32_t di, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::randint(low, high, A(shape, nd), OG(g), opts(dtype, dt, di, 0)));
  THX_CATCH
}
THX_API int32_t thx_randperm(int64_t n, thx_generator g, int32_t dt, int32_t di, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::randperm(n, OG(g), opts(4, dt, di, 0)));
  THX_CATCH
}
// In-place random fills. kind: 0 uniform(a,b), 1 normal(mean=a, std=b), 2 bernoulli(p=a), 3 trunc-normal handled in managed code
THX_API int32_t thx_fill_random_(thx_tensor t, int32_t kind, double a, double b, thx_generator g) {
  THX_TRY
  torch::NoGradGuard ng;
  auto& x = T(t);
  if (kind == 0) x.uniform_(a, b, OG(g));
  else if (kind == 1) x.normal_(a, b, OG(g));
  else if (kind == 2) x.bernoulli_(a, OG(g));
  else throw std::runtime_error("unknown random fill kind");
  THX_CATCH
}
// Copies `nbytes` from host memory into a new CPU tensor of the given dtype and shape.
THX_API int32_t thx_from_buffer(const void* data, int64_t nbytes, const int64_t* shape, int32_t nd, int32_t dtype, thx_tensor* out) {
  THX_TRY
  auto t = torch::empty(A(shape, nd), torch::TensorOptions().dtype(dtype_of(dtype)));
  if (static_cast<int64_t>(t.nbytes()) != nbytes)
    throw std::runtime_error("buffer has " + std::to_string(nbytes) + " bytes but shape needs " + std::to_string(t.nbytes()));
  if (nbytes > 0) std::memcpy(t.data_ptr(), data, nbytes);
  *out = wrap(std::move(t));
  THX_CATCH
}
// Wraps external host memory without copying; `deleter(ctx)` runs when the last tensor using it is freed.
THX_API int32_t thx_from_blob(void* data, const int64_t* shape, int32_t nd, int32_t dtype, void (*deleter)(void*), void* ctx, thx_tensor* out) {
  THX_TRY
  auto del = [deleter, ctx](void*) { if (deleter) deleter(ctx); };
  *out = wrap(torch::from_blob(data, A(shape, nd), del, torch::TensorOptions().dtype(dtype_of(dtype))));
  THX_CATCH
}
// Copies a contiguous CPU copy of the tensor's values into `dst` (nbytes must match).
THX_API int32_t thx_copy_to_buffer(thx_tensor t, void* dst, int64_t nbytes) {
  THX_TRY
  auto c = T(t).detach().to(torch::kCPU).contiguous();
  if (static_cast<int64_t>(c.nbytes()) != nbytes)
    throw std::runtime_error("destination has " + std::to_string(nbytes) + " bytes but tensor has " + std::to_string(c.nbytes()));
  if (nbytes > 0) std::memcpy(dst, c.data_ptr(), nbytes);
  THX_CATCH
}
THX_API int32_t thx_item(thx_tensor t, double* out) {
  THX_TRY
  *out = T(t).item<double>();
  THX_CATCH
}
THX_API int32_t thx_item_int64(thx_tensor t, int64_t* out) {
  THX_TRY
  *out = T(t).item<int64_t>();
  THX_CATCH
}

// ---- conversion ----
THX_API int32_t thx_to(thx_tensor t, int32_t dtype, int32_t dt, int32_t di, int32_t non_blocking, int32_t copy, thx_tensor* out) {
  THX_TRY
  auto& x = T(t);
  auto dev = dt < 0 ? x.device() : device_of(dt, di);
  auto ty = dtype < 0 ? x.scalar_type() : dtype_of(dtype);
  *out = wrap(x.to(dev, ty, non_blocking != 0, copy != 0));
  THX_CATCH
}
THX_API int32_t thx_to_memory_format(thx_tensor t, int32_t channels_last, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).contiguous(channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  THX_CATCH
}
THX_API int32_t thx_clone(thx_tensor t, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).clone());
  THX_CATCH
}
THX_API int32_t thx_copy_(thx_tensor dst, thx_tensor src) {
  THX_TRY
  T(dst).copy_(T(src));
  THX_CATCH
}
THX_API int32_t thx_to_string(thx_tensor t, char* buf, int32_t cap, int32_t* needed) {
  THX_TRY
  std::ostringstream os;
  os << T(t);
  auto s = os.str();
  *needed = static_cast<int32_t>(s.size()) + 1;
  if (cap > 0) {
    std::strncpy(buf, s.c_str(), cap - 1);
    buf[cap - 1] = 0;
  }
  THX_CATCH
}
THX_API int32_t thx_equal(thx_tensor a, thx_tensor b, int32_t* out) {
  THX_TRY
  *out = T(a).equal(T(b)) ? 1 : 0;
  THX_CATCH
}
THX_API int32_t thx_allclose(thx_tensor a, thx_tensor b, double rtol, double atol, int32_t equal_nan, int32_t* out) {
  THX_TRY
  *out = T(a).allclose(T(b), rtol, atol, equal_nan != 0) ? 1 : 0;
  THX_CATCH
}

// ---- autograd ----
THX_API int32_t thx_requires_grad(thx_tensor t, int32_t* out) {
  THX_TRY
  *out = T(t).requires_grad() ? 1 : 0;
  THX_CATCH
}
THX_API int32_t thx_set_requires_grad(thx_tensor t, int32_t on) {
  THX_TRY
  T(t).set_requires_grad(on != 0);
  THX_CATCH
}
THX_API int32_t thx_is_leaf(thx_tensor t, int32_t* out) {
  THX_TRY
  *out = T(t).is_leaf() ? 1 : 0;
  THX_CATCH
}
THX_API int32_t thx_grad(thx_tensor t, thx_tensor* out) {
  THX_TRY
  auto g = T(t).grad();
  *out = g.defined() ? wrap(g) : nullptr;
  THX_CATCH
}
THX_API int32_t thx_set_grad(thx_tensor t, thx_tensor g) {
  THX_TRY
  T(t).mutable_grad() = g == nullptr ? torch::Tensor() : T(g);
  THX_CATCH
}
// set_to_none: drop the gradient; otherwise zero it in place (PyTorch's zero_grad semantics).
THX_API int32_t thx_zero_grad(thx_tensor t, int32_t set_to_none) {
  THX_TRY
  auto& g = T(t).mutable_grad();
  if (g.defined()) {
    if (set_to_none) g = torch::Tensor();
    else {
      if (g.grad_fn()) g = g.detach();
      else g.requires_grad_(false);
      g.zero_();
    }
  }
  THX_CATCH
}
THX_API int32_t thx_retain_grad(thx_tensor t) {
  THX_TRY
  T(t).retain_grad();
  THX_CATCH
}
THX_API int32_t thx_backward(thx_tensor t, thx_tensor grad, int32_t retain_graph, int32_t create_graph) {
  THX_TRY
  c10::optional<bool> rg = retain_graph < 0 ? c10::nullopt : c10::optional<bool>(retain_graph != 0);
  T(t).backward(UT(grad), rg, create_graph != 0);
  THX_CATCH
}
// torch.autograd.grad(outputs, inputs, grad_outputs)
THX_API int32_t thx_autograd_grad(const thx_tensor* outs, int32_t nout, const thx_tensor* grads, int32_t ngrad, const thx_tensor* ins, int32_t nin,
                                  int32_t retain_graph, int32_t create_graph, int32_t allow_unused, thx_tensor* result) {
  THX_TRY
  std::vector<torch::Tensor> go;
  for (int32_t i = 0; i < ngrad; i++) go.push_back(UT(grads[i]));
  c10::optional<bool> rg = retain_graph < 0 ? c10::nullopt : c10::optional<bool>(retain_graph != 0);
  auto r = torch::autograd::grad(L(outs, nout), L(ins, nin), go, rg, create_graph != 0, allow_unused != 0);
  for (int32_t i = 0; i < nin; i++) result[i] = r[i].defined() ? wrap(r[i]) : nullptr;
  THX_CATCH
}
THX_API int32_t thx_detach(thx_tensor t, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).detach());
  THX_CATCH
}
THX_API int32_t thx_detach_(thx_tensor t) {
  THX_TRY
  T(t).detach_();
  THX_CATCH
}
THX_API int32_t thx_grad_fn_name(thx_tensor t, char* buf, int32_t cap) {
  THX_TRY
  auto f = T(t).grad_fn();
  std::string s = f ? f->name() : "";
  std::strncpy(buf, s.c_str(), cap - 1);
  buf[cap - 1] = 0;
  THX_CATCH
}
