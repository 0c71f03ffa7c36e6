// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/magic.gguf bad-magic
// RUN: not ml-import %t/magic.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=MAGIC
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/version.gguf version
// RUN: not ml-import %t/version.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=VERSION
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/truncated.gguf truncated
// RUN: not ml-import %t/truncated.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/past.gguf offset-past-end
// RUN: not ml-import %t/past.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=PAST
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/overlap.gguf overlap
// RUN: not ml-import %t/overlap.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=OVERLAP
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/type.gguf unsupported-type
// RUN: not ml-import %t/type.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/arch.gguf unknown-arch
// RUN: not ml-import %t/arch.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: %python %S/Inputs/corrupt_gguf.py %inputs/gguf/tiny-llama.gguf %t/name.gguf missing-tensor
// RUN: not ml-import %t/name.gguf -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not ml-import %inputs/gguf/tiny-llama.gguf 2>&1 | FileCheck %s --check-prefix=NOOUT
// RUN: test ! -e %t/out.mlir
// RUN: test ! -e %t/out.safetensors

// Tests that broken or unsupported GGUF files get one clear error, a
// non-zero exit, and neither a module nor a weight file.

// MAGIC: error: {{.*}}magic.gguf: not a GGUF file (expected the magic bytes 'GGUF')
// VERSION: error: {{.*}}version.gguf: unsupported GGUF version 7 (supported: 2, 3)
// TRUNCATED: error: {{.*}}truncated.gguf: tensor 'output.weight' ({{[0-9]+}} bytes at offset {{[0-9]+}}) runs past the end of the file's data section ({{[0-9]+}} bytes)
// PAST: error: {{.*}}past.gguf: tensor 'blk.1.ffn_down.weight' (8704 bytes at offset 1099511627776) runs past the end of the file's data section
// OVERLAP: error: {{.*}}overlap.gguf: tensor 'blk.0.attn_q.weight' overlaps tensor 'token_embd.weight'
// TYPE: error: {{.*}}type.gguf: tensor 'blk.0.ffn_down.weight' has ggml type Q5_0, which is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)
// ARCH: error: {{.*}}arch.gguf: unsupported GGUF architecture 'gemma' (supported: llama, qwen2)
// NAME: error: {{.*}}name.gguf: unexpected tensor 'blk.1.ffn_xx.weight' for a llama-family model
// NOOUT: error: importing a GGUF file writes its weights beside the module: give -o FILE or --weights-out FILE
