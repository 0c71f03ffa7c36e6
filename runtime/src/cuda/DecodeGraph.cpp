//===- DecodeGraph.cpp - The decode step as one CUDA graph ----------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "DecodeGraph.h"

using namespace mlrt;
using namespace mlrt::cuda;

DecodeGraph::~DecodeGraph() { release(); }

void DecodeGraph::release() {
  const CudaDriver &d = device.driver();
  if (exec)
    d.cuGraphExecDestroy(exec);
  if (graph)
    d.cuGraphDestroy(graph);
  exec = nullptr;
  graph = nullptr;
  nodes.clear();
}

Status DecodeGraph::capture(const std::function<Status()> &enqueue) {
  release();
  const CudaDriver &d = device.driver();
  // Thread-local: CUDA calls of other threads (other sessions) are no
  // concern of this capture.
  MLRT_RETURN_IF_ERROR(
      d.check(d.cuStreamBeginCapture(device.stream(),
                                     CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
              "cuStreamBeginCapture"));
  Status queued = enqueue();
  // The capture ends whatever happened, so that the stream runs work again.
  CUresult ended = d.cuStreamEndCapture(device.stream(), &graph);
  if (queued.failed() || ended != CUDA_SUCCESS) {
    release();
    return queued.failed() ? std::move(queued)
                           : d.check(ended, "cuStreamEndCapture");
  }
  if (CUresult r = d.cuGraphInstantiateWithFlags(&exec, graph, 0)) {
    exec = nullptr;
    release();
    return d.check(r, "cuGraphInstantiateWithFlags");
  }
  return Status::ok();
}

Expected<CUgraphNode> DecodeGraph::lastCapturedNode() const {
  const CudaDriver &d = device.driver();
  CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
  cuuint64_t id = 0;
  CUgraph capturing = nullptr;
  const CUgraphNode *deps = nullptr;
  const CUgraphEdgeData *edges = nullptr;
  size_t count = 0;
  // On one stream, what the next operation would depend on is the node
  // the last one added.
  MLRT_RETURN_IF_ERROR(
      d.check(d.cuStreamGetCaptureInfo(device.stream(), &status, &id,
                                       &capturing, &deps, &edges, &count),
              "cuStreamGetCaptureInfo"));
  if (status != CU_STREAM_CAPTURE_STATUS_ACTIVE || count != 1)
    return Error() << "the stream's capture has " << count
                   << " open dependencies (status " << int(status)
                   << "), expected the one kernel just launched";
  return deps[0];
}

Status DecodeGraph::notePositionLaunch(const GpuModule &module, int index,
                                       int64_t count, int64_t sequences,
                                       const KernelArgs &args) {
  Expected<CUDA_KERNEL_NODE_PARAMS> params =
      module.launchParams(index, count, sequences);
  if (!params)
    return params.takeError();
  if (!params->func)
    return Status::ok(); // nothing was launched
  Expected<CUgraphNode> node = lastCapturedNode();
  if (!node)
    return Error() << "GPU kernel " << module.kernel(index).name << ": "
                   << node.message();
  nodes.push_back({*node, *params, args});
  return Status::ok();
}

Status DecodeGraph::launch(int64_t position) {
  const CudaDriver &d = device.driver();
  for (PositionNode &n : nodes) {
    if (n.args.last() == position)
      continue;
    n.args.setLast(position);
    n.params.kernelParams = n.args.pointers();
    // Takes effect from the next launch; launches already queued keep
    // the position they were queued with.
    MLRT_RETURN_IF_ERROR(
        d.check(d.cuGraphExecKernelNodeSetParams(exec, n.node, &n.params),
                "cuGraphExecKernelNodeSetParams"));
  }
  return d.check(d.cuGraphLaunch(exec, device.stream()), "cuGraphLaunch");
}
