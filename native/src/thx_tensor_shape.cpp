// Views and shape operations, indexing, joining and splitting.
#include "thx_common.h"

using namespace thx;

THX_API int32_t thx_reshape(thx_tensor t, const int64_t* shape, int32_t nd, int32_t view, thx_tensor* out) {
  THX_TRY
  *out = wrap(view ? T(t).view(A(shape, nd)) : T(t).reshape(A(shape, nd)));
  THX_CATCH
}
THX_API int32_t thx_permute(thx_tensor t, const int64_t* dims, int32_t nd, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).permute(A(dims, nd)));
  THX_CATCH
}
THX_API int32_t thx_transpose(thx_tensor t, int64_t d0, int64_t d1, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).transpose(d0, d1));
  THX_CATCH
}
THX_API int32_t thx_contiguous(thx_tensor t, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).contiguous());
  THX_CATCH
}
// has_dim == 0 squeezes every size-1 dimension
THX_API int32_t thx_squeeze(thx_tensor t, int32_t has_dim, int64_t dim, thx_tensor* out) {
  THX_TRY
  *out = wrap(has_dim ? T(t).squeeze(dim) : T(t).squeeze());
  THX_CATCH
}
THX_API int32_t thx_unsqueeze(thx_tensor t, int64_t dim, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).unsqueeze(dim));
  THX_CATCH
}
THX_API int32_t thx_flatten(thx_tensor t, int64_t start, int64_t end, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).flatten(start, end));
  THX_CATCH
}
THX_API int32_t thx_cat(const thx_tensor* ts, int32_t n, int64_t dim, int32_t stack, thx_tensor* out) {
  THX_TRY
  *out = wrap(stack ? torch::stack(L(ts, n), dim) : torch::cat(L(ts, n), dim));
  THX_CATCH
}
// sizes given: split_with_sizes; otherwise split into pieces of `size`
THX_API int32_t thx_split(thx_tensor t, int64_t size, const int64_t* sizes, int32_t nsizes, int64_t dim, thx_tensor* out, int32_t cap, int32_t* count) {
  THX_TRY
  auto v = nsizes > 0 ? T(t).split_with_sizes(A(sizes, nsizes), dim) : T(t).split(size, dim);
  write_list(v, out, cap, count);
  THX_CATCH
}
THX_API int32_t thx_chunk(thx_tensor t, int64_t chunks, int64_t dim, thx_tensor* out, int32_t cap, int32_t* count) {
  THX_TRY
  write_list(T(t).chunk(chunks, dim), out, cap, count);
  THX_CATCH
}
THX_API int32_t thx_unbind(thx_tensor t, int64_t dim, thx_tensor* out, int32_t cap, int32_t* count) {
  THX_TRY
  write_list(T(t).unbind(dim), out, cap, count);
  THX_CATCH
}
THX_API int32_t thx_narrow(thx_tensor t, int64_t dim, int64_t start, int64_t length, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).narrow(dim, start, length));
  THX_CATCH
}
THX_API int32_t thx_select(thx_tensor t, int64_t dim, int64_t index, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).select(dim, index));
  THX_CATCH
}
// has_start/has_end mirror Python's optional slice bounds
THX_API int32_t thx_slice(thx_tensor t, int64_t dim, int32_t has_start, int64_t start, int32_t has_end, int64_t end, int64_t step, thx_tensor* out) {
  THX_TRY
  c10::optional<int64_t> s = has_start ? c10::optional<int64_t>(start) : c10::nullopt;
  c10::optional<int64_t> e = has_end ? c10::optional<int64_t>(end) : c10::nullopt;
  *out = wrap(T(t).slice(dim, s, e, step));
  THX_CATCH
}
THX_API int32_t thx_index_select(thx_tensor t, int64_t dim, thx_tensor index, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).index_select(dim, T(index)));
  THX_CATCH
}
THX_API int32_t thx_gather(thx_tensor t, int64_t dim, thx_tensor index, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).gather(dim, T(index)));
  THX_CATCH
}
// kind 0 scatter (src), 1 scatter_add (src), 2 scatter value; inplace selects the trailing-underscore form
THX_API int32_t thx_scatter(int32_t kind, thx_tensor t, int64_t dim, thx_tensor index, thx_tensor src, double value, int32_t inplace, thx_tensor* out) {
  THX_TRY
  auto& x = T(t);
  *out = nullptr;
  switch (kind) {
    case 0: if (inplace) x.scatter_(dim, T(index), T(src)); else *out = wrap(x.scatter(dim, T(index), T(src))); break;
    case 1: if (inplace) x.scatter_add_(dim, T(index), T(src)); else *out = wrap(x.scatter_add(dim, T(index), T(src))); break;
    case 2: if (inplace) x.scatter_(dim, T(index), value); else *out = wrap(x.scatter(dim, T(index), value)); break;
    default: throw std::runtime_error("unknown scatter kind");
  }
  THX_CATCH
}
// value_tensor != NULL uses a 0-dim tensor value (keeps autograd through the value)
THX_API int32_t thx_masked_fill(thx_tensor t, thx_tensor mask, double value, thx_tensor value_tensor, int32_t inplace, thx_tensor* out) {
  THX_TRY
  auto& x = T(t);
  *out = nullptr;
  if (value_tensor) {
    if (inplace) x.masked_fill_(T(mask), T(value_tensor)); else *out = wrap(x.masked_fill(T(mask), T(value_tensor)));
  } else {
    if (inplace) x.masked_fill_(T(mask), value); else *out = wrap(x.masked_fill(T(mask), value));
  }
  THX_CATCH
}
THX_API int32_t thx_masked_select(thx_tensor t, thx_tensor mask, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).masked_select(T(mask)));
  THX_CATCH
}
// Advanced indexing x[i0, i1, ...] where NULL entries stand for ':'
THX_API int32_t thx_index(thx_tensor t, const thx_tensor* idx, int32_t n, thx_tensor* out) {
  THX_TRY
  c10::List<c10::optional<at::Tensor>> l;
  for (int32_t i = 0; i < n; i++) l.push_back(idx[i] ? c10::optional<at::Tensor>(T(idx[i])) : c10::nullopt);
  *out = wrap(at::index(T(t), l));
  THX_CATCH
}
THX_API int32_t thx_index_put_(thx_tensor t, const thx_tensor* idx, int32_t n, thx_tensor values, int32_t accumulate) {
  THX_TRY
  c10::List<c10::optional<at::Tensor>> l;
  for (int32_t i = 0; i < n; i++) l.push_back(idx[i] ? c10::optional<at::Tensor>(T(idx[i])) : c10::nullopt);
  at::index_put_(T(t), l, T(values), accumulate != 0);
  THX_CATCH
}
THX_API int32_t thx_expand(thx_tensor t, const int64_t* shape, int32_t nd, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).expand(A(shape, nd)));
  THX_CATCH
}
THX_API int32_t thx_repeat(thx_tensor t, const int64_t* reps, int32_t nd, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).repeat(A(reps, nd)));
  THX_CATCH
}
THX_API int32_t thx_repeat_interleave(thx_tensor t, int64_t repeats, int64_t dim, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).repeat_interleave(repeats, dim));
  THX_CATCH
}
THX_API int32_t thx_flip(thx_tensor t, const int64_t* dims, int32_t nd, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).flip(A(dims, nd)));
  THX_CATCH
}
THX_API int32_t thx_roll(thx_tensor t, const int64_t* shifts, int32_t ns, const int64_t* dims, int32_t nd, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).roll(A(shifts, ns), A(dims, nd)));
  THX_CATCH
}
// kind 0 tril, 1 triu
THX_API int32_t thx_tri(int32_t kind, thx_tensor t, int64_t diagonal, thx_tensor* out) {
  THX_TRY
  *out = wrap(kind == 0 ? T(t).tril(diagonal) : T(t).triu(diagonal));
  THX_CATCH
}
THX_API int32_t thx_nonzero(thx_tensor t, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).nonzero());
  THX_CATCH
}
// mode: 0 constant, 1 reflect, 2 replicate, 3 circular; pads in PyTorch order (last dim first)
THX_API int32_t thx_pad(thx_tensor t, const int64_t* pads, int32_t n, int32_t mode, double value, thx_tensor* out) {
  THX_TRY
  namespace F = torch::nn::functional;
  auto o = F::PadFuncOptions(std::vector<int64_t>(pads, pads + n)).value(value);
  switch (mode) {
    case 0: o.mode(torch::kConstant); break;
    case 1: o.mode(torch::kReflect); break;
    case 2: o.mode(torch::kReplicate); break;
    case 3: o.mode(torch::kCircular); break;
    default: throw std::runtime_error("unknown pad mode");
  }
  *out = wrap(F::pad(T(t), o));
  THX_CATCH
}
THX_API int32_t thx_movedim(thx_tensor t, int64_t src, int64_t dst, thx_tensor* out) {
  THX_TRY
  *out = wrap(T(t).movedim(src, dst));
  THX_CATCH
}

