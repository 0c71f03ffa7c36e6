// RUN: ml-opt %S/Inputs/llama-32.mlir --attn-to-mamba=ratio=0.5 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R50-32
// RUN: ml-opt %S/Inputs/llama-32.mlir --attn-to-mamba=ratio=0.25 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R25-32
// RUN: ml-opt %S/Inputs/llama-32.mlir --attn-to-mamba=ratio=0.125 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R12-32
// RUN: ml-opt %S/Inputs/llama-32.mlir --attn-to-mamba=ratio=0 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R0-32
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=0.5 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R50-30
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=0.25 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R25-30
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=0.125 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R12-30
// RUN: ml-opt %S/Inputs/llama-30.mlir -p 'builtin.module(attn-to-mamba{ratio=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=R0-30
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=R100
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba="layers=29,3,0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=LAYERS

// Tests the paper's layer choice (paper_spec.md section 2): with ratio r =
// 1/k of layers keeping attention, layer i keeps it iff (i+1) mod k == 0, on
// a 32-layer model (the paper's) and a 30-layer one (SmolLM2's); explicit
// layers override the ratio.

// R50-32: remark: converted layers [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] to mamba2; attention kept at [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// R25-32: remark: converted layers [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20, 21, 22, 24, 25, 26, 28, 29, 30] to mamba2; attention kept at [3, 7, 11, 15, 19, 23, 27, 31]
// R12-32: remark: converted layers [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30] to mamba2; attention kept at [7, 15, 23, 31]
// R0-32: remark: converted layers [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31] to mamba2; attention kept at []
// R50-30: remark: converted layers [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28] to mamba2; attention kept at [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29]
// R25-30: remark: converted layers [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20, 21, 22, 24, 25, 26, 28, 29] to mamba2; attention kept at [3, 7, 11, 15, 19, 23, 27]
// R12-30: remark: converted layers [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29] to mamba2; attention kept at [7, 15, 23]
// R0-30: remark: converted layers [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29] to mamba2; attention kept at []
// R100: remark: converted layers [] to mamba2; attention kept at [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]
// LAYERS: remark: converted layers [29, 3, 0] to mamba2; attention kept at [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28]
