// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/teacher.mlir
// RUN: ml-opt %t/teacher.mlir --attn-to-mamba=ratio=0.5 -o %t/hybrid.mlir
// RUN: ml-export %t/hybrid.mlir -o %t/hybrid
// RUN: %python %S/Inputs/check_weight_reuse.py %inputs/tiny/tiny-llama %t/hybrid | FileCheck %s
// RUN: ml-import %t/hybrid | FileCheck %s --check-prefix=REIMPORT
// RUN: ml-opt %t/teacher.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" -o %t/hybrid1.mlir
// RUN: ml-export %t/hybrid1.mlir -o %t/hybrid1
// RUN: ml-import %t/hybrid1 | FileCheck %s --check-prefix=MAMBA1
// RUN: %python %S/Inputs/check_weight_reuse.py %inputs/tiny/tiny-llama %t/hybrid1 | FileCheck %s --check-prefix=REUSE1

// Tests that the conversion's weight reuse survives materialisation: the
// MambaInLlama export of the converted tiny Llama holds the teacher's v, k,
// q bits exactly in the x, B, C row blocks of in_proj and o in out_proj
// (compared byte for byte by Python), the new parameters are written from
// their init rules, and the export imports back as the same hybrid.

// CHECK: layer 0: in_proj [196, 64] BF16, conv1d [128, 1, 4], A_log [4]
// CHECK: weight reuse: exact

// REIMPORT: llm.mamba %{{.+}} layer 0 mamba2 d_state 16 groups 2
// REIMPORT: llm.attention %{{.+}} layer 1
// MAMBA1: llm.mamba %{{.+}} layer 0 mamba1 d_state 16 groups 2
// REUSE1: layer 0: mamba1, A_log [64, 16], dt_proj [64, 4]
// REUSE1: weight reuse: exact
