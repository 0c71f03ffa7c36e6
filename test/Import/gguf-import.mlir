// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/gguf/tiny-llama.gguf -o %t/tiny.mlir
// RUN: FileCheck %s --input-file=%t/tiny.mlir
// RUN: ml-weights list %t/tiny.safetensors --sha256 > %t/list.txt
// RUN: %python %S/Inputs/check_digests.py %inputs/gguf/tiny-llama.expected.json %t/list.txt | FileCheck %s --check-prefix=DIGESTS
// RUN: ml-import %inputs/gguf/tiny-llama.gguf --weights-out %t/elsewhere.safetensors | FileCheck %s --check-prefix=ELSEWHERE

// Tests GGUF import against llama.cpp's own writer and quantisers (the gguf
// package, scripts/make_gguf_fixture.py): metadata becomes the config, ggml
// names become Hugging Face names, F32/F16/BF16/Q8_0/Q4_0/Q4_1 tensors
// dequantise to exactly gguf's reference values, and q/k rows come back in
// HF order (they equal the HF fixture's weights).

// CHECK: llm.model @"tiny-llama" config <arch = llama, vocab = 256, hidden = 64, intermediate = 128, layers = 2, heads = 4, kv_heads = 2, head_dim = 16, max_position = 256, rope_theta = 10000.0, rms_eps = 9.999999747378752e-06, bos = 1, eos = [2]> weights "tiny.safetensors"
// CHECK: llm.weight "model.embed_tokens.weight" : tensor<256x64xf32>
// CHECK: llm.weight "lm_head.weight" : tensor<256x64xf32>

// DIGESTS: 21 of 21 tensors match, 0 unexpected

// ELSEWHERE: weights "{{.*}}elsewhere.safetensors"
