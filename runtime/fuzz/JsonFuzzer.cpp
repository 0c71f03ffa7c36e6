//===- JsonFuzzer.cpp - libFuzzer target for the JSON reader --------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  mlrt::Expected<mlrt::json::Value> v = mlrt::json::parse(text);
  if (v) {
    // What we write must read back.
    mlrt::Expected<mlrt::json::Value> again =
        mlrt::json::parse(mlrt::json::serialize(*v, 1));
    if (!again)
      __builtin_trap();
  }
  return 0;
}
