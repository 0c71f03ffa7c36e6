// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-export %S/Inputs/init-only.mlir -o %t/a
// RUN: ml-export %S/Inputs/init-only.mlir -o %t/b
// RUN: ml-weights diff %t/a %t/b
// RUN: ml-weights list %t/a --sha256 > %t/list.txt
// RUN: %python -c "import hashlib, struct; print('NORM_SHA', hashlib.sha256(struct.pack('<8f', *[0.5] * 8)).hexdigest())" >> %t/list.txt
// RUN: FileCheck %s --input-file=%t/list.txt
// RUN: ml-import %t/a | FileCheck %s --check-prefix=REIMPORT

// Tests that weights created by init rules are materialised on export,
// deterministically (two exports are bit-identical), with the value a rule
// defines (the constant norm's digest is computed independently by Python).

// CHECK-DAG: model.embed_tokens.weight BF16 [32,8] 512
// CHECK-DAG: model.layers.0.input_layernorm.weight F32 [8] 32 [[SHA:[0-9a-f]+]]
// CHECK-DAG: model.layers.0.mlp.down_proj.weight BF16 [8,16] 256
// CHECK: NORM_SHA [[SHA]]

// REIMPORT: tie_embeddings = true
// REIMPORT-NOT: init <
// REIMPORT: llm.lm_head
