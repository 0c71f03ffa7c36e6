// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-rope-attention 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: ml-opt %s -split-input-file --kern-fuse-rope-attention | FileCheck %s
// RUN: ml-opt %s -split-input-file --kern-fuse-rope-attention | ml-opt -split-input-file --kern-fuse-rope-attention -o /dev/null

// Tests that in step entries a kern.rope followed by the attention that
// reads its q and k becomes that attention's `rope`, that prefill keeps its
// rope, and that a rope of other buffers stays.

// HYBRID-LABEL: kern.entry @prefill {
// HYBRID: kern.rope
// HYBRID-NEXT: = kern.buffer
// HYBRID-NEXT: kern.attention {{.*}} heads 4 -> 
// HYBRID-LABEL: kern.entry @decode step {
// HYBRID-NOT: kern.rope
// HYBRID: kern.attention %[[Q:.+]], %[[K:.+]], %{{.+}} cache @kv1 heads 4 rope -> 

// CHECK-LABEL: kern.program @other_buffers
// CHECK: kern.rope %[[A:.+]], %[[B:.+]] head_dim 4
// CHECK: kern.attention %{{.+}}, %{{.+}}, %{{.+}} cache @kv0 heads 2 -> 
kern.program @other_buffers config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.kv_cache @kv0 layer 0 kv_heads 1 head_dim 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %q = kern.buffer 0 : !kern.buffer<8>
    %k = kern.buffer 8 : !kern.buffer<4>
    %v = kern.buffer 12 : !kern.buffer<4>
    %q2 = kern.buffer 16 : !kern.buffer<8>
    %o = kern.buffer 24 : !kern.buffer<8>
    kern.rope %q2, %k head_dim 4 : !kern.buffer<8>, !kern.buffer<4>
    kern.attention %q, %k, %v cache @kv0 heads 2 -> %o : !kern.buffer<8>, !kern.buffer<4>, !kern.buffer<4> -> !kern.buffer<8>
  }
}
