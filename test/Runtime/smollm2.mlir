// REQUIRES: smollm2
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %smollm2_gguf -o %t/smollm2.mlir 2>/dev/null
// RUN: ml-compile %t/smollm2.mlir -o %t/smollm2.mlart 2>/dev/null
// RUN: %python %scripts/check_smollm2.py --ml-run ml-run --artifact %t/smollm2.mlart | FileCheck %s
// RUN: ml-run %t/smollm2.mlart -p "What is 12 times 7?" -n 8 2>&1 | FileCheck %s --check-prefix=CHAT

// SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised to f32) against
// transformers reading the same GGUF in fp32: logits at transformers' top-20
// ids for every prompt position, the whole last-position logits, and 32
// greedy tokens on three prompts (the third in the chat template).

// CHECK: case 0: 5 prompt tokens, {{.*}} top-1 5/5, greedy 30 tokens identical
// CHECK: case 1: 7 prompt tokens, {{.*}} top-1 7/7, greedy 32 tokens identical
// CHECK: case 2: 39 prompt tokens, {{.*}} top-1 39/39, greedy 32 tokens identical

// A text prompt goes through the chat template and the report follows.
// CHAT: 12 times 7
// CHAT: ml-run: {{.*}} on cpu
// CHAT: prompt: {{ *}}39 tokens
// CHAT: memory: weights {{.*}} MiB, KV cache 45.0 KiB/token
