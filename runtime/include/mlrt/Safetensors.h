//===- Safetensors.h - Reading and writing safetensors files ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The one safetensors implementation of the project. Files are memory mapped
// and validated completely on open (header size, dtypes, shapes, offsets
// contiguous from 0 to the end of the file); tensors are then read in place.
// Writers stream one tensor at a time and replace their output atomically.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SAFETENSORS_H
#define MLRT_SAFETENSORS_H

#include "mlrt/DType.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Status.h"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mlrt {

using Metadata = std::vector<std::pair<std::string, std::string>>;

/// "[2, 3]": a shape as error messages print it.
std::string shapeString(const std::vector<int64_t> &shape);

/// Whether two shapes agree once unit dimensions are dropped: a depthwise
/// conv stored as (C, 1, K) is read as [C, K].
bool sameIgnoringUnitDims(const std::vector<int64_t> &a,
                          const std::vector<int64_t> &b);

/// Where a tensor lives in a safetensors file.
struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Byte range relative to the start of the data section.
  uint64_t begin = 0, end = 0;

  uint64_t numElements() const;
  uint64_t numBytes() const { return end - begin; }
};

/// One memory-mapped, validated .safetensors file.
class SafetensorsFile {
public:
  static Expected<SafetensorsFile> open(const std::string &path);
  /// Validates and indexes an already mapped file.
  static Expected<SafetensorsFile> open(MappedFile file);

  const std::string &path() const { return file_.path(); }
  /// Tensors in file order.
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  const TensorInfo *find(const std::string &name) const;
  const uint8_t *data(const TensorInfo &tensor) const {
    return file_.data() + dataOffset_ + tensor.begin;
  }
  const Metadata &metadata() const { return metadata_; }

private:
  MappedFile file_;
  size_t dataOffset_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> byName_;
  Metadata metadata_;
};

/// The tensors of a model: one file, or the shards an index names.
class WeightStore {
public:
  /// `path` is a .safetensors file, a model.safetensors.index.json, or a
  /// directory holding model.safetensors or model.safetensors.index.json.
  static Expected<WeightStore> open(const std::string &path);

  struct Entry {
    const SafetensorsFile *file = nullptr;
    const TensorInfo *info = nullptr;
    const uint8_t *data() const { return file->data(*info); }
  };
  /// The tensor `name`, or an entry with null members.
  Entry find(const std::string &name) const;
  /// Every tensor, in file order, files in the order they were opened.
  std::vector<Entry> entries() const;
  uint64_t totalBytes() const;
  const std::vector<std::string> &files() const { return paths_; }

private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<std::string> paths_;
  std::unordered_map<std::string, Entry> byName_;
};

/// A tensor to write. Its bytes come from `data` when set, otherwise `fill`
/// writes them into a buffer of the tensor's size (so that converted or
/// generated tensors are produced one at a time, not all held in memory).
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  std::function<Status(uint8_t *dst)> fill;

  uint64_t numBytes() const;
};

/// Writes one safetensors file at `path`, atomically.
Status writeSafetensors(const std::string &path,
                        const std::vector<TensorToWrite> &tensors,
                        const Metadata &metadata = {{"format", "pt"}});

/// Writes `tensors` into directory `dir` as Hugging Face does: one
/// model.safetensors if they fit in `maxShardBytes`, otherwise
/// model-0000i-of-0000n.safetensors shards plus model.safetensors.index.json.
/// Returns the file names written. Either every file is written or none.
Expected<std::vector<std::string>> writeSafetensorsShards(
    const std::string &dir, const std::vector<TensorToWrite> &tensors,
    uint64_t maxShardBytes, const Metadata &metadata = {{"format", "pt"}});

} // namespace mlrt

#endif // MLRT_SAFETENSORS_H
