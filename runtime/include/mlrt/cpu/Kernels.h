//===- Kernels.h - Reference CPU kernels of the kern ops --------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// One function per `kern` op (include/mlopt/Dialect/Kern/KernOps.td). All
// math is fp32 over bf16/f16/f32 weights, following Hugging Face
// transformers' fp32 eager numerics (RMSNorm, RoPE, softmax) and
// mamba_ssm's reference ops (selective_scan_ref, rms_norm_ref). Activations
// are row-major `tokens x width` f32 with a row stride in floats, so that a
// kernel can read or write a column block of a wider buffer. The GPU kernels
// of issue 6 are checked against these.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_CPU_KERNELS_H
#define MLRT_CPU_KERNELS_H

#include "mlrt/DType.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace mlrt {
struct RopeConfig;
namespace cpu {

/// A row-major weight tensor viewed as `rows x cols` (a vector: rows = 1).
struct Matrix {
  const void *data = nullptr;
  DType dtype = DType::F32; ///< F32, F16 or BF16
  int64_t rows = 0, cols = 0;
};

/// Activations: `tokens` rows of `stride` floats starting at `data`.
struct Rows {
  float *data = nullptr;
  int64_t tokens = 0, stride = 0;
  float *row(int64_t t) const { return data + t * stride; }
};

/// out[t][r] = sum_k in[t][k] W[r][k] (+ bias[r]), for r < W.rows and
/// k < W.cols. Threaded over output rows.
void linear(Rows in, const Matrix &w, const Matrix *bias, Rows out);

/// out[t][:] = table[tokens[t]][:] (ids are checked by the caller).
void embed(const Matrix &table, const int32_t *tokens, Rows out);

/// HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * weight, width = weight.cols.
/// `out` may equal `in`.
void rmsNorm(Rows in, const Matrix &weight, double eps, Rows out);

/// Rotary embedding tables (HF `rope_type`s default, linear, dynamic,
/// llama3, yarn), computed as transformers does in fp32.
class Rope {
public:
  Rope(const RopeConfig &config, int64_t headDim, int64_t maxPosition);
  /// Rotates every head of `q` (qHeads heads) and `k` (kHeads heads) of each
  /// token in place; token t is at position `firstPosition + t`. The
  /// rotate_half convention (first half / second half of each head).
  void apply(Rows q, int64_t qHeads, Rows k, int64_t kHeads,
             int64_t firstPosition) const;

