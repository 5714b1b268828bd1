// Optimiser update rules, applied in place with PyTorch 1.13's single-tensor arithmetic (same op order, so the
// same rounding), plus gradient clipping. The managed optimisers own the state tensors and step counters.
#include "thx_common.h"
#include <cmath>

using namespace thx;

// Adam / AdamW. steps[i] is the step count after incrementing. max_sq may be NULL unless amsgrad.
THX_API int32_t thx_adam_step(const thx_tensor* params, const thx_tensor* grads, const thx_tensor* exp_avg, const thx_tensor* exp_avg_sq,
                              const thx_tensor* max_sq, int32_t n, const int64_t* steps, double lr, double beta1, double beta2, double eps,
                              double weight_decay, int32_t amsgrad, int32_t decoupled, int32_t maximize) {
  THX_TRY
  torch::NoGradGuard ng;
  for (int32_t i = 0; i < n; i++) {
    auto& param = T(params[i]);
    torch::Tensor grad = maximize ? T(grads[i]).neg() : T(grads[i]);
    auto& m = T(exp_avg[i]);
    auto& v = T(exp_avg_sq[i]);
    if (decoupled) {
      param.mul_(1 - lr * weight_decay);
    } else if (weight_decay != 0) {
      grad = grad.add(param, weight_decay);
    }
    m.mul_(beta1).add_(grad, 1 - beta1);
    v.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    double step = static_cast<double>(steps[i]);
    double bc1 = 1 - std::pow(beta1, step);
    double bc2 = 1 - std::pow(beta2, step);
    double step_size = lr / bc1;
    double bc2_sqrt = std::sqrt(bc2);
    torch::Tensor denom;
    if (amsgrad) {
      auto& mx = T(max_sq[i]);
      torch::maximum_out(mx, mx, v);
      denom = (mx.sqrt() / bc2_sqrt).add_(eps);
    } else {
      denom = (v.sqrt() / bc2_sqrt).add_(eps);
    }
    param.addcdiv_(m, denom, -step_size);
  }
  THX_CATCH
}

// SGD with momentum / Nesterov / weight decay. bufs[i] == NULL on the first step: a buffer is created and returned there.
THX_API int32_t thx_sgd_step(const thx_tensor* params, const thx_tensor* grads, thx_tensor* bufs, int32_t n, double lr, double momentum,
                             double dampening, double weight_decay, int32_t nesterov, int32_t maximize) {
  THX_TRY
  torch::NoGradGuard ng;
  for (int32_t i = 0; i < n; i++) {
    auto& param = T(params[i]);
    torch::Tensor d_p = maximize ? T(grads[i]).neg() : T(grads[i]);
    if (weight_decay != 0) d_p = d_p.add(param, weight_decay);
    if (momentum != 0) {
      if (bufs[i] == nullptr) {
        bufs[i] = wrap(torch::clone(d_p).detach());
      } else {
        T(bufs[i]).mul_(momentum).add_(d_p, 1 - dampening);
      }
      auto& buf = T(bufs[i]);
      if (nesterov) d_p = d_p.add(buf, momentum);
      else d_p = buf;
    }
    param.add_(d_p, -lr);
  }
  THX_CATCH
}

// Clips the total gradient norm of the given parameters in place (torch.nn.utils.clip_grad_norm_); returns the norm.
THX_API int32_t thx_clip_grad_norm(const thx_tensor* params, int32_t n, double max_norm, double norm_type, int32_t error_if_nonfinite, double* total) {
  THX_TRY
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> grads;
  for (int32_t i = 0; i < n; i++) {
    auto g = T(params[i]).grad();
    if (g.defined()) grads.push_back(g);
  }
  if (grads.empty()) {
    *total = 0;
    return 0;
  }
  torch::Tensor tn;
  if (std::isinf(norm_type)) {
    std::vector<torch::Tensor> norms;
    for (auto& g : grads) norms.push_back(g.detach().abs().max());
    tn = norms.size() == 1 ? norms[0] : torch::stack(norms).max();
  } else {
    std::vector<torch::Tensor> norms;
    for (auto& g : grads) norms.push_back(torch::norm(g.detach(), norm_type));
    tn = torch::norm(torch::stack(norms), norm_type);
  }
  if (error_if_nonfinite && (tn.isnan().item<bool>() || tn.isinf().item<bool>()))
    throw std::runtime_error("the total norm of gradients is non-finite, so it cannot be clipped");
  auto coef = torch::clamp(max_norm / (tn + 1e-6), c10::nullopt, 1.0);
  for (auto& g : grads) g.detach().mul_(coef);
  *total = tn.item<double>();
  THX_CATCH
}

// Clamps every gradient to [-v, v] (torch.nn.utils.clip_grad_value_).
THX_API int32_t thx_clip_grad_value(const thx_tensor* params, int32_t n, double v) {
  THX_TRY
  torch::NoGradGuard ng;
  for (int32_t i = 0; i < n; i++) {
    auto g = T(params[i]).grad();
    if (g.defined()) g.clamp_(-v, v);
  }
  THX_CATCH
}
