//===- MappedFile.h - Read-only memory-mapped files -------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_MAPPEDFILE_H
#define MLRT_MAPPEDFILE_H

#include "mlrt/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlrt {

/// A whole file mapped read-only; weights are read in place, never copied.
class MappedFile {
public:
  static Expected<MappedFile> open(const std::string &path);
  /// Wraps bytes the caller keeps alive (tests, fuzzers); `name` stands in
  /// for the path in messages.
  static MappedFile view(std::string name, const uint8_t *data, size_t size);

  MappedFile() = default;
  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view text() const {
    return {reinterpret_cast<const char *>(data_), size_};
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  bool owned_ = false;
};

/// Reads a whole (small) file into a string.
Expected<std::string> readFile(const std::string &path);

/// Writes `contents` to `path` atomically: a temporary file in the same
/// directory, then rename. On failure nothing is left at `path`.
Status writeFileAtomically(const std::string &path, std::string_view contents);

} // namespace mlrt

#endif // MLRT_MAPPEDFILE_H
