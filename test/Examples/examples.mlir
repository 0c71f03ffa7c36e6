// RUN: ml-opt %examples/tiny-llama.mlir | FileCheck %s --check-prefix=LLAMA
// RUN: ml-opt %examples/tiny-hybrid.mlir | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %examples/tiny-hybrid.mlir -emit-bytecode | ml-opt | FileCheck %s --check-prefix=HYBRID

// Tests that the hand-written examples verify and print as documented: the
// Llama has attention in both layers; the hybrid's layer 0 is a Mamba-2 mixer
// on layer 0's own attention weights and layer 1 keeps attention.

// LLAMA-LABEL: llm.model @tiny_llama
// LLAMA-SAME: heads = 4, kv_heads = 2, head_dim = 16
// LLAMA: llm.attention %{{.+}} layer 0 q %l0_q_proj k %l0_k_proj v %l0_v_proj o %l0_o_proj
// LLAMA: llm.attention %{{.+}} layer 1 q %l1_q_proj k %l1_k_proj v %l1_v_proj o %l1_o_proj
// LLAMA-NOT: llm.mamba
// LLAMA: llm.return

// HYBRID-LABEL: llm.model @tiny_hybrid
// HYBRID-NOT: llm.attention %{{.+}} layer 0
// HYBRID: llm.mamba %{{.+}} layer 0 mamba2 d_state 16 groups 2 x %l0_v_proj B %l0_k_proj C %l0_q_proj z %l0_z_proj out %l0_o_proj
// HYBRID-SAME: -> tensor<?x?x64xf32>
// HYBRID: llm.attention %{{.+}} layer 1 q %l1_q_proj
// HYBRID: llm.return
