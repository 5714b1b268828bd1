// Neural-network functionals: convolution, pooling, resampling, normalisation, activations, dropout, embedding.
#include "thx_common.h"
#include <algorithm>
#include <cmath>
#include <cstring>

using namespace thx;
namespace F = torch::nn::functional;

// dims: 1, 2 or 3 spatial dimensions; transposed selects conv_transpose with output_padding.
THX_API int32_t thx_conv(int32_t dims, int32_t transposed, thx_tensor x, thx_tensor w, thx_tensor b,
                         const int64_t* stride, const int64_t* padding, const int64_t* dilation, const int64_t* output_padding,
                         int64_t groups, thx_tensor* out) {
  THX_TRY
  auto s = A(stride, dims), p = A(padding, dims), d = A(dilation, dims);
  torch::Tensor r;
  if (!transposed) {
    switch (dims) {
      case 1: r = torch::conv1d(T(x), T(w), OT(b), s, p, d, groups); break;
      case 2: r = torch::conv2d(T(x), T(w), OT(b), s, p, d, groups); break;
      case 3: r = torch::conv3d(T(x), T(w), OT(b), s, p, d, groups); break;
      default: throw std::runtime_error("conv supports 1-3 spatial dims");
    }
  } else {
    auto op = A(output_padding, dims);
    switch (dims) {
      case 1: r = torch::conv_transpose1d(T(x), T(w), OT(b), s, p, op, groups, d); break;
      case 2: r = torch::conv_transpose2d(T(x), T(w), OT(b), s, p, op, groups, d); break;
      case 3: r = torch::conv_transpose3d(T(x), T(w), OT(b), s, p, op, groups, d); break;
      default: throw std::runtime_error("conv_transpose supports 1-3 spatial dims");
    }
  }
  *out = wrap(std::move(r));
  THX_CATCH
}
// kind 0 max, 1 avg. 2-d pooling. indices (max only) may be NULL.
THX_API int32_t thx_pool2d(int32_t kind, thx_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                           const int64_t* dilation, int32_t ceil_mode, int32_t count_include_pad, int32_t has_divisor, int64_t divisor,
                           thx_tensor* out, thx_tensor* indices) {
  THX_TRY
  if (kind == 0) {
    if (indices) {
      auto r = torch::max_pool2d_with_indices(T(x), A(kernel, 2), A(stride, 2), A(padding, 2), A(dilation, 2), ceil_mode != 0);
      *out = wrap(std::get<0>(r));
      *indices = wrap(std::get<1>(r));
    } else {
      *out = wrap(torch::max_pool2d(T(x), A(kernel, 2), A(stride, 2), A(padding, 2), A(dilation, 2), ceil_mode != 0));
    }
  } else {
    c10::optional<int64_t> dv = has_divisor ? c10::optional<int64_t>(divisor) : c10::nullopt;
    *out = wrap(torch::avg_pool2d(T(x), A(kernel, 2), A(stride, 2), A(padding, 2), ceil_mode != 0, count_include_pad != 0, dv));
  }
  THX_CATCH
}
THX_API int32_t thx_max_unpool2d(thx_tensor x, thx_tensor indices, const int64_t* output_size, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::max_unpool2d(T(x), T(indices), A(output_size, 2)));
  THX_CATCH
}
// kind 0 adaptive max, 1 adaptive avg (2-d); 2/3: 1-d max/avg
THX_API int32_t thx_adaptive_pool(int32_t kind, thx_tensor x, const int64_t* size, thx_tensor* out) {
  THX_TRY
  switch (kind) {
    case 0: *out = wrap(std::get<0>(torch::adaptive_max_pool2d(T(x), A(size, 2)))); break;
    case 1: *out = wrap(torch::adaptive_avg_pool2d(T(x), A(size, 2))); break;
    case 2: *out = wrap(std::get<0>(torch::adaptive_max_pool1d(T(x), A(size, 1)))); break;
    case 3: *out = wrap(torch::adaptive_avg_pool1d(T(x), A(size, 1))); break;
    default: throw std::runtime_error("unknown adaptive pool kind");
  }
  THX_CATCH
}
// mode: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 nearest-exact, 5 linear, 6 trilinear.
// size (n values) or scale (n values) - exactly one is given. align_corners < 0 leaves it unset.
THX_API int32_t thx_interpolate(thx_tensor x, const int64_t* size, const double* scale, int32_t n, int32_t mode, int32_t align_corners,
                                int32_t antialias, int32_t recompute_scale_factor, thx_tensor* out) {
  THX_TRY
  auto o = F::InterpolateFuncOptions();
  if (size) o.size(std::vector<int64_t>(size, size + n));
  if (scale) o.scale_factor(std::vector<double>(scale, scale + n));
  switch (mode) {
    case 0: o.mode(torch::kNearest); break;
    case 1: o.mode(torch::kBilinear); break;
    case 2: o.mode(torch::kBicubic); break;
    case 3: o.mode(torch::kArea); break;
    case 4: o.mode(torch::kNearestExact); break;
    case 5: o.mode(torch::kLinear); break;
    case 6: o.mode(torch::kTrilinear); break;
    default: throw std::runtime_error("unknown interpolation mode");
  }
  if (align_corners >= 0) o.align_corners(align_corners != 0);
  if (antialias) o.antialias(true);
  if (recompute_scale_factor >= 0) o.recompute_scale_factor(recompute_scale_factor != 0);
  *out = wrap(F::interpolate(T(x), o));
  THX_CATCH
}
// mode: 0 bilinear, 1 nearest, 2 bicubic; padding: 0 zeros, 1 border, 2 reflection
THX_API int32_t thx_grid_sample(thx_tensor x, thx_tensor grid, int32_t mode, int32_t padding, int32_t align_corners, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::grid_sampler(T(x), T(grid), mode, padding, align_corners != 0));
  THX_CATCH
}
THX_API int32_t thx_affine_grid(thx_tensor theta, const int64_t* size, int32_t n, int32_t align_corners, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::affine_grid_generator(T(theta), A(size, n), align_corners != 0));
  THX_CATCH
}
THX_API int32_t thx_batch_norm(thx_tensor x, thx_tensor w, thx_tensor b, thx_tensor rm, thx_tensor rv, int32_t training, double momentum,
                               double eps, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::batch_norm(T(x), OT(w), OT(b), OT(rm), OT(rv), training != 0, momentum, eps, at::globalContext().userEnabledCuDNN()));
  THX_CATCH
}
THX_API int32_t thx_group_norm(thx_tensor x, int64_t groups, thx_tensor w, thx_tensor b, double eps, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::group_norm(T(x), groups, OT(w), OT(b), eps));
  THX_CATCH
}
THX_API int32_t thx_layer_norm(thx_tensor x, const int64_t* shape, int32_t n, thx_tensor w, thx_tensor b, double eps, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::layer_norm(T(x), A(shape, n), OT(w), OT(b), eps));
  THX_CATCH
}
THX_API int32_t thx_instance_norm(thx_tensor x, thx_tensor w, thx_tensor b, thx_tensor rm, thx_tensor rv, int32_t use_input_stats,
                                  double momentum, double eps, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::instance_norm(T(x), OT(w), OT(b), OT(rm), OT(rv), use_input_stats != 0, momentum, eps, false));
  THX_CATCH
}
// kind 0 dropout, 1 dropout2d (channels), 2 alpha dropout. Uses the global generator (seed with manual_seed).
THX_API int32_t thx_dropout(int32_t kind, thx_tensor x, double p, int32_t training, int32_t inplace, thx_tensor* out) {
  THX_TRY
  bool tr = training != 0;
  *out = nullptr;
  torch::Tensor r;
  switch (kind) {
    case 0: r = inplace ? torch::dropout_(T(x), p, tr) : torch::dropout(T(x), p, tr); break;
    case 1: r = inplace ? torch::feature_dropout_(T(x), p, tr) : torch::feature_dropout(T(x), p, tr); break;
    case 2: r = inplace ? torch::alpha_dropout_(T(x), p, tr) : torch::alpha_dropout(T(x), p, tr); break;
    default: throw std::runtime_error("unknown dropout kind");
  }
  if (!inplace) *out = wrap(std::move(r));
  THX_CATCH
}
// Parameterised activations. kind: 0 leaky_relu(a), 1 elu(alpha=a), 2 softplus(beta=a, threshold=b), 3 hardtanh(a, b),
// 4 celu(a), 5 threshold(a, value=b), 6 gelu (a != 0: tanh approximation)
THX_API int32_t thx_activation(int32_t kind, thx_tensor x, double a, double b, int32_t inplace, thx_tensor* out) {
  THX_TRY
  auto& t = T(x);
  *out = nullptr;
  switch (kind) {
    case 0: if (inplace) torch::leaky_relu_(t, a); else *out = wrap(torch::leaky_relu(t, a)); break;
    case 1: if (inplace) torch::elu_(t, a); else *out = wrap(torch::elu(t, a)); break;
    case 2: *out = wrap(torch::softplus(t, a, b)); break;
    case 3: if (inplace) torch::hardtanh_(t, a, b); else *out = wrap(torch::hardtanh(t, a, b)); break;
    case 4: *out = wrap(torch::celu(t, a)); break;
    case 5: *out = wrap(torch::threshold(t, a, b)); break;
    case 6: *out = wrap(torch::gelu(t, a != 0 ? "tanh" : "none")); break;
    default: throw std::runtime_error("unknown activation kind");
  }
  THX_CATCH
}
THX_API int32_t thx_prelu(thx_tensor x, thx_tensor w, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::prelu(T(x), T(w)));
  THX_CATCH
}
// kind 0 softmax, 1 log_softmax
THX_API int32_t thx_softmax(int32_t kind, thx_tensor x, int64_t dim, thx_tensor* out) {
  THX_TRY
  *out = wrap(kind == 0 ? torch::softmax(T(x), dim) : torch::log_softmax(T(x), dim));
  THX_CATCH
}
THX_API int32_t thx_embedding(thx_tensor weight, thx_tensor indices, int64_t padding_idx, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::embedding(T(weight), T(indices), padding_idx));
  THX_CATCH
}
THX_API int32_t thx_pixel_shuffle(thx_tensor x, int64_t factor, int32_t unshuffle, thx_tensor* out) {
  THX_TRY
  *out = wrap(unshuffle ? torch::pixel_unshuffle(T(x), factor) : torch::pixel_shuffle(T(x), factor));
  THX_CATCH
}
THX_API int32_t thx_unfold(thx_tensor x, const int64_t* kernel, const int64_t* dilation, const int64_t* padding, const int64_t* stride, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::im2col(T(x), A(kernel, 2), A(dilation, 2), A(padding, 2), A(stride, 2)));
  THX_CATCH
}

