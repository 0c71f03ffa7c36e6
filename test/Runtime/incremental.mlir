// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir -o %t/mistral.mlart 2>/dev/null
// RUN: ml-run %t/mistral.mlart --tokens %ids -n 0 --logits-out %t/mistral-full.f32 --all-logits 2>/dev/null
// RUN: ml-run %t/mistral.mlart --tokens %ids -n 0 --logits-out %t/mistral-step.f32 --all-logits --prefill-chunk 1 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/mistral-full.f32 %t/mistral-step.f32 --vocab 256 --atol 1e-5 | FileCheck %s
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid2.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid2.mlir -o %t/hybrid2.mlart 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens %ids -n 0 --logits-out %t/hybrid2-full.f32 --all-logits 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens %ids -n 0 --logits-out %t/hybrid2-step.f32 --all-logits --prefill-chunk 1 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens %ids -n 0 --logits-out %t/hybrid2-chunks.f32 --all-logits --prefill-chunk 7 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/hybrid2-full.f32 %t/hybrid2-step.f32 --vocab 256 --atol 1e-5 | FileCheck %s
// RUN: %python %scripts/compare_logits.py %t/hybrid2-full.f32 %t/hybrid2-chunks.f32 --vocab 256 --atol 1e-5 | FileCheck %s
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba1 -o %t/hybrid1.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid1.mlir -o %t/hybrid1.mlart 2>/dev/null
// RUN: ml-run %t/hybrid1.mlart --tokens %ids -n 0 --logits-out %t/hybrid1-full.f32 --all-logits 2>/dev/null
// RUN: ml-run %t/hybrid1.mlart --tokens %ids -n 0 --logits-out %t/hybrid1-step.f32 --all-logits --prefill-chunk 1 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/hybrid1-full.f32 %t/hybrid1-step.f32 --vocab 256 --atol 1e-5 | FileCheck %s
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-opt %t/llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba2" -o %t/converted.mlir 2>/dev/null
// RUN: ml-compile %t/converted.mlir -o %t/converted.mlart 2>/dev/null
// RUN: ml-run %t/converted.mlart --tokens %ids -n 0 --logits-out %t/converted-full.f32 --all-logits 2>/dev/null
// RUN: ml-run %t/converted.mlart --tokens %ids -n 0 --logits-out %t/converted-step.f32 --all-logits --prefill-chunk 3 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/converted-full.f32 %t/converted-step.f32 --vocab 256 --atol 1e-5 | FileCheck %s

// paper_spec.md section 7 item 6: one pass over the sequence gives the same
// logits at every position as a prefix followed by token-by-token decoding
// (--prefill-chunk 1 runs the @decode entry for each token) or by chunks,
// through attention KV caches (with a sliding window shorter than the
// sequence), Mamba-2 and Mamba-1 conv and SSM states, and a hybrid made by
// attn-to-mamba.

// CHECK: 20 rows: max |diff| {{.*}}, argmax differs in 0 rows
