//===- Parallel.h - Threads and shared helpers of the CPU kernels -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// What the kernel translation units share: the thread pool's parallelFor,
// f32 access to bf16/f16/f32 weights, the activation functions with torch's
// definitions, and the one dot product every reduction over a row uses.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CPU_PARALLEL_H
#define MLRT_SRC_CPU_PARALLEL_H

#include "mlrt/DType.h"
#include "mlrt/cpu/Kernels.h"

#include <cmath>
#include <functional>
#include <vector>

namespace mlrt::cpu {

/// Runs fn(begin, end) over disjoint ranges covering [0, n), on the pool's
/// threads and the caller's; returns when all are done. `grain` is the
/// smallest range worth a thread: fewer than 2 * grain items run inline, as
/// does a parallelFor nested in another.
void parallelFor(int64_t n, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &fn);

/// Element `i` of a weight, as f32.
inline float element(const Matrix &m, int64_t i) {
  switch (m.dtype) {
  case DType::BF16:
    return bf16ToF32(static_cast<const uint16_t *>(m.data)[i]);
  case DType::F16:
    return f16ToF32(static_cast<const uint16_t *>(m.data)[i]);
  default:
    return static_cast<const float *>(m.data)[i];
  }
}

/// `count` elements of a weight from element `first` on, as f32: a pointer
/// into the weight when it is f32, else converted into `scratch` (bf16
/// inline, so that the loop vectorises in these optimised sources).
inline const float *elementsF32(const Matrix &m, int64_t first, int64_t count,
                                float *scratch) {
  switch (m.dtype) {
  case DType::F32:
    return static_cast<const float *>(m.data) + first;
  case DType::BF16: {
    const uint16_t *p = static_cast<const uint16_t *>(m.data) + first;
    for (int64_t i = 0; i < count; ++i)
      scratch[i] = bf16ToF32(p[i]);
    return scratch;
  }
  default:
    convertToF32(m.dtype,
                 static_cast<const uint8_t *>(m.data) +
                     first * dtypeSize(m.dtype),
                 scratch, count);
    return scratch;
  }
}

/// A whole (small) weight as f32, converted once per kernel call.
class WeightF32 {
public:
  explicit WeightF32(const Matrix &m) {
    int64_t count = m.rows * m.cols;
    if (m.dtype != DType::F32)
      copy.resize(count);
    ptr = elementsF32(m, 0, count, copy.data());
  }
  const float *data() const { return ptr; }
  float operator[](int64_t i) const { return ptr[i]; }

private:
  std::vector<float> copy;
  const float *ptr;
};

/// torch.nn.functional.silu.
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }
/// torch.nn.functional.softplus (beta 1, threshold 20).
inline float softplus(float x) {
  return x > 20.0f ? x : std::log1p(std::exp(x));
}

/// The lanes of every f32 dot product: lane j sums the products at indices
/// j mod kLanes in order, and the lanes are added in one fixed tree. The
/// order is the same whatever the vector width the compiler picks, so
/// results do not depend on the machine or on how many rows a kernel
/// handles at once.
constexpr int kLanes = 8;

/// kLanes floats as one value: GCC/Clang vector extensions keep them in
/// registers, as one AVX or two SSE registers.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

/// The vectors are passed by reference: these helpers are inlined, but a
/// 32-byte vector by value would still draw GCC's -Wpsabi note.
inline void loadLanes(Lanes &v, const float *p) {
  __builtin_memcpy(&v, p, sizeof v);
}

/// An element of a row as f32: itself, or a bf16 bit pattern widened.
inline float widen(float x) { return x; }
inline float widen(uint16_t bits) { return bf16ToF32(bits); }
inline void loadLanes(Lanes &v, const uint16_t *p) {
  for (int j = 0; j < kLanes; ++j)
    v[j] = bf16ToF32(p[j]);
}

/// Adds the products of the last n % kLanes elements from `k` on to their
/// lanes, then sums the lanes.
template <typename T>
inline float finishDot(const Lanes &acc, const float *a, const T *b, int64_t k,
                       int64_t n) {
  float lanes[kLanes];
  __builtin_memcpy(lanes, &acc, sizeof lanes);
  for (int j = 0; k + j < n; ++j)
    lanes[j] += a[k + j] * widen(b[k + j]);
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) +
         ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

/// The dot product of f32 `a` with `b`, f32 or bf16 (widened): the same
/// lanes and order either way, so a bf16 row gives exactly what its values
/// held as f32 give.
template <typename T> inline float dot(const float *a, const T *b, int64_t n) {
  Lanes acc = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    Lanes x, y;
    loadLanes(x, a + k);
    loadLanes(y, b + k);
    acc += x * y;
  }
  return finishDot(acc, a, b, k, n);
}

} // namespace mlrt::cpu

#endif // MLRT_SRC_CPU_PARALLEL_H
