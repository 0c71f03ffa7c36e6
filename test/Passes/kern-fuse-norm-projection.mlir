// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-add-rms-norm --kern-fuse-mamba-step --kern-fuse-linear-swiglu --kern-fuse-projections --kern-fuse-norm-projection 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %s -split-input-file --kern-fuse-norm-projection | FileCheck %s
// RUN: ml-opt %s -split-input-file --kern-fuse-norm-projection | ml-opt -split-input-file --kern-fuse-norm-projection -o /dev/null

// Tests that in step entries each RMSNorm becomes the `norm` of the
// projection after it (linear, linear_swiglu, lm_head) and each residual add
// before a norm moves into the linear that made its operand (`accumulate`
// into the residual), with the freed buffers dropped; that prefill keeps its
// norms; and that the ops stay when the norm's output or the linear's
// output is read later, or the linear reads the residual it would write.

// HYBRID-LABEL: kern.entry @prefill {
// HYBRID: kern.rms_norm
// HYBRID: kern.add_rms_norm
// HYBRID-LABEL: kern.entry @decode step {
// HYBRID-NEXT: %[[H:.+]] = kern.buffer 0 : !kern.buffer<64>
// HYBRID-NEXT: kern.embed @w0 -> %[[H]]
// HYBRID: kern.linear %[[H]] norm @w1 eps 1.000000e-05, [@w4, @w3, @w2, @w10, @w11] -> 
// HYBRID: kern.mamba_step
// HYBRID: kern.linear %{{.+}}, [@w5] accumulate -> %[[H]] :
// HYBRID-NEXT: = kern.buffer
// HYBRID-NEXT: kern.linear_swiglu %[[H]] norm @w6 eps 1.000000e-05, gate @w7 up @w8
// HYBRID: kern.lm_head %[[H]] norm @w27 eps 1.000000e-05, @w28
// HYBRID-NOT: rms_norm

// CHECK-LABEL: kern.program @folds
// CHECK: kern.linear %[[A:.+]], [@o] accumulate -> %[[H:.+]] : !kern.buffer<8> -> !kern.buffer<8>
// CHECK-NEXT: %[[M:.+]] = kern.buffer 16 : !kern.buffer<16>
// CHECK-NEXT: kern.linear_swiglu %[[H]] norm @n eps 1.000000e-05, gate @g up @u -> %[[M]]
// CHECK-NOT: kern.buffer 32
kern.program @folds config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @o 0 "o" : tensor<8x8xbf16>
  kern.weight @n 1 "n" : tensor<8xbf16>
  kern.weight @g 2 "g" : tensor<16x8xbf16>
  kern.weight @u 3 "u" : tensor<16x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %h = kern.buffer 0 : !kern.buffer<8>
    %a = kern.buffer 8 : !kern.buffer<8>
    %d = kern.buffer 32 : !kern.buffer<8>
    kern.linear %a, [@o] -> %d : !kern.buffer<8> -> !kern.buffer<8>
    %x = kern.buffer 40 : !kern.buffer<8>
    kern.add_rms_norm %h, %d, @n eps 1.0e-05 -> %h, %x : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<8>
    %m = kern.buffer 16 : !kern.buffer<16>
    kern.linear_swiglu %x, gate @g up @u -> %m : !kern.buffer<8> -> !kern.buffer<16>
    kern.add %h, %m -> %h : !kern.buffer<8>, !kern.buffer<16> -> !kern.buffer<8>
  }
}

// -----

// The norm's output is read again after the projection: both stay.
// CHECK-LABEL: kern.program @read_after
// CHECK: kern.add_rms_norm
// CHECK: kern.linear_swiglu %{{.+}}, gate
kern.program @read_after config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @o 0 "o" : tensor<8x8xbf16>
  kern.weight @n 1 "n" : tensor<8xbf16>
  kern.weight @g 2 "g" : tensor<16x8xbf16>
  kern.weight @u 3 "u" : tensor<16x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %h = kern.buffer 0 : !kern.buffer<8>
    %a = kern.buffer 8 : !kern.buffer<8>
    %d = kern.buffer 32 : !kern.buffer<8>
    kern.linear %a, [@o] -> %d : !kern.buffer<8> -> !kern.buffer<8>
    %x = kern.buffer 40 : !kern.buffer<8>
    kern.add_rms_norm %h, %d, @n eps 1.0e-05 -> %h, %x : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<8>
    %m = kern.buffer 16 : !kern.buffer<16>
    kern.linear_swiglu %x, gate @g up @u -> %m : !kern.buffer<8> -> !kern.buffer<16>
    kern.add %x, %m -> %x : !kern.buffer<8>, !kern.buffer<16> -> !kern.buffer<8>
  }
}

// -----

// The linear reads the residual it would add into (other warps would read
// rows it has already updated): the add_rms_norm stays whole.
// CHECK-LABEL: kern.program @reads_residual
// CHECK: kern.linear %[[H:.+]], [@o] -> %[[D:.+]] :
// CHECK: kern.add_rms_norm %[[H]], %[[D]]
kern.program @reads_residual config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @o 0 "o" : tensor<8x8xbf16>
  kern.weight @n 1 "n" : tensor<8xbf16>
  kern.weight @q 2 "q" : tensor<8x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %h = kern.buffer 0 : !kern.buffer<8>
    %d = kern.buffer 8 : !kern.buffer<8>
    kern.linear %h, [@o] -> %d : !kern.buffer<8> -> !kern.buffer<8>
    %x = kern.buffer 16 : !kern.buffer<8>
    kern.add_rms_norm %h, %d, @n eps 1.0e-05 -> %h, %x : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<8>
    %q = kern.buffer 24 : !kern.buffer<8>
    kern.linear %x, [@q] -> %q : !kern.buffer<8> -> !kern.buffer<8>
    kern.add %h, %q -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
  }
}
