// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-qwen2 -o %t/qwen2.mlir
// RUN: ml-export %t/qwen2.mlir -o %t/qwen2-out --max-shard-size=100KB 2>&1 | FileCheck %s --check-prefix=LOG
// RUN: ml-weights diff %inputs/tiny/tiny-qwen2 %t/qwen2-out | FileCheck %s --check-prefix=SAME
// RUN: ml-import %t/qwen2-out -o %t/qwen2-again.mlir
// RUN: sed -e 's/weights "[^"]*"//' -e 's/@"[^"]*"/@m/' %t/qwen2.mlir > %t/a.txt
// RUN: sed -e 's/weights "[^"]*"//' -e 's/@"[^"]*"/@m/' %t/qwen2-again.mlir > %t/b.txt
// RUN: diff %t/a.txt %t/b.txt
// RUN: FileCheck %s --check-prefix=CONFIG --input-file=%t/qwen2-out/config.json
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir
// RUN: ml-export %t/mistral.mlir -o %t/mistral-out
// RUN: ml-weights diff %inputs/tiny/tiny-mistral %t/mistral-out
// RUN: ml-import %t/mistral-out | FileCheck %s --check-prefix=MISTRAL
// RUN: ml-import %inputs/tiny/tiny-llama-sharded -o %t/llama.mlir
// RUN: ml-export %t/llama.mlir -o %t/llama-out
// RUN: ml-weights diff %inputs/tiny/tiny-llama-sharded %t/llama-out
// RUN: ls %t/llama-out | FileCheck %s --check-prefix=FILES

// Tests that import -> export -> import reproduces the module and every
// weight bit, sharded or not, and carries the generation config along.

// LOG: ml-export: wrote 7 files to {{.*}}qwen2-out
// SAME: identical: 26 tensors, 362752 bytes
// CONFIG: "architectures": [
// CONFIG-NEXT: "Qwen2ForCausalLM"
// CONFIG: "tie_word_embeddings": true
// CONFIG: "torch_dtype": "float32"
// MISTRAL: sliding_window = 8
// FILES: config.json
// FILES-NEXT: generation_config.json
// FILES-NEXT: model.safetensors
// FILES-NOT: index
