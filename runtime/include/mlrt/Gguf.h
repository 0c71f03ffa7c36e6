//===- Gguf.h - Reading GGUF v3 files ---------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A validating reader for ggml's GGUF format (v2 and v3, little-endian):
// metadata key/values, tensor infos and their data, memory mapped. Every
// length, count and offset is checked against the file before use. Also the
// dequantisation of the ggml block types to f32.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_GGUF_H
#define MLRT_GGUF_H

#include "mlrt/MappedFile.h"
#include "mlrt/Status.h"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mlrt {

/// ggml tensor types (ggml.h's enum ggml_type values).
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30
};

struct GgmlTypeInfo {
  GgmlType type;
  const char *name;
  uint32_t blockSize;  // elements per block
  uint32_t blockBytes; // bytes per block
  bool dequantizable;  // dequantize() supports it
};

/// The layout of ggml type `id`, or null for ids this reader does not know.
const GgmlTypeInfo *ggmlTypeInfo(uint32_t id);

/// Converts `count` elements of `type` (whole blocks) at `src` to f32.
Status dequantize(GgmlType type, const uint8_t *src, uint64_t count,
                  float *dst);

/// One metadata value. Arrays hold their elements in `items`.
struct GgufValue {
  enum class Type : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12
  };
  Type type = Type::U8;
  Type elementType = Type::U8; // for arrays
  int64_t integer = 0;         // integer and bool types
  double real = 0;             // float types
  std::string_view string;     // points into the mapped file
  std::vector<GgufValue> items;

  bool isInteger() const;
  bool isFloat() const { return type == Type::F32 || type == Type::F64; }
  /// The value as a number if it is an integer or float.
  std::optional<double> asNumber() const;
  static const char *typeName(Type type);
};

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  /// ggml dimensions: ne[0] is the innermost (row length).
  std::vector<int64_t> ne;
  uint64_t numElements = 0;
  uint64_t numBytes = 0;
  const uint8_t *data = nullptr;
};

class GgufFile {
public:
  static Expected<GgufFile> open(const std::string &path);
  /// Validates and indexes an already mapped file.
  static Expected<GgufFile> open(MappedFile file);

  const std::string &path() const { return file_.path(); }
  uint32_t version() const { return version_; }
  const std::vector<std::pair<std::string, GgufValue>> &metadata() const {
    return metadata_;
  }
  const GgufValue *get(const std::string &key) const;
  const std::vector<GgufTensor> &tensors() const { return tensors_; }
  const GgufTensor *findTensor(const std::string &name) const;

private:
  MappedFile file_;
  uint32_t version_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::unordered_map<std::string, size_t> keyIndex_;
  std::vector<GgufTensor> tensors_;
  std::unordered_map<std::string, size_t> tensorIndex_;
};

} // namespace mlrt

#endif // MLRT_GGUF_H