namespace {
// DropBlock (Ghiasi et al. 2018, as clguo/SA-UNet's Keras layer): a Bernoulli(gamma) seed at each position of each
// plane's valid region [half, size - half); every seed drops the block_size square that a stride-1 max filter with
// padding (before, after) = ((bs-1)/2, bs-1-(bs-1)/2) spreads it to; the keep mask is (1 - dropped) * numel /
// max(1, kept count), computed in the input's floating type as the composite ops below do.
torch::Tensor dropblock_keep_composite(const torch::Tensor& u, double gamma, int64_t bs) {
  const int64_t h = u.size(2), w = u.size(3), half = bs / 2;
  auto seeds = u.lt(gamma).to(u.scalar_type());
  auto valid = torch::constant_pad_nd(torch::ones({h - 2 * half, w - 2 * half}, u.options()), {half, half, half, half});
  seeds.mul_(valid);
  const int64_t before = (bs - 1) / 2, after = bs - 1 - before;
  auto padded = torch::constant_pad_nd(seeds, {before, after, before, after});
  auto blocks = torch::max_pool2d(torch::max_pool2d(padded, {1, bs}, {1, 1}), {bs, 1}, {1, 1});
  auto kept = torch::ones_like(blocks).sub_(blocks);
  auto scale = kept.sum().clamp_(1).reciprocal_().mul_(static_cast<double>(u.numel()));
  return kept.mul_(scale);
}

// Seeds as flat indices into the valid regions, plane after plane (plane * hv * wv + row * wv + col), ascending.
// The keep mask of an (N, C, H, W) tensor with `options` from them.
torch::Tensor dropblock_keep_from_seeds(const std::vector<int64_t>& seeds, at::IntArrayRef sizes, const torch::TensorOptions& options, int64_t bs) {
  const int64_t planes = sizes[0] * sizes[1], h = sizes[2], w = sizes[3], plane = h * w, half = bs / 2;
  const int64_t hv = h - 2 * half, wv = w - 2 * half, before = (bs - 1) / 2, after = bs - 1 - before;
  auto dropped = torch::zeros({planes, h, w}, torch::TensorOptions().dtype(torch::kUInt8));
  uint8_t* dp = dropped.data_ptr<uint8_t>();
  for (int64_t idx : seeds) {
    const int64_t p = idx / (hv * wv), r = idx % (hv * wv);
    const int64_t i = r / wv + half, j = r % wv + half;
    const int64_t r0 = std::max<int64_t>(0, i - after), r1 = std::min<int64_t>(h - 1, i + before);
    const int64_t c0 = std::max<int64_t>(0, j - after), c1 = std::min<int64_t>(w - 1, j + before);
    uint8_t* d = dp + p * plane;
    for (int64_t rr = r0; rr <= r1; rr++) std::memset(d + rr * w + c0, 1, static_cast<size_t>(c1 - c0 + 1));
  }
  const int64_t numel = planes * plane;
  std::vector<int64_t> counts(static_cast<size_t>((numel + (1 << 16) - 1) >> 16), 0);
  at::parallel_for(0, static_cast<int64_t>(counts.size()), 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      int64_t n = 0;
      for (int64_t k = b << 16, e = std::min<int64_t>(numel, (b + 1) << 16); k < e; k++) n += dp[k];
      counts[static_cast<size_t>(b)] = n;
    }
  });
  int64_t droppedTotal = 0;
  for (auto c : counts) droppedTotal += c;
  auto keep = torch::empty(sizes, options);
  auto fill = [&](auto zero) {
    using scalar_t = decltype(zero);
    // Same arithmetic as the composite: reciprocal of the clamped kept count, then times numel, in scalar_t.
    const scalar_t keptCount = static_cast<scalar_t>(std::max<int64_t>(1, numel - droppedTotal));
    const scalar_t scale = (static_cast<scalar_t>(1) / keptCount) * static_cast<scalar_t>(numel);
    scalar_t* kp = keep.data_ptr<scalar_t>();
    at::parallel_for(0, numel, 1 << 16, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; k++) kp[k] = dp[k] ? zero : scale;
    });
  };
  if (options.dtype() == torch::kDouble) fill(0.0);
  else fill(0.0f);
  return keep;
}

