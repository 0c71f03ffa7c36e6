// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-bf16-prefill-inputs 2>/dev/null | FileCheck %s
// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-bf16-prefill-inputs 2>/dev/null | ml-opt --kern-bf16-prefill-inputs -o /dev/null
// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern --kern-fuse-projections --kern-bf16-prefill-inputs 2>/dev/null | FileCheck %s --check-prefix=FUSED

// Tests that every projection, LM head, attention and Mamba-2 scan of
// @prefill rounds its activations to bf16 (bf16_inputs), and that the
// decode step keeps f32 activations, fused or not. Other ops (the Mamba
// layer's conv, norms) are unchanged.

// CHECK-LABEL: kern.entry @prefill {
// CHECK: kern.linear %{{.+}}, [@w4, @w3, @w2] bf16_inputs ->
// CHECK: kern.conv1d
// CHECK-NOT: bf16_inputs
// CHECK: kern.ssm_scan mamba2 {{.*}} d_state {{[0-9]+}} bf16_inputs ->
// CHECK: kern.linear %{{.+}}, [@w5] bf16_inputs ->
// CHECK: kern.attention {{.*}} heads 4 bf16_inputs ->
// CHECK: kern.linear %{{.+}}, [@w22] bf16_inputs ->
// CHECK: kern.lm_head %{{.+}}, @w28 bf16_inputs :
// CHECK-LABEL: kern.entry @decode step {
// CHECK-NOT: bf16_inputs
// CHECK: kern.lm_head
// CHECK-NOT: bf16_inputs

// FUSED-LABEL: kern.entry @decode step {
// FUSED: kern.linear %{{.+}}, [@{{.+}}, @{{.+}}, @{{.+}}] -> %{{.+}}, %{{.+}}, %{{.+}} :
// FUSED-NOT: bf16_inputs
