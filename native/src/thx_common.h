// Shared declarations of the Thorax native shim: handle types, the export macro and the single error path.
// Every export returns int32_t: 0 on success, non-zero on failure; results come back through `out` parameters and
// the failure message is read with thx_last_error() (thread-local, owned by the shim, valid until the next call).
#pragma once
#include <torch/torch.h>
#include <cstdint>
#include <string>
#include <vector>

#define THX_API extern "C" __attribute__((visibility("default")))

typedef struct thx_tensor_s* thx_tensor;        // owns a heap torch::Tensor
typedef struct thx_generator_s* thx_generator;  // owns a heap at::Generator

namespace thx {
void set_last_error(const char* msg);
inline torch::Tensor& T(thx_tensor t) { return *reinterpret_cast<torch::Tensor*>(t); }
inline thx_tensor wrap(torch::Tensor&& t) { return reinterpret_cast<thx_tensor>(new torch::Tensor(std::move(t))); }
inline thx_tensor wrap(const torch::Tensor& t) { return reinterpret_cast<thx_tensor>(new torch::Tensor(t)); }
inline at::Generator& G(thx_generator g) { return *reinterpret_cast<at::Generator*>(g); }
inline c10::optional<at::Generator> OG(thx_generator g) {
  if (g == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Generator*>(g);
}
inline c10::optional<torch::Tensor> OT(thx_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return T(t);
}
inline torch::Tensor UT(thx_tensor t) { return t == nullptr ? torch::Tensor() : T(t); }
inline at::IntArrayRef A(const int64_t* p, int32_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }
inline std::vector<torch::Tensor> L(const thx_tensor* ts, int32_t n) {
  std::vector<torch::Tensor> v;
  v.reserve(n);
  for (int32_t i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}
// Writes up to `capacity` tensors into `out`, sets *count to the number produced; fails if capacity is too small.
int32_t write_list(const std::vector<torch::Tensor>& v, thx_tensor* out, int32_t capacity, int32_t* count);
c10::ScalarType dtype_of(int32_t code);
int32_t dtype_code(c10::ScalarType t);
c10::Device device_of(int32_t type, int32_t index);
}  // namespace thx

#define THX_TRY try {
#define THX_CATCH                                              \
  return 0;                                                    \
  }                                                            \
  catch (const c10::Error& e) {                                \
    thx::set_last_error(e.what_without_backtrace());           \
    return 1;                                                  \
  }                                                            \
  catch (const std::exception& e) {                            \
    thx::set_last_error(e.what());                             \
    return 1;                                                  \
  }                                                            \
  catch (...) {                                                \
    thx::set_last_error("unknown native exception");           \
    return 1;                                                  \
  }
