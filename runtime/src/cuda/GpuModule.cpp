//===- GpuModule.cpp - The artifact's PTX kernels on a device -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "GpuModule.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>

using namespace mlrt;
using namespace mlrt::cuda;

void KernelArgs::memref(CUdeviceptr ptr, int64_t size) {
  values.insert(values.end(), {ptr, ptr, 0, static_cast<uint64_t>(size), 1});
}

void KernelArgs::index(int64_t value) {
  values.push_back(static_cast<uint64_t>(value));
}

void **KernelArgs::pointers() {
  ptrs.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    ptrs[i] = &values[i];
  return ptrs.data();
}

/// The compute capability a PTX target names ("sm_90" -> 90, "sm_90a" ->
/// 90); 0 when it is not of that form.
static int targetCapability(const std::string &target) {
  if (target.rfind("sm_", 0) != 0)
    return 0;
  return std::atoi(target.c_str() + 3);
}

/// Whether `c` may be part of a PTX identifier.
static bool isIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         c == '%';
}

/// The first occurrence of the identifier `id` in text[from, to) as a whole
/// token; npos when there is none.
static size_t findIdentifier(const std::string &text, const std::string &id,
                             size_t from, size_t to) {
  for (size_t at = text.find(id, from); at != std::string::npos && at < to;
       at = text.find(id, at + 1)) {
    size_t end = at + id.size();
    if ((at == 0 || !isIdentifierChar(text[at - 1])) &&
        (end >= text.size() || !isIdentifierChar(text[end])))
      return at;
  }
  return std::string::npos;
}

bool mlrt::cuda::namesLastParam(const std::string &ptx,
                                const std::string &name) {
  const size_t npos = std::string::npos;
  size_t entry = npos;
  for (size_t at = ptx.find(".entry"); at != npos;
       at = ptx.find(".entry", at + 1)) {
    size_t n = ptx.find_first_not_of(" \t\n", at + 6);
    if (n != npos && findIdentifier(ptx, name, n, n + 1) == n) {
      entry = n + name.size();
      break;
    }
  }
  size_t open = entry == npos ? npos : ptx.find_first_not_of(" \t\n", entry);
  if (open == npos || ptx[open] != '(')
    return true;
  size_t close = ptx.find(')', open);
  if (close == npos)
    return true;
  // The last parameter's name ends the list (an array parameter, "name[8]",
  // is not read that way).
  size_t end = ptx.find_last_not_of(" \t\n", close - 1);
  size_t begin = end;
  while (begin > open && isIdentifierChar(ptx[begin]))
    --begin;
  std::string last = ptx.substr(begin + 1, end - begin);
  if (last.empty() || std::isdigit(static_cast<unsigned char>(last[0])))
    return true;
  size_t bodyEnd = std::min(ptx.find(".entry", close), ptx.size());
  return findIdentifier(ptx, last, close, bodyEnd) != npos;
}

Status cuda::checkTarget(const std::string &target, int capability,
                         const std::string &deviceName) {
  int wanted = targetCapability(target);
  // sm_90a code (wgmma) runs on sm_90 alone; other targets on newer GPUs.
  bool archSpecific = !target.empty() && target.back() == 'a';
  if (wanted <= capability && (!archSpecific || wanted == capability))
    return Status::ok();
  return Error() << "this artifact's GPU code targets " << target << " but "
                 << deviceName << " is sm_" << capability
                 << "; compile the model for this GPU (ml-compile "
                    "--gpu-chip=sm_"
                 << capability << ")";
}

