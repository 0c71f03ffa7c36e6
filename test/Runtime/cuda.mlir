// REQUIRES: cuda
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid2.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid2.mlir --target=cuda -o %t/hybrid2.mlart 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --device cuda --tokens %ids -n 0 --logits-out %t/hybrid2.f32 --all-logits 2>/dev/null
// RUN: %python %scripts/compare_logits.py %inputs/tiny/tiny-hybrid-mamba2/golden-logits.f32 %t/hybrid2.f32 --vocab 256 --atol 1e-4 | FileCheck %s
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba1 -o %t/hybrid1.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid1.mlir --target=cuda -o %t/hybrid1.mlart 2>/dev/null
// RUN: ml-run %t/hybrid1.mlart --device cuda --tokens %ids -n 0 --logits-out %t/hybrid1.f32 --all-logits 2>/dev/null
// RUN: %python %scripts/compare_logits.py %inputs/tiny/tiny-hybrid-mamba1/golden-logits.f32 %t/hybrid1.f32 --vocab 256 --atol 1e-4 | FileCheck %s
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir --target=cuda -o %t/mistral.mlart 2>/dev/null
// RUN: ml-run %t/mistral.mlart --device cuda --tokens %ids -n 0 --logits-out %t/mistral.f32 --all-logits 2>/dev/null
// RUN: %python %scripts/compare_logits.py %inputs/tiny/tiny-mistral/golden-logits.f32 %t/mistral.f32 --vocab 256 --atol 1e-4 | FileCheck %s
// RUN: ml-run %t/mistral.mlart --device cuda --tokens %ids -n 0 --prefill-chunk 1 --logits-out %t/mistral-step.f32 --all-logits 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/mistral.f32 %t/mistral-step.f32 --vocab 256 --atol 1e-5 | FileCheck %s

// Where a GPU is present (lit feature `cuda`): the CUDA backend's logits on
// the tiny fixtures against the same goldens as the CPU backend
// (transformers for Mistral's sliding window, the float64 reference for
// the hybrids), and prefill against step-by-step decode on the GPU.

// CHECK: 20 rows: max |diff| {{.*}}, argmax differs in 0 rows