// ---- linear algebra, sorting, distances ----
// kind 0 matmul, 1 mm, 2 bmm, 3 dot, 4 outer
THX_API int32_t thx_matmul(int32_t kind, thx_tensor a, thx_tensor b, thx_tensor* out) {
  THX_TRY
  switch (kind) {
    case 0: *out = wrap(T(a).matmul(T(b))); break;
    case 1: *out = wrap(T(a).mm(T(b))); break;
    case 2: *out = wrap(T(a).bmm(T(b))); break;
    case 3: *out = wrap(T(a).dot(T(b))); break;
    case 4: *out = wrap(T(a).outer(T(b))); break;
    default: throw std::runtime_error("unknown matmul kind");
  }
  THX_CATCH
}
THX_API int32_t thx_einsum(const char* eq, const thx_tensor* ts, int32_t n, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::einsum(eq, L(ts, n)));
  THX_CATCH
}
THX_API int32_t thx_linear(thx_tensor x, thx_tensor w, thx_tensor b, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::linear(T(x), T(w), OT(b)));
  THX_CATCH
}
THX_API int32_t thx_addmm(thx_tensor self, thx_tensor a, thx_tensor b, double beta, double alpha, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::addmm(T(self), T(a), T(b), beta, alpha));
  THX_CATCH
}
THX_API int32_t thx_cdist(thx_tensor a, thx_tensor b, double p, int32_t compute_mode, thx_tensor* out) {
  THX_TRY
  c10::optional<int64_t> cm = compute_mode < 0 ? c10::nullopt : c10::optional<int64_t>(compute_mode);
  *out = wrap(torch::cdist(T(a), T(b), p, cm));
  THX_CATCH
}
THX_API int32_t thx_pairwise_distance(thx_tensor a, thx_tensor b, double p, double eps, int32_t keepdim, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::pairwise_distance(T(a), T(b), p, eps, keepdim != 0));
  THX_CATCH
}
THX_API int32_t thx_cosine_similarity(thx_tensor a, thx_tensor b, int64_t dim, double eps, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::cosine_similarity(T(a), T(b), dim, eps));
  THX_CATCH
}
THX_API int32_t thx_topk(thx_tensor t, int64_t k, int64_t dim, int32_t largest, int32_t sorted, thx_tensor* values, thx_tensor* indices) {
  THX_TRY
  auto r = T(t).topk(k, dim, largest != 0, sorted != 0);
  *values = wrap(std::get<0>(r));
  *indices = wrap(std::get<1>(r));
  THX_CATCH
}
THX_API int32_t thx_sort(thx_tensor t, int64_t dim, int32_t descending, int32_t stable, thx_tensor* values, thx_tensor* indices) {
  THX_TRY
  auto r = T(t).sort(stable != 0, dim, descending != 0);
  *values = wrap(std::get<0>(r));
  *indices = wrap(std::get<1>(r));
  THX_CATCH
}
THX_API int32_t thx_one_hot(thx_tensor t, int64_t num_classes, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::one_hot(T(t), num_classes));
  THX_CATCH
}
THX_API int32_t thx_bincount(thx_tensor t, thx_tensor weights, int64_t minlength, thx_tensor* out) {
  THX_TRY
  *out = wrap(torch::bincount(T(t), OT(weights), minlength));
  THX_CATCH
}