// Seeds where u < gamma inside the valid regions (the composite's rule, for tests against it).
std::vector<int64_t> dropblock_seeds_from_uniform(const torch::Tensor& u, double gamma, int64_t bs) {
  auto uf = u.to(torch::kDouble).contiguous();
  const int64_t planes = u.size(0) * u.size(1), h = u.size(2), w = u.size(3), half = bs / 2, hv = h - 2 * half, wv = w - 2 * half;
  const double* up = uf.data_ptr<double>();
  const double g = u.scalar_type() == torch::kFloat ? static_cast<double>(static_cast<float>(gamma)) : gamma;
  std::vector<int64_t> seeds;
  for (int64_t p = 0; p < planes; p++)
    for (int64_t i = 0; i < hv; i++)
      for (int64_t j = 0; j < wv; j++)
        if (up[p * h * w + (i + half) * w + (j + half)] < g) seeds.push_back(p * hv * wv + i * wv + j);
  return seeds;
}

// Bernoulli(gamma) seeds over `total` valid positions by geometric skipping: the gap before the next seed is
// floor(log(v) / log(1 - gamma)) for v uniform in (0, 1], the same distribution as one Bernoulli draw per position
// but with one uniform per seed (about gamma * total of them) instead of one per element.
std::vector<int64_t> dropblock_seeds_geometric(int64_t total, double gamma, c10::optional<at::Generator> gen) {
  std::vector<int64_t> seeds;
  if (!(gamma > 0) || total <= 0) return seeds;
  const double logq = std::log1p(-std::min(gamma, 1.0));
  const int64_t chunk = std::max<int64_t>(64, static_cast<int64_t>(gamma * static_cast<double>(total) * 1.1) + 64);
  int64_t pos = -1;
  while (true) {
    auto v = torch::rand({chunk}, gen, torch::TensorOptions().dtype(torch::kDouble));
    const double* vp = v.data_ptr<double>();
    for (int64_t k = 0; k < chunk; k++) {
      const double gap = gamma >= 1.0 ? 0.0 : std::floor(std::log1p(-vp[k]) / logq);  // 1 - rand in (0, 1]
      if (!(gap < static_cast<double>(total - pos))) return seeds;
      pos += 1 + static_cast<int64_t>(gap);
      if (pos >= total) return seeds;
      seeds.push_back(pos);
    }
  }
}
}  // namespace

