// RUN: ml-opt %S/Inputs/llama-32.mlir --attn-to-mamba=ratio=0.5 2>/dev/null | ml-opt --attn-to-mamba="ratio=0.25 seed=7" 2>&1 -o %t.mlir | FileCheck %s --check-prefix=STEP2
// RUN: FileCheck %s --check-prefix=IR --input-file=%t.mlir
// RUN: ml-opt %t.mlir --attn-to-mamba=ratio=0.125 -o /dev/null 2>&1 | FileCheck %s --check-prefix=STEP3
// RUN: ml-opt %S/Inputs/llama-32.mlir --attn-to-mamba=steps=16 2>/dev/null | ml-opt --attn-to-mamba=steps=8 2>/dev/null | ml-opt --attn-to-mamba=steps=3 -o /dev/null 2>&1 | FileCheck %s --check-prefix=STEPWISE
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=steps=29 2>/dev/null | ml-opt --attn-to-mamba=steps=5 -o /dev/null 2>&1 | FileCheck %s --check-prefix=LAST

// Tests progressive conversion as the paper does it: 50% -> 25% -> 12.5%
// converts only the remaining attention layers, and layers converted
// earlier keep their weights (seed 42 from the first step), while new ones
// are initialised from their own attention weights with the new seed. The
// stepwise schedule follows MambaInLlama's order (0, 2, ..., 30; 1, 5, ...,
// 29; 3, 11, 19, 27; 7, 23, 15, 31).

// STEP2: remark: converted layers [1, 5, 9, 13, 17, 21, 25, 29] to mamba2; attention kept at [3, 7, 11, 15, 19, 23, 27, 31]
// STEP3: remark: converted layers [3, 11, 19, 27] to mamba2; attention kept at [7, 15, 23, 31]

// IR: %[[Z0:.+]] = llm.weight "model.layers.0.mamba.z_proj.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 42000000
// IR: llm.mamba %{{.+}} layer 0 mamba2 d_state 4 groups 1 x %l0_v_proj B %l0_k_proj C %l0_q_proj z %[[Z0]]
// IR: %[[Z1:.+]] = llm.weight "model.layers.1.mamba.z_proj.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 7000100
// IR: llm.mamba %{{.+}} layer 1 mamba2 d_state 4 groups 1 x %l1_v_proj B %l1_k_proj C %l1_q_proj z %[[Z1]]
// IR: llm.attention %{{.+}} layer 3 q %l3_q_proj

// STEPWISE: remark: converted layers [3, 11, 19] to mamba2; attention kept at [7, 15, 23, 27, 31]
// LAST: remark: converted layers [15] to mamba2; attention kept at []
