//===- SafetensorsFuzzer.cpp - libFuzzer target for safetensors -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlrt::Expected<mlrt::SafetensorsFile> st =
      mlrt::SafetensorsFile::open(mlrt::MappedFile::view("fuzz", data, size));
  if (!st)
    return 0;
  // A file that validates must let every tensor be read in full.
  volatile uint8_t sink = 0;
  for (const mlrt::TensorInfo &t : st->tensors())
    for (uint64_t i = 0; i < t.numBytes(); i += 61)
      sink ^= st->data(t)[i];
  return 0;
}
