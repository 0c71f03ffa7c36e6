// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-projections 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %s -split-input-file --kern-fuse-projections | FileCheck %s
// RUN: ml-opt %s -split-input-file --kern-fuse-projections | ml-opt -split-input-file --kern-fuse-projections -o /dev/null

// Tests that in step entries consecutive linears of one input become one
// kern.linear with their weights in order and one output each (a Mamba-2
// layer's [x|B|C], z and dt; an attention layer's q, k and v), where the
// last of them ran; that prefill keeps its linears; that linears of other
// inputs, or with and without biases, stay apart; and that the result
// verifies and parses.

// HYBRID-LABEL: kern.entry @prefill {
// HYBRID: kern.linear %[[X:.+]], [@w4, @w3, @w2] -> %{{.+}} : !kern.buffer<64> -> !kern.buffer<128>
// HYBRID-NEXT: = kern.buffer
// HYBRID-NEXT: kern.linear %[[X]], [@w10]
// HYBRID-LABEL: kern.entry @decode step {
// HYBRID: kern.linear %[[X:.+]], [@w4, @w3, @w2, @w10, @w11] -> %[[XBC:.+]], %[[Z:.+]], %[[DT:.+]] : !kern.buffer<64> -> !kern.buffer<128>, !kern.buffer<64>, !kern.buffer<4>
// HYBRID-NEXT: kern.conv1d %[[XBC]]
// HYBRID: kern.linear %[[H:.+]], [@w19, @w20, @w21] -> %[[Q:.+]], %[[K:.+]], %[[V:.+]] : !kern.buffer<64> -> !kern.buffer<64>, !kern.buffer<32>, !kern.buffer<32>
// HYBRID-NEXT: kern.rope %[[Q]], %[[K]]
// The MLP's gate and up stay for kern-fuse-linear-swiglu, which runs first
// in ml-compile; here they merge like any other pair.
// HYBRID: kern.linear %{{.+}}, [@w24, @w25] -> %[[G:.+]], %[[U:.+]] :
// HYBRID-NEXT: kern.swiglu %[[G]], %[[U]]

// CHECK-LABEL: kern.program @biases
// Biased q/k merge; the unbiased linear after them and the linear of
// another input stay.
// CHECK: kern.linear %[[X:.+]], [@q, @k] bias [@bq, @bk] -> %[[Q:.+]], %[[K:.+]] : !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<4>
// CHECK-NEXT: = kern.buffer 24
// CHECK-NEXT: kern.linear %[[X]], [@o] -> %{{.+}} : !kern.buffer<8> -> !kern.buffer<8>
// CHECK-NEXT: = kern.buffer 32
// CHECK-NEXT: kern.linear %[[Q]], [@o] -> %{{.+}} : !kern.buffer<8> -> !kern.buffer<8>
kern.program @biases config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @q 0 "q" : tensor<8x8xbf16>
  kern.weight @k 1 "k" : tensor<4x8xbf16>
  kern.weight @o 2 "o" : tensor<8x8xbf16>
  kern.weight @bq 3 "bq" : tensor<8xbf16>
  kern.weight @bk 4 "bk" : tensor<4xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %q = kern.buffer 8 : !kern.buffer<8>
    kern.linear %x, [@q] bias [@bq] -> %q : !kern.buffer<8> -> !kern.buffer<8>
    %k = kern.buffer 16 : !kern.buffer<4>
    kern.linear %x, [@k] bias [@bk] -> %k : !kern.buffer<8> -> !kern.buffer<4>
    %y = kern.buffer 24 : !kern.buffer<8>
    kern.linear %x, [@o] -> %y : !kern.buffer<8> -> !kern.buffer<8>
    %z = kern.buffer 32 : !kern.buffer<8>
    kern.linear %q, [@o] -> %z : !kern.buffer<8> -> !kern.buffer<8>
    kern.add %y, %k -> %y : !kern.buffer<8>, !kern.buffer<4> -> !kern.buffer<8>
    kern.add %z, %y -> %z : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
  }
}
