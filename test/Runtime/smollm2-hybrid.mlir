// REQUIRES: smollm2, numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %smollm2_gguf -o %t/smollm2.mlir 2>/dev/null
// RUN: ml-opt %t/smollm2.mlir --attn-to-mamba="ratio=0.5 variant=mamba2" -o %t/hybrid2.mlir 2>/dev/null
// RUN: ml-export %t/hybrid2.mlir -o %t/export2 2>/dev/null
// RUN: ml-compile %t/hybrid2.mlir -o %t/hybrid2.mlart 2>/dev/null
// RUN: %python %scripts/reference_hybrid.py %t/export2 --ids 1,504,3575,282,4649,314,7042,30,378,1604,3987,1479 -o %t/ref2.f32
// RUN: ml-run %t/hybrid2.mlart --tokens 1,504,3575,282,4649,314,7042,30,378,1604,3987,1479 -n 0 --logits-out %t/ours2.f32 --all-logits 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/ref2.f32 %t/ours2.f32 --vocab 49152 --atol 5e-3 | FileCheck %s
// RUN: ml-opt %t/smollm2.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" -o %t/hybrid1.mlir 2>/dev/null
// RUN: ml-export %t/hybrid1.mlir -o %t/export1 2>/dev/null
// RUN: ml-compile %t/hybrid1.mlir -o %t/hybrid1.mlart 2>/dev/null
// RUN: %python %scripts/reference_hybrid.py %t/export1 --ids 1,504,3575,282,4649,314,7042,30,378,1604,3987,1479 -o %t/ref1.f32
// RUN: ml-run %t/hybrid1.mlart --tokens 1,504,3575,282,4649,314,7042,30,378,1604,3987,1479 -n 0 --logits-out %t/ours1.f32 --all-logits 2>/dev/null
// RUN: %python %scripts/compare_logits.py %t/ref1.f32 %t/ours1.f32 --vocab 49152 --atol 5e-3 | FileCheck %s

// SmolLM2's 50% hybrids made by attn-to-mamba (Mamba-2 and Mamba-1, untrained),
// exported in MambaInLlama's layout and run by the float64 reference, against
// the runtime on the compiled module: this covers the pass, the exporter's
// layout and the plan together at full size (30 layers, 9 heads, 3 KV heads).

// CHECK: 12 rows: max |diff| {{.*}}, argmax differs in 0 rows
