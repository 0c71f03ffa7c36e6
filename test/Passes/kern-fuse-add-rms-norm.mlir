// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-add-rms-norm 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %s -split-input-file --kern-fuse-add-rms-norm | FileCheck %s
// RUN: ml-opt %s -split-input-file --kern-fuse-add-rms-norm | ml-opt -split-input-file --kern-fuse-add-rms-norm -o /dev/null

// Tests that each residual add and the RMSNorm that reads its sum become one
// kern.add_rms_norm (twice per layer, in both entries; the first norm reads
// the embedding and stays), that a norm output planned on the add's dying
// operand becomes that buffer, and that the result verifies and parses.

// HYBRID-LABEL: kern.entry @prefill {
// HYBRID: kern.embed @w0 -> %[[H:.+]] :
// HYBRID-NEXT: %{{.+}} = kern.buffer
// HYBRID-NEXT: kern.rms_norm %[[H]], @w1
// HYBRID-NOT: kern.add %
// HYBRID-NOT: kern.entry
// HYBRID: kern.add_rms_norm %[[H]], %{{.+}}, @w18 eps 1.000000e-05 -> %[[H]], %{{.+}} :
// HYBRID-NOT: kern.add %
// HYBRID-NOT: kern.entry
// HYBRID: kern.add_rms_norm %[[H]], %{{.+}}, @w27 eps 1.000000e-05 -> %[[H]], %[[H]] :
// HYBRID-NEXT: kern.lm_head %[[H]], @w28
// HYBRID-LABEL: kern.entry @decode step {
// HYBRID-COUNT-4: kern.add_rms_norm
// HYBRID-NOT: kern.add %
// HYBRID-NOT: kern.rms_norm

// CHECK-LABEL: kern.program @merged
// CHECK: %[[H:.+]] = kern.buffer 0 : !kern.buffer<8>
// CHECK: %[[D:.+]] = kern.buffer 8 : !kern.buffer<8>
// CHECK-NOT: kern.buffer
// CHECK: kern.add_rms_norm %[[H]], %[[D]], @n eps 1.000000e-05 -> %[[H]], %[[D]] : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<8>
// CHECK-NEXT: kern.swiglu %[[D]], %[[D]] -> %[[D]]
kern.program @merged config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @n 0 "n" : tensor<8xbf16>
  kern.entry @prefill {
    %h = kern.buffer 0 : !kern.buffer<8>
    %d = kern.buffer 8 : !kern.buffer<8>
    kern.add %h, %d -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    %y = kern.buffer 8 : !kern.buffer<8>
    kern.rms_norm %h, @n eps 1.0e-05 -> %y : !kern.buffer<8> -> !kern.buffer<8>
    kern.swiglu %y, %y -> %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// A norm of another buffer, or with an op in between, stays unfused.
// CHECK-LABEL: kern.program @unrelated
// CHECK: kern.add %
// CHECK-NEXT: kern.rms_norm
// CHECK: kern.add %
// CHECK-NEXT: kern.swiglu
// CHECK-NEXT: kern.rms_norm
// CHECK-NOT: kern.add_rms_norm
kern.program @unrelated config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @n 0 "n" : tensor<8xbf16>
  kern.entry @prefill {
    %h = kern.buffer 0 : !kern.buffer<8>
    %d = kern.buffer 8 : !kern.buffer<8>
    %y = kern.buffer 16 : !kern.buffer<8>
    kern.add %h, %d -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.rms_norm %d, @n eps 1.0e-05 -> %y : !kern.buffer<8> -> !kern.buffer<8>
    kern.add %h, %y -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.swiglu %d, %d -> %d : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.rms_norm %h, @n eps 1.0e-05 -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// A norm output over part of the add's operand would be written before the
// operand is read whole: kept apart.
// CHECK-LABEL: kern.program @partial
// CHECK: kern.add %
// CHECK-NEXT: kern.buffer 12
// CHECK-NEXT: kern.rms_norm
kern.program @partial config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @n 0 "n" : tensor<8xbf16>
  kern.entry @prefill {
    %h = kern.buffer 0 : !kern.buffer<8>
    %d = kern.buffer 8 : !kern.buffer<8>
    kern.add %h, %d -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    %y = kern.buffer 12 : !kern.buffer<8>
    kern.rms_norm %h, @n eps 1.0e-05 -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}
