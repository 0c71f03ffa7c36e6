//===- TokenizerFuzzer.cpp - libFuzzer target for tokenizer.json ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  mlrt::Expected<mlrt::Tokenizer> tokenizer =
      mlrt::Tokenizer::fromHuggingFace(text);
  if (!tokenizer)
    return 0;
  // A tokenizer that loads must encode and decode without faults.
  std::vector<int32_t> ids =
      tokenizer->encode("Hello, world! 123 <|im_start|> \xc3\xa9\xe4\xb8\xad");
  (void)tokenizer->decode(ids);
  return 0;
}
