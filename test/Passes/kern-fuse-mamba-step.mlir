// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-mamba-step 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" 2>/dev/null | ml-opt --convert-llm-to-kern --kern-fuse-mamba-step 2>/dev/null | FileCheck %s --check-prefix=MAMBA1
// RUN: ml-opt %s -split-input-file --kern-fuse-mamba-step | FileCheck %s

// Tests that in step entries a Mamba-2 layer's conv1d, ssm_scan and
// gated_rms_norm on one state become one kern.mamba_step with their
// operands, that prefill and Mamba-1 layers keep their ops, and that the
// chain is left alone when [x|B|C] is read after it.

// HYBRID-LABEL: kern.entry @prefill {
// HYBRID: kern.conv1d
// HYBRID-NEXT: = kern.buffer
// HYBRID-NEXT: kern.ssm_scan mamba2
// HYBRID-NEXT: kern.gated_rms_norm
// HYBRID-LABEL: kern.entry @decode step {
// HYBRID: kern.linear %[[X:.+]], [@w4, @w3, @w2] -> %[[XBC:.+]] : !kern.buffer<64> -> !kern.buffer<128>
// HYBRID: kern.linear %[[X]], [@w10] -> %[[Z:.+]] : !kern.buffer<64> -> !kern.buffer<64>
// HYBRID: kern.linear %[[X]], [@w11] -> %[[DT:.+]] : !kern.buffer<64> -> !kern.buffer<4>
// HYBRID-NEXT: %[[Y:.+]] = kern.buffer {{[0-9]+}} : !kern.buffer<64>
// HYBRID-NEXT: kern.mamba_step %[[XBC]], %[[DT]], %[[Z]] conv @w12, @w13 dt_bias @w14 A_log @w15 D @w16 norm @w17 state @ssm0 heads 4 groups 2 d_state 16 group 16 -> %[[Y]] : !kern.buffer<128>, !kern.buffer<4>, !kern.buffer<64> -> !kern.buffer<64>
// HYBRID: kern.linear %[[Y]], [@w5]
// HYBRID-NOT: kern.conv1d
// HYBRID-NOT: kern.ssm_scan

// MAMBA1-LABEL: kern.entry @decode step {
// MAMBA1: kern.conv1d
// MAMBA1: kern.ssm_scan mamba1
// MAMBA1-NOT: kern.mamba_step

// CHECK-LABEL: kern.program @read_after
// CHECK: kern.conv1d
// CHECK-NEXT: kern.ssm_scan
// CHECK-NEXT: kern.gated_rms_norm
// CHECK-NEXT: kern.add
// CHECK-NOT: kern.mamba_step
kern.program @read_after config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @w 0 "w" : tensor<8xbf16>
  kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %xbc = kern.buffer 0 : !kern.buffer<16>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %z = kern.buffer 24 : !kern.buffer<8>
    %y = kern.buffer 32 : !kern.buffer<8>
    kern.conv1d %xbc, @w, @w state @ssm0 -> %xbc : !kern.buffer<16> -> !kern.buffer<16>
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @w A_log @w D @w state @ssm0 heads 2 groups 1 d_state 4 -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
    kern.gated_rms_norm %y, %z, @w group 4 -> %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.add %y, %xbc -> %y : !kern.buffer<8>, !kern.buffer<16> -> !kern.buffer<8>
  }
}

// -----

// The scan of another state, or a norm out of place, is not the chain.
// CHECK-LABEL: kern.program @not_chained
// CHECK-COUNT-2: kern.conv1d
// CHECK-NOT: kern.mamba_step
kern.program @not_chained config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @w 0 "w" : tensor<8xbf16>
  kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.mamba_state @ssm1 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %xbc = kern.buffer 0 : !kern.buffer<16>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %z = kern.buffer 24 : !kern.buffer<8>
    %y = kern.buffer 32 : !kern.buffer<8>
    %o = kern.buffer 40 : !kern.buffer<8>
    kern.conv1d %xbc, @w, @w state @ssm0 -> %xbc : !kern.buffer<16> -> !kern.buffer<16>
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @w A_log @w D @w state @ssm1 heads 2 groups 1 d_state 4 -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
    kern.gated_rms_norm %y, %z, @w group 4 -> %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.conv1d %xbc, @w, @w state @ssm0 -> %xbc : !kern.buffer<16> -> !kern.buffer<16>
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @w A_log @w D @w state @ssm0 heads 2 groups 1 d_state 4 -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
    kern.gated_rms_norm %y, %z, @w group 4 -> %o : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
  }
}

// -----

// A norm group over two heads (8 channels, heads of 4) would straddle the
// fused kernel's blocks, one per head: the ops stay.
// CHECK-LABEL: kern.program @norm_across_heads
// CHECK: kern.conv1d
// CHECK-NEXT: kern.ssm_scan
// CHECK-NEXT: kern.gated_rms_norm
// CHECK-NOT: kern.mamba_step
kern.program @norm_across_heads config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @w 0 "w" : tensor<8xbf16>
  kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %xbc = kern.buffer 0 : !kern.buffer<16>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %z = kern.buffer 24 : !kern.buffer<8>
    %y = kern.buffer 32 : !kern.buffer<8>
    kern.conv1d %xbc, @w, @w state @ssm0 -> %xbc : !kern.buffer<16> -> !kern.buffer<16>
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @w A_log @w D @w state @ssm0 heads 2 groups 1 d_state 4 -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
    kern.gated_rms_norm %y, %z, @w group 8 -> %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
  }
}
