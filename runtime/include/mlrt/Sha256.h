//===- Sha256.h - SHA-256 digests -------------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// FIPS 180-4 SHA-256, to compare tensors with digests other tools computed.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SHA256_H
#define MLRT_SHA256_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace mlrt {

class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  /// The digest as 64 lowercase hex digits; the object is spent after this.
  std::string hexDigest();

private:
  void compress(const uint8_t *block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

} // namespace mlrt

#endif // MLRT_SHA256_H
