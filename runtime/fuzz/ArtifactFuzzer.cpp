//===- ArtifactFuzzer.cpp - libFuzzer target for .mlart artifacts ---------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Artifact.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Relative store paths resolve as if the input sat beside the seeds
  // (scripts/fuzz.sh sets MLRT_FUZZ_ARTIFACT_DIR), so mutations reach the
  // weight checks.
  static const std::string path =
      std::string(std::getenv("MLRT_FUZZ_ARTIFACT_DIR")
                      ? std::getenv("MLRT_FUZZ_ARTIFACT_DIR")
                      : ".") +
      "/fuzz.mlart";
  // Artifacts are read in place from page-aligned mappings; give the
  // fuzzer's bytes the same alignment.
  std::vector<uint64_t> aligned((size + 7) / 8);
  if (size)
    std::memcpy(aligned.data(), data, size);
  mlrt::Expected<mlrt::Artifact> a =
      mlrt::Artifact::open(mlrt::MappedFile::view(
          path, reinterpret_cast<const uint8_t *>(aligned.data()), size));
  if (!a)
    return 0;
  // A model that opens must have every weight's bytes readable.
  volatile uint8_t sink = 0;
  for (const mlrt::WeightRef &w : a->weights())
    sink ^= w.data[w.numBytes - 1];
  (void)a->memory();
  return 0;
}