  /// The inverse frequencies for sequences of `length` tokens (only dynamic
  /// NTK scaling depends on it) and the factor on cos and sin.
  std::vector<float> inverseFrequencies(int64_t length) const;
  float attentionScaling() const { return scaling; }

private:
  std::vector<float> base;  ///< inverse frequencies, headDim / 2
  float scaling = 1.0f;     ///< yarn's attention factor, else 1
  bool dynamic = false;
  double theta = 0, factor = 1;
  int64_t headDim = 0, originalMax = 0;
};

/// The K/V cache of one attention layer: `capacity` tokens of `width` =
/// kvHeads * headDim elements each, `length` filled: f32 in `k` and `v`,
/// or, for a bf16 cache (the values the CUDA backend stores), bf16 bit
/// patterns in `kBf16` and `vBf16`, half the bytes.
struct KVCache {
  KVCache() = default;
  KVCache(int64_t capacity, int64_t width, bool bf16);
  std::vector<float> k, v;
  std::vector<uint16_t> kBf16, vBf16;
  int64_t capacity = 0, length = 0;
  bool bf16 = false;
  /// The bytes the cache holds.
  uint64_t bytes() const;
};

/// Appends the step's k and v rows to `cache`, then causal GQA attention of
/// each query token (position cache.length + t) over keys at positions
/// (p - window, p] (window 0: all of [0, p]); query head h reads kv head
/// h / (heads / kvHeads); scale 1/sqrt(headDim); fp32 softmax. With
/// `bf16Inputs` (kern-bf16-prefill-inputs), q and the softmax weights are
/// rounded to bf16 before their products with K and V.
void attention(Rows q, Rows k, Rows v, KVCache &cache, int64_t heads,
               int64_t kvHeads, int64_t headDim, int64_t window, Rows out,
               bool bf16Inputs = false);

/// `in`'s first `width` floats of each row, rounded to bf16 (to nearest
/// even) and back, into `out`.
void roundToBf16(Rows in, int64_t width, Rows out);

/// Causal depthwise conv1d + SiLU of `channels` channels through `state`
/// (channels x (width - 1) past inputs, oldest first, zero at the start);
/// weight is channels x width (PyTorch's [C, 1, K] squeezed), bias channels.
/// Updates the state with the last inputs. `out` may equal `in`.
void conv1d(Rows in, const Matrix &weight, const Matrix &bias,
            std::vector<float> &state, Rows out);

/// out[t][d] = in[t][group * (d / (group * times)) + d % group] for every
/// d < out.stride (out is a whole buffer, group * times * the groups of in).
void repeatGroups(Rows in, int64_t group, int64_t times, Rows out);

/// Mamba-2 selective scan through `state` (heads x headDim x dState).
/// Each row of xbc is [x (groups*headDim) | B (groups*dState) | C
/// (heads*dState)]; head h reads group h / (heads / groups). dt rows hold
/// `heads` raw values: delta = softplus(dt + dtBias[h]); A = -exp(aLog[h]).
/// y = S C + D[h] x, out is tokens x heads*headDim.
void ssmScanMamba2(Rows xbc, Rows dt, const Matrix &dtBias, const Matrix &aLog,
                   const Matrix &d, int64_t heads, int64_t groups,
                   int64_t headDim, int64_t dState, std::vector<float> &state,
                   Rows out);

/// Mamba-1 selective scan through `state` (dInner x dState), dInner =
/// heads * dState channels. x rows hold dInner channels; bc rows hold
/// [B (groups*dState) | C (heads*dState)]; channel c belongs to head
/// g = c / dState, which reads C group g and B group g / (heads / groups).
/// delta = softplus(dt + 2 dtBias[c]) (the released checkpoints' double
/// bias); A = -exp(aLog[c][n]); y = sum_n C h + D[c] x.
void ssmScanMamba1(Rows x, Rows bc, Rows dt, const Matrix &dtBias,
                   const Matrix &aLog, const Matrix &d, int64_t heads,
                   int64_t groups, int64_t dState, std::vector<float> &state,
                   Rows out);

/// g = y * silu(z); each group of `group` channels: g * rsqrt(mean(g^2) +
/// 1e-5) * weight (mamba_ssm rms_norm_ref, norm_before_gate=False). `out`
/// may equal y.
void gatedRmsNorm(Rows y, Rows z, const Matrix &weight, int64_t group,
                  Rows out);

/// out = silu(gate) * up over `width` channels. `out` may alias either.
void swiglu(Rows gate, Rows up, int64_t width, Rows out);

/// out = lhs + rhs over `width` channels. `out` may alias either.
void add(Rows lhs, Rows rhs, int64_t width, Rows out);

/// Sampling of one token from `logits` (vocab floats).
struct SamplingParams {
  float temperature = 0.0f; ///< 0: greedy (first maximum, as torch.argmax)
  int64_t topK = 0;         ///< 0: off
  float topP = 1.0f;        ///< 1: off
};
/// A deterministic sampler; the same seed gives the same tokens everywhere.
class Sampler {
public:
  Sampler(SamplingParams params, uint64_t seed)
      : params(params), state(seed) {}
  int32_t sample(const float *logits, int64_t vocab);

private:
  /// splitmix64: a uniform double in [0, 1).
  double uniform();
  SamplingParams params;
  uint64_t state;
  std::vector<std::pair<float, int32_t>> candidates;
  std::vector<double> weights;
};

/// Threads the kernels use (default: hardware concurrency; MLRT_THREADS
/// overrides).
void setNumThreads(int n);
int numThreads();

} // namespace cpu
} // namespace mlrt

#endif // MLRT_CPU_KERNELS_H
