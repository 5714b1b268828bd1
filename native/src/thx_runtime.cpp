// Runtime: errors, version, threads, seeds, determinism, grad mode, CUDA queries, generators.
#include "thx_common.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <ATen/autocast_mode.h>
#include <cstring>
#if defined(__has_include)
#if __has_include(<torch/cuda.h>)
#include <torch/cuda.h>
#endif
#endif

namespace thx {
static thread_local std::string last_error;
void set_last_error(const char* msg) { last_error = msg ? msg : ""; }

int32_t write_list(const std::vector<torch::Tensor>& v, thx_tensor* out, int32_t capacity, int32_t* count) {
  if (static_cast<int64_t>(v.size()) > capacity)
    throw std::runtime_error("native result has " + std::to_string(v.size()) + " tensors but the caller made room for " +
                             std::to_string(capacity));
  for (size_t i = 0; i < v.size(); i++) out[i] = wrap(v[i]);
  *count = static_cast<int32_t>(v.size());
  return 0;
}

c10::ScalarType dtype_of(int32_t code) {
  switch (code) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 11: case 15:
      return static_cast<c10::ScalarType>(code);
    default:
      throw std::runtime_error("unsupported dtype code " + std::to_string(code));
  }
}
int32_t dtype_code(c10::ScalarType t) { return static_cast<int32_t>(t); }
c10::Device device_of(int32_t type, int32_t index) {
  if (type == 0) return c10::Device(c10::DeviceType::CPU);
  if (type == 1) return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
  throw std::runtime_error("unsupported device type " + std::to_string(type));
}
}  // namespace thx

using namespace thx;

THX_API const char* thx_last_error(void) { return last_error.c_str(); }

THX_API int32_t thx_torch_version(char* buf, int32_t cap) {
  THX_TRY
  std::string v = TORCH_VERSION;
  std::strncpy(buf, v.c_str(), cap - 1);
  buf[cap - 1] = 0;
  THX_CATCH
}

THX_API int32_t thx_set_num_threads(int32_t n) {
  THX_TRY
  at::set_num_threads(n);
  THX_CATCH
}
THX_API int32_t thx_get_num_threads(int32_t* out) {
  THX_TRY
  *out = at::get_num_threads();
  THX_CATCH
}
THX_API int32_t thx_set_num_interop_threads(int32_t n) {
  THX_TRY
  at::set_num_interop_threads(n);
  THX_CATCH
}
THX_API int32_t thx_manual_seed(int64_t seed) {
  THX_TRY
  torch::manual_seed(static_cast<uint64_t>(seed));
  THX_CATCH
}
THX_API int32_t thx_set_deterministic(int32_t on) {
  THX_TRY
  at::globalContext().setDeterministicAlgorithms(on != 0, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(on != 0);
  at::globalContext().setBenchmarkCuDNN(false);
  THX_CATCH
}
THX_API int32_t thx_get_deterministic(int32_t* out) {
  THX_TRY
  *out = at::globalContext().deterministicAlgorithms() ? 1 : 0;
  THX_CATCH
}
THX_API int32_t thx_cuda_device_count(int32_t* out) {
  THX_TRY
  *out = static_cast<int32_t>(torch::cuda::device_count());
  THX_CATCH
}
THX_API int32_t thx_cuda_synchronize(int32_t device) {
  THX_TRY
#if defined(TORCH_CUDA_SYNC_AVAILABLE)
  torch::cuda::synchronize(device);
#else
  if (torch::cuda::is_available()) {
    // A tiny device->host copy forces completion of queued work on the current stream.
    auto t = torch::zeros({1}, torch::TensorOptions().device(torch::kCUDA, device));
    (void)t.cpu();
  }
#endif
  THX_CATCH
}
THX_API int32_t thx_grad_enabled(int32_t* out) {
  THX_TRY
  *out = at::GradMode::is_enabled() ? 1 : 0;
  THX_CATCH
}
THX_API int32_t thx_set_grad_enabled(int32_t on) {
  THX_TRY
  at::GradMode::set_enabled(on != 0);
  THX_CATCH
}
// Inference mode is an RAII guard in C++: the managed scope enters and exits it on the same thread.
THX_API int32_t thx_inference_mode_enter(void** out) {
  THX_TRY
  *out = new c10::InferenceMode(true);
  THX_CATCH
}
THX_API int32_t thx_inference_mode_exit(void* guard) {
  THX_TRY
  delete reinterpret_cast<c10::InferenceMode*>(guard);
  THX_CATCH
}
THX_API int32_t thx_autocast_set(int32_t device_type, int32_t enabled, int32_t dtype) {
  THX_TRY
  if (device_type == 0) {
    at::autocast::set_cpu_enabled(enabled != 0);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype_of(dtype));
  } else {
    at::autocast::set_enabled(enabled != 0);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype_of(dtype));
  }
  if (!enabled) at::autocast::clear_cache();
  THX_CATCH
}
THX_API int32_t thx_autocast_get(int32_t device_type, int32_t* enabled) {
  THX_TRY
  *enabled = (device_type == 0 ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled()) ? 1 : 0;
  THX_CATCH
}

// ---- generators ----
THX_API int32_t thx_generator_new(int64_t seed, int32_t device_type, thx_generator* out) {
  THX_TRY
  at::Generator g;
  if (device_type == 0) {
    g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  } else {
    throw std::runtime_error("per-generator seeding on CUDA is not supported by this shim; use the global seed");
  }
  *out = reinterpret_cast<thx_generator>(new at::Generator(std::move(g)));
  THX_CATCH
}
THX_API void thx_generator_free(thx_generator g) { delete reinterpret_cast<at::Generator*>(g); }
THX_API int32_t thx_generator_set_seed(thx_generator g, int64_t seed) {
  THX_TRY
  std::lock_guard<std::mutex> lock(G(g).mutex());
  G(g).set_current_seed(static_cast<uint64_t>(seed));
  THX_CATCH
}
THX_API int32_t thx_generator_get_state(thx_generator g, thx_tensor* out) {
  THX_TRY
  std::lock_guard<std::mutex> lock(G(g).mutex());
  *out = wrap(G(g).get_state());
  THX_CATCH
}
THX_API int32_t thx_generator_set_state(thx_generator g, thx_tensor state) {
  THX_TRY
  std::lock_guard<std::mutex> lock(G(g).mutex());
  G(g).set_state(T(state));
  THX_CATCH
}
THX_API int32_t thx_default_generator_get_state(thx_tensor* out) {
  THX_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  *out = wrap(g.get_state());
  THX_CATCH
}
THX_API int32_t thx_default_generator_set_state(thx_tensor state) {
  THX_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(T(state));
  THX_CATCH
}

// The default generator of a CUDA device. The code compiles against CPU-only and CUDA libtorch alike: without CUDA,
// at::globalContext() raises a c10::Error at run time, which THX_CATCH turns into the error message.
static at::Generator cuda_default_generator(int32_t device) {
  TORCH_CHECK(device >= 0, "CUDA device index must be >= 0, got ", device);
  return at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(device)));
}
THX_API int32_t thx_cuda_generator_get_state(int32_t device, thx_tensor* out) {
  THX_TRY
  auto g = cuda_default_generator(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  *out = wrap(g.get_state());
  THX_CATCH
}
THX_API int32_t thx_cuda_generator_set_state(int32_t device, thx_tensor state) {
  THX_TRY
  auto g = cuda_default_generator(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(T(state));
  THX_CATCH
}
