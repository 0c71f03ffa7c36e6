// RUN: ml-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// RUN: ml-opt --help | FileCheck %s --check-prefix=HELP
// RUN: ml-opt %s -p 'builtin.module(canonicalize)' --mlir-print-ir-after-all 2>&1 | FileCheck %s --check-prefix=AFTER
// RUN: ml-opt %s --canonicalize --mlir-timing 2>&1 | FileCheck %s --check-prefix=TIMING
// RUN: ml-opt %s --canonicalize | FileCheck %s --check-prefix=CANON

// Tests that ml-opt registers the llm dialect and keeps mlir-opt's
// conventions: -p pipelines, IR dumps after each pass, pass timing.

// DIALECTS: Available Dialects:
// DIALECTS-SAME: llm
// HELP: Available Dialects: {{.*}}llm
// HELP: --mlir-print-ir-after-all
// HELP: --split-input-file
// HELP: --verify-diagnostics

// AFTER: IR Dump After Canonicalizer
// AFTER: llm.model @m

// TIMING: Execution time report
// TIMING: Canonicalizer

// Tests that canonicalization drops a weight nothing reads and keeps the rest.
// CANON-LABEL: llm.model @m
// CANON-NOT: "unused"
// CANON: llm.weight "model.embed_tokens.weight"
// CANON: llm.lm_head
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, tie_embeddings = true> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %unused = llm.weight "unused" : tensor<8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %logits = llm.lm_head %a, %emb : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}
