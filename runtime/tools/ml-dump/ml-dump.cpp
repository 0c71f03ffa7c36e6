//===- ml-dump.cpp - Print a compiled model (.mlart) ----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-dump model.mlart [--weights]
//
// Opens the artifact as the runtime does (every check included) and prints
// its config, layers, memory needs and, with --weights, the weight table.
// A runtime tool: it links no compiler code.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Artifact.h"

#include <cstdio>
#include <cstring>

using namespace mlrt;

static const char *mixerName(MixerKind k) {
  switch (k) {
  case MixerKind::Attention:
    return "attention";
  case MixerKind::Mamba1:
    return "mamba1";
  case MixerKind::Mamba2:
    return "mamba2";
  }
  return "?";
}

static const char *archName(Arch a) {
  return a == Arch::Llama ? "llama" : a == Arch::Mistral ? "mistral" : "qwen2";
}

static std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

int main(int argc, char **argv) {
  if (argc < 2 || (argc == 3 && std::strcmp(argv[2], "--weights") != 0) ||
      argc > 3) {
    std::fprintf(stderr, "usage: ml-dump model.mlart [--weights]\n");
    return 2;
  }
  Expected<Artifact> a = Artifact::open(argv[1]);
  if (!a) {
    std::fprintf(stderr, "ml-dump: error: %s\n", a.message().c_str());
    return 1;
  }
  const ModelConfig &c = a->config();
  std::printf("artifact %s: version %u, produced by %s\n", a->name().c_str(),
              a->version(), a->producer().c_str());
  std::printf("config: %s, vocab %lld, hidden %lld, intermediate %lld, %lld "
              "layers, %lld heads (%lld kv) of %lld, rope theta %g, rms eps "
              "%g%s\n",
              archName(c.arch), (long long)c.vocab, (long long)c.hidden,
              (long long)c.intermediate, (long long)c.layers,
              (long long)c.heads, (long long)c.kvHeads, (long long)c.headDim,
              c.rope.theta, c.rmsEps,
              c.tieEmbeddings ? ", tied embeddings" : "");
  for (size_t i = 0; i < a->layers().size(); ++i) {
    const LayerSpec &l = a->layers()[i];
    std::printf("layer %zu: %s", i, mixerName(l.mixer));
    if (l.mixer == MixerKind::Attention && l.slidingWindow)
      std::printf(" (sliding window %lld)", (long long)l.slidingWindow);
    if (l.mixer != MixerKind::Attention)
      std::printf(" (d_state %lld, groups %lld)", (long long)l.dState,
                  (long long)l.groups);
    std::printf("\n");
  }
  MemoryReport m = a->memory();
  std::printf("memory: weights %.2f MiB, KV cache %.1f KiB per token (%lld "
              "attention layers), SSM state %.1f KiB per sequence (%lld Mamba "
              "layers)\n",
              m.weightBytes / 1048576.0, m.kvBytesPerToken / 1024.0,
              (long long)m.attentionLayers, m.ssmStateBytes / 1024.0,
              (long long)m.mambaLayers);
  for (const std::string &s : a->storePaths())
    std::printf("store: %s\n", s.c_str());
  std::printf("tokenizer: %s\n", a->tokenizerPath().empty()
                                     ? "(none)"
                                     : a->tokenizerPath().c_str());
  if (argc == 3)
    for (size_t i = 0; i < a->weights().size(); ++i) {
      const WeightRef &w = a->weights()[i];
      std::printf("weight %zu: %s %s %s\n", i, w.name.c_str(),
                  std::string(dtypeName(w.dtype)).c_str(),
                  shapeText(w.shape).c_str());
    }
  return 0;
}
