// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-linear-swiglu 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %s -split-input-file --kern-fuse-linear-swiglu | FileCheck %s
// RUN: ml-opt %s -split-input-file --kern-fuse-linear-swiglu | ml-opt -split-input-file --kern-fuse-linear-swiglu -o /dev/null

// Tests that in step entries an MLP's gate and up linears and the SwiGLU of
// their outputs become one kern.linear_swiglu (the projections' buffers
// dropped), in either order of the linears; that prefill keeps its ops; and
// that the ops stay when a projection is read after the SwiGLU or the
// output shares floats with the input.

// HYBRID-LABEL: kern.entry @prefill {
// HYBRID: kern.swiglu
// HYBRID-LABEL: kern.entry @decode step {
// HYBRID: kern.linear_swiglu %{{.+}}, gate @w7 up @w8 -> %[[H:.+]] : !kern.buffer<64> -> !kern.buffer<128>
// HYBRID-NEXT: = kern.buffer
// HYBRID-NEXT: kern.linear %[[H]], [@w9]
// HYBRID: kern.linear_swiglu %{{.+}}, gate @w24 up @w25
// HYBRID-NOT: kern.swiglu

// CHECK-LABEL: kern.program @up_first
// CHECK: %[[X:.+]] = kern.buffer 0 : !kern.buffer<8>
// CHECK-NEXT: %[[G:.+]] = kern.buffer 8 : !kern.buffer<16>
// CHECK-NEXT: kern.linear_swiglu %[[X]], gate @gate up @up -> %[[G]] : !kern.buffer<8> -> !kern.buffer<16>
// CHECK-NOT: kern.buffer 24
kern.program @up_first config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @gate 0 "gate" : tensor<16x8xbf16>
  kern.weight @up 1 "up" : tensor<16x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %g = kern.buffer 8 : !kern.buffer<16>
    %u = kern.buffer 24 : !kern.buffer<16>
    kern.linear %x, [@up] -> %u : !kern.buffer<8> -> !kern.buffer<16>
    kern.linear %x, [@gate] -> %g : !kern.buffer<8> -> !kern.buffer<16>
    kern.swiglu %g, %u -> %g : !kern.buffer<16>, !kern.buffer<16> -> !kern.buffer<16>
  }
}

// -----

// CHECK-LABEL: kern.program @read_after
// CHECK: kern.swiglu
// CHECK-NOT: kern.linear_swiglu
kern.program @read_after config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @gate 0 "gate" : tensor<16x8xbf16>
  kern.weight @up 1 "up" : tensor<16x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %g = kern.buffer 8 : !kern.buffer<16>
    %u = kern.buffer 24 : !kern.buffer<16>
    kern.linear %x, [@gate] -> %g : !kern.buffer<8> -> !kern.buffer<16>
    kern.linear %x, [@up] -> %u : !kern.buffer<8> -> !kern.buffer<16>
    kern.swiglu %g, %u -> %g : !kern.buffer<16>, !kern.buffer<16> -> !kern.buffer<16>
    kern.add %g, %u -> %g : !kern.buffer<16>, !kern.buffer<16> -> !kern.buffer<16>
  }
}

// -----

// The SwiGLU writes over the input, which died at the up projection: one
// GEMV would overwrite x while other warps still read it.
// CHECK-LABEL: kern.program @over_input
// CHECK: kern.swiglu
// CHECK-NOT: kern.linear_swiglu
kern.program @over_input config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @gate 0 "gate" : tensor<16x8xbf16>
  kern.weight @up 1 "up" : tensor<16x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %g = kern.buffer 16 : !kern.buffer<16>
    %u = kern.buffer 32 : !kern.buffer<16>
    kern.linear %x, [@gate] -> %g : !kern.buffer<8> -> !kern.buffer<16>
    kern.linear %x, [@up] -> %u : !kern.buffer<8> -> !kern.buffer<16>
    %o = kern.buffer 0 : !kern.buffer<16>
    kern.swiglu %g, %u -> %o : !kern.buffer<16>, !kern.buffer<16> -> !kern.buffer<16>
  }
}
