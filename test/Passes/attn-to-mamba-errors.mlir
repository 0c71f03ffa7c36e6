// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=1.5 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=0.3 2>&1 | FileCheck %s --check-prefix=NOTINV
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=layers=30 2>&1 | FileCheck %s --check-prefix=OUTOFRANGE
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=layers=4 2>/dev/null | not ml-opt --attn-to-mamba=layers=4 2>&1 | FileCheck %s --check-prefix=NOTATTN
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=variant=mamba3 2>&1 | FileCheck %s --check-prefix=VARIANT
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=init=xavier 2>&1 | FileCheck %s --check-prefix=INIT
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=0 2>/dev/null | not ml-opt --attn-to-mamba 2>&1 | FileCheck %s --check-prefix=NOATTN
// RUN: not ml-opt %S/Inputs/qwen2-biases.mlir --attn-to-mamba 2>&1 | FileCheck %s --check-prefix=BIAS
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba="variant=mamba1 d-state=3" 2>&1 | FileCheck %s --check-prefix=DSTATE
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba="variant=mamba1 d-state=0" 2>&1 | FileCheck %s --check-prefix=DSTATE0
// RUN: not ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=steps=-1 2>&1 | FileCheck %s --check-prefix=STEPS

// Tests that every request the pass cannot carry out is refused with one
// clear error at the model.

// RANGE: error: ratio 1.5 is outside [0, 1]: it is the fraction of layers that keep attention
// NOTINV: error: ratio 0.3 is not 0 or 1/k for an integer k (0.5, 0.25, 0.125, ...)
// OUTOFRANGE: error: layer 30 is out of range: @llama30 has 30 layers
// NOTATTN: error: layer 4 is not an attention layer (it is already a Mamba mixer)
// VARIANT: error: unknown variant 'mamba3' (expected mamba2 or mamba1)
// INIT: error: unknown init 'xavier' (expected attention or random)
// NOATTN: error: @llama30 has no attention layers to convert
// BIAS: error: layer 0's attention has projection biases, which a Mamba mixer cannot take
// DSTATE: error: a Mamba-1 mixer with d_state 3 needs the rows of q (8) and of k and v (4) to be multiples of it
// DSTATE0: error: d-state must be positive, found 0
// STEPS: error: steps must be positive, found -1