Expected<std::unique_ptr<GpuModule>> GpuModule::load(const CudaDevice &device,
                                                     const GpuCode &code) {
  const CudaDriver &d = device.driver();
  if (Status s =
          checkTarget(code.target, device.computeCapability(), device.name());
      s.failed())
    return Error(s.message());
  std::unique_ptr<GpuModule> m(new GpuModule(device, code));
  // The JIT's error log says which line of the PTX it refused.
  char log[8192] = {};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1)};
  if (CUresult r = d.cuModuleLoadDataEx(&m->module, code.ptx.c_str(), 2,
                                        options, values)) {
    m->module = nullptr;
    Error e;
    e << "loading the artifact's PTX (" << code.target << ") on "
      << device.name() << ": " << d.describe("cuModuleLoadDataEx", r);
    if (log[0])
      e << ": " << log;
    return e;
  }
  for (const GpuKernel &k : code.kernels) {
    CUfunction f = nullptr;
    if (CUresult r = d.cuModuleGetFunction(&f, m->module, k.name.c_str()))
      return Error() << "GPU kernel " << k.name << ": "
                     << d.describe("cuModuleGetFunction", r);
    int staticShared = 0;
    MLRT_RETURN_IF_ERROR(d.check(
        d.cuFuncGetAttribute(&staticShared,
                             CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f),
        "cuFuncGetAttribute"));
    unsigned dynamic = static_cast<unsigned>(
        std::max<int64_t>(0, k.sharedBytes - staticShared));
    if (dynamic > 48 * 1024)
      if (CUresult r = d.cuFuncSetAttribute(
              f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, dynamic))
        return Error() << "GPU kernel " << k.name << " needs " << dynamic
                       << " bytes of shared memory: "
                       << d.describe("cuFuncSetAttribute", r);
    m->functions.push_back(f);
    m->dynamicShared.push_back(dynamic);
    m->readsPosition_.push_back(namesLastParam(code.ptx, k.name));
  }
  return {std::move(m)};
}

GpuModule::~GpuModule() {
  if (module)
    device.driver().cuModuleUnload(module);
}

Status GpuModule::checkParams(int index, size_t params) const {
  const CudaDriver &d = device.driver();
  if (!d.cuFuncGetParamInfo)
    return Status::ok();
  CUfunction f = functions[index];
  size_t offset = 0, size = 0;
  // The kernel takes exactly `params` parameters when the last one exists
  // and the one after it does not.
  bool lastExists = params == 0 ||
                    d.cuFuncGetParamInfo(f, params - 1, &offset, &size) ==
                        CUDA_SUCCESS;
  bool nextExists =
      d.cuFuncGetParamInfo(f, params, &offset, &size) == CUDA_SUCCESS;
  if (lastExists && !nextExists)
    return Status::ok();
  size_t actual = 0;
  while (d.cuFuncGetParamInfo(f, actual, &offset, &size) == CUDA_SUCCESS)
    ++actual;
  return Error() << "GPU kernel " << code.kernels[index].name << " takes "
                 << actual << " parameters, the runtime passes " << params
                 << " (the artifact and the runtime disagree on the kernel "
                    "parameter convention of schemas/artifact.fbs)";
}

Expected<CUDA_KERNEL_NODE_PARAMS>
GpuModule::launchParams(int index, int64_t count, int64_t sequences) const {
  const GpuKernel &k = code.kernels[index];
  CUDA_KERNEL_NODE_PARAMS p = {};
  int64_t gridX =
      k.grid[0] * (k.perToken ? tokensOf(index, count, sequences) : 1);
  int64_t gridY = k.grid[1] * (k.perSequence ? sequences : 1);
  if (gridX <= 0 || gridY <= 0)
    return p; // nothing to do for zero tokens
  if (gridX > INT_MAX || gridY > 65535)
    return Error() << "GPU kernel " << k.name << ": a grid of " << gridX
                   << " x " << gridY << " blocks is too large";
  p.func = functions[index];
  p.gridDimX = static_cast<unsigned>(gridX);
  p.gridDimY = static_cast<unsigned>(gridY);
  p.gridDimZ = static_cast<unsigned>(k.grid[2]);
  p.blockDimX = static_cast<unsigned>(k.block[0]);
  p.blockDimY = static_cast<unsigned>(k.block[1]);
  p.blockDimZ = static_cast<unsigned>(k.block[2]);
  p.sharedMemBytes = dynamicShared[index];
  return p;
}

Status GpuModule::launch(int index, int64_t count, int64_t sequences,
                         KernelArgs &args) const {
  Expected<CUDA_KERNEL_NODE_PARAMS> p = launchParams(index, count, sequences);
  if (!p)
    return p.takeError();
  if (!p->func)
    return Status::ok();
  const CudaDriver &d = device.driver();
  if (CUresult r = d.cuLaunchKernel(p->func, p->gridDimX, p->gridDimY,
                                    p->gridDimZ, p->blockDimX, p->blockDimY,
                                    p->blockDimZ, p->sharedMemBytes,
                                    device.stream(), args.pointers(), nullptr))
    return Error() << "GPU kernel " << code.kernels[index].name << ": "
                   << d.describe("cuLaunchKernel", r);
  return Status::ok();
}

int GpuModule::find(const std::string &name) const {
  for (size_t i = 0; i < code.kernels.size(); ++i)
    if (code.kernels[i].name == name)
      return static_cast<int>(i);
  return -1;
}