// DropBlock keep mask for x (N, C, H, W): zeros on dropped blocks, numel / kept elsewhere; no autograd history.
// The caller multiplies x by it. gamma is the seed probability, block the square's side. On the CPU the seeds are drawn
// by geometric skipping from `g` (one uniform per seed); on other devices one uniform per element, through pooling ops.
THX_API int32_t thx_dropblock_keep_mask(thx_tensor x, double gamma, int64_t block, thx_generator g, thx_tensor* out) {
  THX_TRY
  auto& t = T(x);
  TORCH_CHECK(t.dim() == 4, "dropblock: expected (N, C, H, W), got ", t.sizes());
  TORCH_CHECK(block >= 1, "dropblock: block size must be at least 1, got ", block);
  TORCH_CHECK(t.size(2) - 2 * (block / 2) >= 1 && t.size(3) - 2 * (block / 2) >= 1, "dropblock: map ", t.sizes(),
              " smaller than the block ", block);
  TORCH_CHECK(gamma >= 0 && gamma <= 1, "dropblock: gamma must be in [0, 1], got ", gamma);
  at::NoGradGuard ng;
  torch::Tensor keep;
  const bool cpu = t.device().is_cpu() && (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble);
  if (cpu) {
    const int64_t half = block / 2;
    const int64_t total = t.size(0) * t.size(1) * (t.size(2) - 2 * half) * (t.size(3) - 2 * half);
    keep = dropblock_keep_from_seeds(dropblock_seeds_geometric(total, gamma, OG(g)), t.sizes(), t.options().requires_grad(false), block);
  } else {
    keep = dropblock_keep_composite(torch::rand(t.sizes(), OG(g), t.options().requires_grad(false)), gamma, block);
  }
  *out = wrap(std::move(keep));
  THX_CATCH
}

// The keep mask from given uniform samples u (seed where u < gamma), by the CPU seed-stamping kernel or (composite)
// by pooling ops; for tests that both implement the same rule.
THX_API int32_t thx_dropblock_keep_mask_from_uniform(thx_tensor u, double gamma, int64_t block, int32_t composite, thx_tensor* out) {
  THX_TRY
  auto& t = T(u);
  TORCH_CHECK(t.dim() == 4, "dropblock: expected (N, C, H, W), got ", t.sizes());
  TORCH_CHECK(t.size(2) - 2 * (block / 2) >= 1 && t.size(3) - 2 * (block / 2) >= 1, "dropblock: map ", t.sizes(),
              " smaller than the block ", block);
  at::NoGradGuard ng;
  auto c = t.contiguous();
  torch::Tensor keep;
  if (composite == 0 && c.device().is_cpu() && (c.scalar_type() == torch::kFloat || c.scalar_type() == torch::kDouble))
    keep = dropblock_keep_from_seeds(dropblock_seeds_from_uniform(c, gamma, block), c.sizes(), c.options(), block);
  else
    keep = dropblock_keep_composite(c, gamma, block);
  *out = wrap(std::move(keep));
  THX_CATCH
}
