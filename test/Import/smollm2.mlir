// REQUIRES: smollm2
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %smollm2_gguf -o %t/smollm2.mlir
// RUN: FileCheck %s --input-file=%t/smollm2.mlir
// RUN: ml-weights list %t/smollm2.safetensors --sha256 > %t/list.txt
// RUN: %python %S/Inputs/check_digests.py %inputs/smollm2/smollm2-dequant.json %t/list.txt --skip lm_head.weight | FileCheck %s --check-prefix=DIGESTS

// Tests the real model (scripts/fetch_smollm2.sh): SmolLM2-135M-Instruct's
// Q4_1 GGUF imports to exactly the weights transformers 5.17 reads from the
// same file (its dequantisation and q/k un-permutation, through the gguf
// package; digests made by scripts/gpu/make_goldens.py). lm_head is tied.

// CHECK: config <arch = llama, vocab = 49152, hidden = 576, intermediate = 1536, layers = 30, heads = 9, kv_heads = 3, head_dim = 64, max_position = 8192, rope_theta = 100000.0, rms_eps = 9.999999747378752e-06, tie_embeddings = true, bos = 1, eos = [2]> weights "smollm2.safetensors" tokenizer "{{.*}}SmolLM2-135M-Instruct.Q4_1.gguf"
// DIGESTS: 272 of 272 tensors match, 0 unexpected
