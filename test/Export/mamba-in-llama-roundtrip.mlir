// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/m2.mlir
// RUN: ml-export %t/m2.mlir -o %t/m2-out
// RUN: ml-weights diff %inputs/tiny/tiny-hybrid-mamba2 %t/m2-out | FileCheck %s --check-prefix=SAME2
// RUN: FileCheck %s --check-prefix=CONFIG --input-file=%t/m2-out/mamba_config.json
// RUN: ml-import %t/m2-out -o %t/m2-again.mlir
// RUN: sed -e 's/weights "[^"]*"//' -e 's/@"[^"]*"/@m/' %t/m2.mlir > %t/a.txt
// RUN: sed -e 's/weights "[^"]*"//' -e 's/@"[^"]*"/@m/' %t/m2-again.mlir > %t/b.txt
// RUN: diff %t/a.txt %t/b.txt
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba1 -o %t/m1.mlir
// RUN: ml-export %t/m1.mlir -o %t/m1-out --format=mamba-in-llama
// RUN: ml-weights diff %inputs/tiny/tiny-hybrid-mamba1 %t/m1-out | FileCheck %s --check-prefix=SAME1
// RUN: not ml-export %t/m1.mlir -o %t/hf --format=hf 2>&1 | FileCheck %s --check-prefix=HF
// RUN: not ml-export %examples/tiny-hybrid.mlir -o %t/nostore 2>&1 | FileCheck %s --check-prefix=NOSTORE
// RUN: test ! -e %t/hf/model.safetensors

// Tests that MambaInLlama hybrids of both variants round-trip bit for bit
// (fused in_proj reassembled from its row blocks, conv weights back to
// (channels, 1, 4)) with a mamba_config.json MambaInLlama reads.

// SAME2: identical: 25 tensors, 447536 bytes
// SAME1: identical: 29 tensors, 451584 bytes
// CONFIG: "ssm_cfg": {
// CONFIG-NEXT: "expand": 1,
// CONFIG-NEXT: "ngroups": 4,
// CONFIG-NEXT: "d_state": 16
// CONFIG: "d_inner": 64,
// CONFIG-NEXT: "d_xb": 32,
// CONFIG: "attn_layers": [
// CONFIG-NEXT: 1
// CONFIG-NEXT: ]
// HF: ml-export: error: @tiny-hybrid-mamba1 has Mamba layers; a Hugging Face Llama/Mistral/Qwen2 directory cannot hold them (export it with --format=mamba-in-llama)
// NOSTORE: ml-export: error: weight store of @tiny_hybrid: {{.*}}tiny-hybrid.safetensors: cannot open: No such file or directory
