//===- Dequantize.cpp - ggml block types to f32 ---------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Reference dequantisation of ggml-quants.c. For Q4_0, Q4_1 and Q8_0 every
// value is computed exactly as ggml does (one f32 multiply, plus one add for
// Q4_1), so the results match ggml and transformers' numpy port bit for bit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/DType.h"
#include "mlrt/Gguf.h"

#include <cstring>

using namespace mlrt;

static float halfAt(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16ToF32(h);
}

/// Q4_K's packed 6-bit scale and min of sub-block j (ggml's get_scale_min_k4).
static void scaleMinK4(int j, const uint8_t *q, uint8_t &sc, uint8_t &m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

Status mlrt::dequantize(GgmlType type, const uint8_t *src, uint64_t count,
                        float *dst) {
  const GgmlTypeInfo *info = ggmlTypeInfo(static_cast<uint32_t>(type));
  if (!info || !info->dequantizable)
    return Error()
           << "dequantising ggml type " << (info ? info->name : "?")
           << " is not supported "
           << "(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)";
  if (count % info->blockSize != 0)
    return Error() << count << " elements are not whole " << info->name
                   << " blocks";
  uint64_t blocks = count / info->blockSize;
  switch (type) {
  case GgmlType::F32:
    std::memcpy(dst, src, count * 4);
    break;
  case GgmlType::F16:
    convertToF32(DType::F16, src, dst, count);
    break;
  case GgmlType::BF16:
    convertToF32(DType::BF16, src, dst, count);
    break;
  case GgmlType::Q4_0:
    for (uint64_t b = 0; b < blocks; ++b, src += 18, dst += 32) {
      float d = halfAt(src);
      for (int j = 0; j < 16; ++j) {
        dst[j] = static_cast<float>((src[2 + j] & 0xF) - 8) * d;
        dst[j + 16] = static_cast<float>((src[2 + j] >> 4) - 8) * d;
      }
    }
    break;
  case GgmlType::Q4_1:
    for (uint64_t b = 0; b < blocks; ++b, src += 20, dst += 32) {
      float d = halfAt(src), m = halfAt(src + 2);
      for (int j = 0; j < 16; ++j) {
        dst[j] = static_cast<float>(src[4 + j] & 0xF) * d + m;
        dst[j + 16] = static_cast<float>(src[4 + j] >> 4) * d + m;
      }
    }
    break;
  case GgmlType::Q8_0:
    for (uint64_t b = 0; b < blocks; ++b, src += 34, dst += 32) {
      float d = halfAt(src);
      for (int j = 0; j < 32; ++j)
        dst[j] = static_cast<float>(static_cast<int8_t>(src[2 + j])) * d;
    }
    break;
  case GgmlType::Q4_K:
    for (uint64_t b = 0; b < blocks; ++b, src += 144) {
      float d = halfAt(src), dmin = halfAt(src + 2);
      const uint8_t *scales = src + 4, *q = src + 16;
      for (int chunk = 0; chunk < 4; ++chunk, q += 32) {
        uint8_t sc, m;
        scaleMinK4(2 * chunk, scales, sc, m);
        float d1 = d * sc, m1 = dmin * m;
        scaleMinK4(2 * chunk + 1, scales, sc, m);
        float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; ++l)
          *dst++ = d1 * (q[l] & 0xF) - m1;
        for (int l = 0; l < 32; ++l)
          *dst++ = d2 * (q[l] >> 4) - m2;
      }
    }
    break;
  case GgmlType::Q6_K:
    for (uint64_t b = 0; b < blocks; ++b, src += 210) {
      const uint8_t *ql = src, *qh = src + 128;
      const int8_t *sc = reinterpret_cast<const int8_t *>(src + 192);
      float d = halfAt(src + 208);
      for (int half = 0; half < 2;
           ++half, ql += 64, qh += 32, sc += 8, dst += 128) {
        for (int l = 0; l < 32; ++l) {
          int is = l / 16;
          int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
          int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
          int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          dst[l] = d * sc[is] * q1;
          dst[l + 32] = d * sc[is + 2] * q2;
          dst[l + 64] = d * sc[is + 4] * q3;
          dst[l + 96] = d * sc[is + 6] * q4;
        }
      }
    }
    break;
  default:
    break;
  }
  return Status::ok();
}
