//===- GgufFuzzer.cpp - libFuzzer target for GGUF and dequantisation ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Gguf.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlrt::Expected<mlrt::GgufFile> file =
      mlrt::GgufFile::open(mlrt::MappedFile::view("fuzz", data, size));
  if (!file)
    return 0;
  // A file that validates must dequantise without reading out of bounds.
  for (const mlrt::GgufTensor &t : file->tensors()) {
    if (t.numElements > (1 << 20))
      continue;
    std::vector<float> out(t.numElements);
    (void)mlrt::dequantize(t.type, t.data, t.numElements, out.data());
  }
  return 0;
}
