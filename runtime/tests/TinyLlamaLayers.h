//===- TinyLlamaLayers.h - The layer table of test artifacts ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The tests that build artifacts by hand over test/Inputs/tiny/tiny-llama
// (ArtifactTest, CudaBackendTest) share its two attention layers.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TESTS_TINYLLAMALAYERS_H
#define MLRT_TESTS_TINYLLAMALAYERS_H

#include "mlrt/artifact_generated.h"

#include <map>
#include <string>
#include <vector>

namespace mlrt::test {

/// tiny-llama's two attention layers; `index` maps weight names to their
/// index in the artifact's weight table.
inline std::vector<flatbuffers::Offset<fb::Layer>>
tinyLlamaLayers(flatbuffers::FlatBufferBuilder &b,
                std::map<std::string, int32_t> &index) {
  std::vector<flatbuffers::Offset<fb::Layer>> layers;
  for (int i = 0; i < 2; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    std::vector<int32_t> mixer = {index[p + "self_attn.q_proj.weight"],
                                  index[p + "self_attn.k_proj.weight"],
                                  index[p + "self_attn.v_proj.weight"],
                                  index[p + "self_attn.o_proj.weight"],
                                  -1, -1, -1, -1};
    layers.push_back(fb::CreateLayer(
        b, fb::Mixer::Attention, b.CreateVector(mixer),
        index[p + "input_layernorm.weight"],
        index[p + "post_attention_layernorm.weight"],
        index[p + "mlp.gate_proj.weight"], index[p + "mlp.up_proj.weight"],
        index[p + "mlp.down_proj.weight"]));
  }
  return layers;
}

} // namespace mlrt::test

#endif // MLRT_TESTS_TINYLLAMALAYERS_H
