//===- DecodeGraph.h - The decode step as one CUDA graph --------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Decoding one token queues a few hundred kernels and GEMMs whose launch
// cost on the host, not their work, bounds small models. A DecodeGraph
// captures what the backend queues for one step on the device's stream
// (cuStreamBeginCapture ... cuStreamEndCapture), instantiates it once and
// launches the whole step with one cuGraphLaunch from then on.
//
// Every buffer of a decode step is the same from step to step; only two
// things change. The token id is read from device memory that the backend
// fills before each launch. The position is a by-value parameter of the
// generated kernels (the last one, schemas/artifact.fbs): the capture notes
// the kernel nodes that read it (GpuModule::readsPosition), and launch()
// rewrites their parameters with cuGraphExecKernelNodeSetParams before each
// replay. The replay runs the same kernels in the same order with the same
// parameters as an eager step, so its results are the same bits.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_DECODEGRAPH_H
#define MLRT_SRC_CUDA_DECODEGRAPH_H

#include "GpuModule.h"

#include <functional>
#include <vector>

namespace mlrt::cuda {

class DecodeGraph {
public:
  explicit DecodeGraph(const CudaDevice &device) : device(device) {}
  ~DecodeGraph();
  DecodeGraph(const DecodeGraph &) = delete;
  DecodeGraph &operator=(const DecodeGraph &) = delete;

  /// Whether a step has been captured and can be launched.
  bool ready() const { return exec != nullptr; }

  /// Captures what `enqueue` queues on the device's stream (nothing runs)
  /// and instantiates it. `enqueue` calls notePositionLaunch() after each
  /// launch of a kernel that reads the position.
  Status capture(const std::function<Status()> &enqueue);

  /// During capture: kernel `index` of `module` was just queued for
  /// `count` tokens of `sequences` sequences with `args`, whose last value
  /// is the position.
  Status notePositionLaunch(const GpuModule &module, int index, int64_t count,
                            int64_t sequences, const KernelArgs &args);

  /// Sets the position of the noted kernels and queues the step on the
  /// device's stream.
  Status launch(int64_t position);

  /// Kernel nodes whose position launch() sets.
  size_t positionNodes() const { return nodes.size(); }

private:
  /// A kernel node that takes the position, and what it was launched with.
  struct PositionNode {
    CUgraphNode node;
    CUDA_KERNEL_NODE_PARAMS params;
    KernelArgs args;
  };

  /// The node the last operation queued during capture added.
  Expected<CUgraphNode> lastCapturedNode() const;
  void release();

  const CudaDevice &device;
  CUgraph graph = nullptr; ///< kept: the nodes above are its nodes
  CUgraphExec exec = nullptr;
  std::vector<PositionNode> nodes;
};

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_DECODEGRAPH_H
