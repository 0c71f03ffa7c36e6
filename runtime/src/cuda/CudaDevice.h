//===- CudaDevice.h - One GPU: its context, a stream, its memory -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A CudaDevice holds the primary context of one GPU (the context the CUDA
// runtime inside cuBLAS uses too, so both see the same memory) and one
// non-blocking stream on which everything of its owner is queued.
// DeviceBuffer is device memory freed with its owner.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_CUDADEVICE_H
#define MLRT_SRC_CUDA_CUDADEVICE_H

#include "CudaDriver.h"

#include <memory>
#include <string>

namespace mlrt::cuda {

/// Whether this process can use a GPU: the driver loads, cuInit succeeds
/// and it reports a device. The reason when not ("no NVIDIA driver: ...",
/// "no CUDA device: ...").
Status probeDevice();

class CudaDevice {
public:
  /// Opens GPU `ordinal`: retains its primary context, makes it current on
  /// this thread and creates a stream.
  static Expected<std::unique_ptr<CudaDevice>> open(int ordinal = 0);
  ~CudaDevice();
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;

  const CudaDriver &driver() const { return *driver_; }
  CUstream stream() const { return stream_; }
  /// "NVIDIA H200".
  const std::string &name() const { return name_; }
  /// Compute capability as 10 * major + minor (90 for sm_90).
  int computeCapability() const { return computeCapability_; }

  /// Makes the context current on the calling thread (a session may be
  /// used from another thread than the one that created it).
  Status makeCurrent() const;
  /// Waits for the stream; `what` prefixes the error ("running @prefill").
  Status synchronize(const char *what) const;
  Status check(CUresult result, const char *call) const {
    return driver_->check(result, call);
  }

private:
  explicit CudaDevice(const CudaDriver &driver) : driver_(&driver) {}

  const CudaDriver *driver_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  std::string name_;
  int computeCapability_ = 0;
};

/// `bytes` of device memory, freed on destruction.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;

  /// Allocates `bytes` (at least one byte, so the pointer is never null).
  static Expected<DeviceBuffer> allocate(const CudaDevice &device,
                                         size_t bytes);

  CUdeviceptr get() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  /// Synchronous copies of `bytes` at byte `offset` of this buffer.
  Status upload(const void *host, size_t bytes, size_t offset = 0) const;
  Status download(void *host, size_t bytes, size_t offset = 0) const;

private:
  void release();

  const CudaDriver *driver_ = nullptr;
  CUdeviceptr ptr_ = 0;
  size_t bytes_ = 0;
};

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_CUDADEVICE_H
