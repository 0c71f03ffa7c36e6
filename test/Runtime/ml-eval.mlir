// REQUIRES: smollm2
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %smollm2_gguf -o %t/smollm2.mlir 2>/dev/null
// RUN: ml-compile %t/smollm2.mlir -o %t/smollm2.mlart 2>/dev/null
// RUN: ml-eval %t/smollm2.mlart --data %inputs/corpus/small.jsonl.xz --teacher %t/smollm2.mlart 2>%t/progress.txt | FileCheck %s --check-prefix=SELF
// RUN: FileCheck %s --check-prefix=PROGRESS --input-file=%t/progress.txt
// RUN: ml-eval %t/smollm2.mlart --data %inputs/corpus/small.jsonl --ctx 16 2>/dev/null | FileCheck %s --check-prefix=WINDOWS
// RUN: ml-opt %t/smollm2.mlir --attn-to-mamba=ratio=0.5 -o %t/hybrid.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid.mlir -o %t/hybrid.mlart 2>/dev/null
// RUN: ml-eval %t/hybrid.mlart --data %inputs/corpus/small.jsonl --teacher %t/smollm2.mlart --max-tokens 40 2>/dev/null | FileCheck %s --check-prefix=HYBRID
// RUN: not ml-eval %t/smollm2.mlart --data %inputs/corpus/bad-field.jsonl 2>&1 | FileCheck %s --check-prefix=FIELD
// RUN: not ml-eval %t/smollm2.mlart --data %t/missing.jsonl 2>&1 | FileCheck %s --check-prefix=MISSING

// Tests ml-eval on SmolLM2: a model scored against itself has KL 0 and
// agrees on every top-1 token; shorter windows score fewer tokens (each
// window's first token has no context); an untrained 50% Mamba-2 hybrid
// (attention-initialised, before distillation) is far from its teacher.

// SELF: documents: 3, tokens scored: [[N:[0-9]+]], window 512
// SELF: perplexity: {{[0-9.]+}}
// SELF: teacher: mean KL 0.00000 nats/token, top-1 agreement 100.00%
// PROGRESS: [##############################] {{[0-9]+}}/{{[0-9]+}} tokens, ppl
// WINDOWS: documents: 3, tokens scored: {{[0-9]+}}, window 16
// HYBRID: tokens scored: 40
// HYBRID: teacher: mean KL {{[1-9][0-9.]*}} nats/token
// FIELD: ml-eval: error: {{.*}}bad-field.jsonl:2: expected a string field "text"
// MISSING: ml-eval: error: {{.*}}missing.jsonl
