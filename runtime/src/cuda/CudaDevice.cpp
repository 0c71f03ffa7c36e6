//===- CudaDevice.cpp - One GPU: its context, a stream, its memory --------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "CudaDevice.h"

using namespace mlrt;
using namespace mlrt::cuda;

namespace {

/// cuInit once per process, and the number of devices.
Expected<int> deviceCount(const CudaDriver &d) {
  static CUresult init = d.cuInit(0);
  if (init != CUDA_SUCCESS)
    return Error() << "no CUDA device: " << d.describe("cuInit", init);
  int count = 0;
  if (CUresult r = d.cuDeviceGetCount(&count))
    return Error() << "no CUDA device: " << d.describe("cuDeviceGetCount", r);
  if (count == 0)
    return Error() << "no CUDA device: the NVIDIA driver reports none";
  return count;
}

} // namespace

Status mlrt::cuda::probeDevice() {
  Expected<const CudaDriver *> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  Expected<int> count = deviceCount(**driver);
  if (!count)
    return count.takeError();
  return Status::ok();
}

Expected<std::unique_ptr<CudaDevice>> CudaDevice::open(int ordinal) {
  Expected<const CudaDriver *> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  const CudaDriver &d = **driver;
  Expected<int> count = deviceCount(d);
  if (!count)
    return count.takeError();
  if (ordinal < 0 || ordinal >= *count)
    return Error() << "no CUDA device " << ordinal << ": the driver reports "
                   << *count;
  std::unique_ptr<CudaDevice> device(new CudaDevice(d));
  MLRT_RETURN_IF_ERROR(
      d.check(d.cuDeviceGet(&device->device_, ordinal), "cuDeviceGet"));
  char name[256] = {};
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuDeviceGetName(name, sizeof(name) - 1, device->device_),
      "cuDeviceGetName"));
  device->name_ = name;
  int major = 0, minor = 0;
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuDeviceGetAttribute(&major,
                             CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                             device->device_),
      "cuDeviceGetAttribute"));
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuDeviceGetAttribute(&minor,
                             CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                             device->device_),
      "cuDeviceGetAttribute"));
  device->computeCapability_ = 10 * major + minor;
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuDevicePrimaryCtxRetain(&device->context_, device->device_),
      "cuDevicePrimaryCtxRetain"));
  MLRT_RETURN_IF_ERROR(device->makeCurrent());
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuStreamCreate(&device->stream_, CU_STREAM_NON_BLOCKING),
      "cuStreamCreate"));
  return {std::move(device)};
}

CudaDevice::~CudaDevice() {
  if (stream_) {
    driver_->cuStreamSynchronize(stream_);
    driver_->cuStreamDestroy(stream_);
  }
  if (context_)
    driver_->cuDevicePrimaryCtxRelease(device_);
}

Status CudaDevice::makeCurrent() const {
  return check(driver_->cuCtxSetCurrent(context_), "cuCtxSetCurrent");
}

Status CudaDevice::synchronize(const char *what) const {
  if (CUresult r = driver_->cuStreamSynchronize(stream_))
    return Error() << what << ": "
                   << driver_->describe("cuStreamSynchronize", r);
  return Status::ok();
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    release();
    driver_ = other.driver_;
    ptr_ = other.ptr_;
    bytes_ = other.bytes_;
    other.ptr_ = 0;
    other.bytes_ = 0;
  }
  return *this;
}

Expected<DeviceBuffer> DeviceBuffer::allocate(const CudaDevice &device,
                                              size_t bytes) {
  DeviceBuffer b;
  b.driver_ = &device.driver();
  b.bytes_ = bytes;
  if (CUresult r = b.driver_->cuMemAlloc(&b.ptr_, bytes ? bytes : 1)) {
    b.ptr_ = 0;
    return Error() << "cannot allocate " << bytes << " bytes on "
                   << device.name() << ": "
                   << b.driver_->describe("cuMemAlloc", r);
  }
  return {std::move(b)};
}

Status DeviceBuffer::upload(const void *host, size_t bytes,
                            size_t offset) const {
  return driver_->check(driver_->cuMemcpyHtoD(ptr_ + offset, host, bytes),
                        "cuMemcpyHtoD");
}

Status DeviceBuffer::download(void *host, size_t bytes, size_t offset) const {
  return driver_->check(driver_->cuMemcpyDtoH(host, ptr_ + offset, bytes),
                        "cuMemcpyDtoH");
}

void DeviceBuffer::release() {
  if (ptr_)
    driver_->cuMemFree(ptr_);
  ptr_ = 0;
  bytes_ = 0;
}
