//===- OpProfile.h - Device time per op kind ---------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// MLRT_CUDA_PROFILE=1 times every op of every call with a pair of CUDA
// events around its launches (graphs off: each op is queued on its own) and,
// when the backend ends, prints per entry and op kind the calls, device
// milliseconds and share of the entry's time to stderr, so a user sees
// where a decode step goes (GEMVs, attention, scans, norms).
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_OPPROFILE_H
#define MLRT_SRC_CUDA_OPPROFILE_H

#include "CudaDevice.h"

#include "mlrt/Plan.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mlrt::cuda {

class OpProfile {
public:
  /// Whether MLRT_CUDA_PROFILE asks for a profile (anything but "0").
  static bool wanted();

  explicit OpProfile(const CudaDevice &device) : device(device) {}
  ~OpProfile();
  OpProfile(const OpProfile &) = delete;
  OpProfile &operator=(const OpProfile &) = delete;

  /// Marks the start of op `kind` of `entry` on the stream.
  Status begin(const std::string &entry, OpKind kind);
  /// Marks the end of the op begun last.
  Status end();
  /// Adds the times of the ops marked since the last call; the stream must
  /// have finished them.
  Status collect();
  /// The table of what was collected.
  std::string report() const;

private:
  struct Totals {
    int64_t calls = 0;
    double ms = 0;
  };
  Status event(CUevent &out);

  const CudaDevice &device;
  /// Events of the ops marked since the last collect(): start, end.
  std::vector<std::pair<CUevent, CUevent>> marks;
  std::vector<std::pair<std::string, OpKind>> pending;
  /// Events to reuse.
  std::vector<CUevent> pool;
  size_t used = 0;
  std::map<std::string, std::map<OpKind, Totals>> totals;
};

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_OPPROFILE_H
