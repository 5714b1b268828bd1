// Loss functions. reduction: 0 none, 1 mean, 2 sum (PyTorch's at::Reduction values).
#include "thx_common.h"

using namespace thx;

THX_API int32_t thx_bce_with_logits(thx_tensor x, thx_tensor y, thx_tensor weight, thx_tensor pos_weight, int32_t reduction, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::binary_cross_entropy_with_logits(T(x), T(y), OT(weight), OT(pos_weight), reduction));
  THX_CATCH
}
THX_API int32_t thx_bce(thx_tensor x, thx_tensor y, thx_tensor weight, int32_t reduction, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::binary_cross_entropy(T(x), T(y), OT(weight), reduction));
  THX_CATCH
}
// Target holds class indices (int64) or class probabilities (float, same shape as input).
THX_API int32_t thx_cross_entropy(thx_tensor x, thx_tensor y, thx_tensor weight, int32_t reduction, int64_t ignore_index, double label_smoothing, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::cross_entropy_loss(T(x), T(y), OT(weight), reduction, ignore_index, label_smoothing));
  THX_CATCH
}
THX_API int32_t thx_nll_loss(thx_tensor x, thx_tensor y, thx_tensor weight, int32_t reduction, int64_t ignore_index, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::nll_loss_nd(T(x), T(y), OT(weight), reduction, ignore_index));
  THX_CATCH
}
// kind 0 mse, 1 l1, 2 smooth_l1 (beta = a), 3 huber (delta = a)
THX_API int32_t thx_regression_loss(int32_t kind, thx_tensor x, thx_tensor y, int32_t reduction, double a, thx_tensor* out) {
  THX_TRY
  switch (kind) {
    case 0: *out = wrap(torch::mse_loss(T(x), T(y), reduction)); break;
    case 1: *out = wrap(torch::l1_loss(T(x), T(y), reduction)); break;
    case 2: *out = wrap(torch::smooth_l1_loss(T(x), T(y), reduction, a)); break;
    case 3: *out = wrap(torch::huber_loss(T(x), T(y), reduction, a)); break;
    default: throw std::runtime_error("unknown regression loss");
  }
  THX_CATCH
}
// reduction here also accepts 3 = batchmean (sum / batch size), as torch.nn.functional.kl_div
THX_API int32_t thx_kl_div(thx_tensor x, thx_tensor y, int32_t reduction, int32_t log_target, thx_tensor* out) {
  THX_TRY
  if (reduction == 3) {
    auto r = torch::kl_div(T(x), T(y), at::Reduction::Sum, log_target != 0);
    *out = wrap(r / T(x).size(0));
  } else {
    *out = wrap(torch::kl_div(T(x), T(y), reduction, log_target != 0));
  }
  THX_CATCH
}
THX_API int32_t thx_triplet_margin_loss(thx_tensor a, thx_tensor p, thx_tensor n, double margin, double norm, double eps, int32_t swap,
                                        int32_t reduction, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::triplet_margin_loss(T(a), T(p), T(n), margin, norm, eps, swap != 0, reduction));
  THX_CATCH
}
