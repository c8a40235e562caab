#pragma once
// Where Debian's LibTorch 1.13 (CPU) and the LibTorch inside PyTorch 2.x (CUDA) differ.
// Only this header looks at the version.
#include <ATen/ATen.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace reel::neural::compat {

inline constexpr bool kHasFusedAttention = TORCH_VERSION_MAJOR >= 2;
// 1.13's CPU kernels have no fp16 matmul or tanh ("addmm_impl_cpu_" not implemented).
inline constexpr bool kHasCpuHalfKernels = TORCH_VERSION_MAJOR >= 2;

// softmax(q kᵀ / √d) v for q [B, H, Lq, D], k and v [B, H, Lk, D], no mask.
// 2.x: the fused kernel (flash / memory-efficient on CUDA). 1.13: the same math,
// queries in chunks so the score matrix stays near 256 MiB, softmax in fp32.
inline at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const std::int64_t b = q.size(0), h = q.size(1), lq = q.size(2), lk = k.size(2);
  const std::int64_t budget = std::int64_t{64} << 20;  // fp32 scores per chunk
  const std::int64_t chunk =
      std::clamp<std::int64_t>(budget / std::max<std::int64_t>(1, b * h * lk), 1, lq);
  const at::Tensor kt = k.transpose(-2, -1);  // [B, H, D, Lk]
  if (chunk >= lq) {
    auto p = at::softmax(at::matmul(q, kt).mul_(scale), -1, at::kFloat).to(q.scalar_type());
    return at::matmul(p, v);
  }
  at::Tensor out = at::empty_like(q);
  for (std::int64_t s = 0; s < lq; s += chunk) {
    const std::int64_t e = std::min(lq, s + chunk);
    auto qs = q.slice(2, s, e);
    auto p = at::softmax(at::matmul(qs, kt).mul_(scale), -1, at::kFloat).to(q.scalar_type());
    out.slice(2, s, e).copy_(at::matmul(p, v));
  }
  return out;
#endif
}

}  // namespace reel::neural::compat
