// RUN: ml-import %inputs/tiny/tiny-qwen2 -o %t.qwen2.mlir 2>&1 | FileCheck %s --check-prefix=LOG
// RUN: FileCheck %s --check-prefix=QWEN2 --input-file=%t.qwen2.mlir
// RUN: ml-import %inputs/tiny/tiny-mistral | FileCheck %s --check-prefix=MISTRAL
// RUN: ml-import %inputs/tiny/tiny-llama-sharded | FileCheck %s --check-prefix=LLAMA
// RUN: ml-opt %t.qwen2.mlir > /dev/null
// RUN: rm -rf %t.tok && cp -r %inputs/tiny/tiny-llama %t.tok
// RUN: cp %S/../../runtime/tests/Inputs/tokenizer/byte-fallback-tokenizer.json %t.tok/tokenizer.json
// RUN: ml-import %t.tok -o /dev/null 2>&1 | FileCheck %s --check-prefix=TOKENIZER

// Tests that Hugging Face directories written by transformers 5 import into
// verified llm modules: Qwen2 biases and tied embeddings, Mistral's sliding
// window on every layer, a sharded Llama store in bf16.

// LOG: warning: no tokenizer recorded: the directory has no tokenizer.json (the model still runs on token ids)
// LOG: ml-import: qwen2 (2 layers, hidden 64, 26 tensors) from {{.*}}tiny-qwen2 in
// TOKENIZER: warning: no tokenizer recorded: {{.*}}tokenizer.json has 1200 tokens but the model's vocabulary has 256

// QWEN2: llm.model @"tiny-qwen2" config <arch = qwen2, vocab = 256, hidden = 64, intermediate = 128, layers = 2, heads = 4, kv_heads = 2, head_dim = 16, max_position = 256, rope_theta = 1000000.0, rms_eps = 1.0e-05, tie_embeddings = true, bos = 1, eos = [2]>
// QWEN2-SAME: weights "{{.*}}test/Inputs/tiny/tiny-qwen2"
// QWEN2: %[[EMB:.+]] = llm.weight "model.embed_tokens.weight" : tensor<256x64xf32>
// QWEN2: llm.attention %{{.+}} layer 0 q %l0_q_proj k %l0_k_proj v %l0_v_proj o %l0_o_proj q_bias %l0_q_proj_bias k_bias %l0_k_proj_bias v_bias %l0_v_proj_bias :
// QWEN2: llm.attention %{{.+}} layer 1
// QWEN2-NOT: lm_head.weight
// QWEN2: llm.lm_head %{{.+}}, %[[EMB]]

// MISTRAL: config <arch = mistral,{{.*}}sliding_window = 8, bos = 1, eos = [2]>
// MISTRAL: llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf16>
// MISTRAL: llm.attention %{{.+}} layer 0 {{.*}} sliding_window 8 :
// MISTRAL: llm.attention %{{.+}} layer 1 {{.*}} sliding_window 8 :

// LLAMA: config <arch = llama,{{.*}}rope_theta = 10000.0
// LLAMA-NOT: sliding_window
// LLAMA: llm.weight "model.layers.1.mlp.down_proj.weight" : tensor<64x128xbf16>
// LLAMA: llm.weight "lm_head.weight" : tensor<256x64xbf16>
