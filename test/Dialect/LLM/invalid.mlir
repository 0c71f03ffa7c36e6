// RUN: ml-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

// Tests that sizes must be positive.
// expected-error @+1 {{expects hidden to be positive, found 0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 0, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that query heads must split evenly over key/value heads.
// expected-error @+1 {{expects heads (3) to be a multiple of kv_heads (2)}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 3, kv_heads = 2, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that rope_theta must be positive.
// expected-error @+1 {{expects rope_theta to be a positive number, found -1.0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = -1.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that rms_eps must be positive.
// expected-error @+1 {{expects rms_eps to be a positive number, found 0.0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 0.0> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the sliding window must be positive.
// expected-error @+1 {{expects sliding_window to be positive, found 0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, sliding_window = 0> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that bos must be a token of the vocabulary.
// expected-error @+1 {{expects bos token id 32 to be in [0, vocab = 32)}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, bos = 32> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that eos ids must be tokens of the vocabulary.
// expected-error @+1 {{expects eos token id 40 to be in [0, vocab = 32)}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, eos = [2, 40]> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the RoPE scaling factor must be positive.
// expected-error @+1 {{expects a positive RoPE scaling factor, found 0.0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, rope_scaling = <kind = linear, factor = 0.0>> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that llama3 RoPE scaling needs its original context length.
// expected-error @+1 {{expects 'llama3' RoPE scaling to give a positive original_max_position}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, rope_scaling = <kind = llama3, factor = 8.0>> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that llama3 RoPE scaling orders its frequency factors.
// expected-error @+1 {{expects llama3 RoPE scaling with 0 < low_freq_factor < high_freq_factor, found 4.0 and 1.0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, rope_scaling = <kind = llama3, factor = 8.0, low_freq_factor = 4.0, high_freq_factor = 1.0, original_max_position = 8192>> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that yarn RoPE scaling orders its betas.
// expected-error @+1 {{expects yarn RoPE scaling with beta_fast > beta_slow, found 1.0 and 32.0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, rope_scaling = <kind = yarn, factor = 4.0, original_max_position = 4096, beta_fast = 1.0, beta_slow = 32.0>> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the yarn attention factor is not negative.
// expected-error @+1 {{expects attention_factor >= 0, found -1.0}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, rope_scaling = <kind = yarn, factor = 4.0, original_max_position = 4096, attention_factor = -1.0>> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that an init rule takes its number of parameters.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{init rule 'uniform' takes 2 parameter(s), found 1}}
  %z = llm.weight "z" init <uniform(1.0)> seed 1 : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that uniform init needs lo < hi.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{uniform init expects lo < hi, found 0.5 and -0.5}}
  %z = llm.weight "z" init <uniform(0.5, -0.5)> seed 1 : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that normal init needs a positive std.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{normal init expects a positive std, found 0.0}}
  %z = llm.weight "z" init <normal(0.0, 0.0)> seed 1 : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that log_uniform init needs 0 < lo < hi.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{log_uniform init expects 0 < lo < hi, found 0.0 and 16.0}}
  %z = llm.weight "z" init <log_uniform(0.0, 16.0)> seed 1 : tensor<2xf32>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that dt_bias init needs 0 < dt_min < dt_max and a positive floor.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{dt_bias init expects 0 < dt_min < dt_max and a positive floor, found 0.1, 0.001, 0.0001}}
  %z = llm.weight "z" init <dt_bias(0.1, 0.001, 0.0001)> seed 1 : tensor<2xf32>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a weight name is not empty.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op expects a non-empty weight name}}
  %z = llm.weight "" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a seed comes with an init rule.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op has a seed but no init rule; only weights created from an init rule use a seed}}
  %z = llm.weight "z" seed 3 : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that random init rules need a seed.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op init rule 'normal' draws random values and needs a seed}}
  %z = llm.weight "z" init <normal(0.0, 0.02)> : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that s4d_real init needs a rank-2 weight.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op init rule 's4d_real' fills A_log[d, n] = ln(n + 1) and needs a rank-2 weight, found 'tensor<8xf32>'}}
  %z = llm.weight "z" init <s4d_real> : tensor<8xf32>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that weights have static shapes.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op result #0 must be statically shaped tensor of bfloat16 type or 16-bit float or 32-bit float values, but got 'tensor<?x8xbf16>'}}
  %z = llm.weight "z" : tensor<?x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that row blocks are ordered ranges.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op expects rows [begin, end] with 0 <= begin < end}}
  %z = llm.weight "z" rows [4, 4] : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a row block has as many rows as its type.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op reads rows [0, 4) of its stored tensor but has 8 rows}}
  %z = llm.weight "z" rows [0, 4] : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a row block has no init rule.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op is a row block of a stored tensor and cannot also have an init rule}}
  %z = llm.weight "z" rows [0, 8] init <zeros> : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that row blocks of one tensor do not overlap.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-note @+1 {{first declared here}}
  %p0 = llm.weight "fused" rows [0, 8] : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op declares weight 'fused' a second time (overlapping rows)}}
  %p1 = llm.weight "fused" rows [4, 12] : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the model body takes the token ids.
// expected-error @+1 {{'llm.model' op expects its body to take one argument, the token ids (a batch x sequence tensor of i32 or i64)}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>, %extra: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the model returns logits over its vocabulary.
// expected-error @+1 {{'llm.model' op expects to return logits over the vocabulary (last dimension vocab = 32), found 'tensor<?x?x?xf32>'}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  %bad = tensor.cast %logits : tensor<?x?x32xf32> to tensor<?x?x?xf32>
  llm.return %bad : tensor<?x?x?xf32>
}

// -----

// Tests that weight names are unique.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  // expected-note @+1 {{first declared here}}
  %o0 = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.weight' op declares weight 'o' a second time}}
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that every mixer layer index is below the layer count.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.attention' op has layer index 1 outside [0, layers = 1)}}
  %a = llm.attention %h layer 1 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a layer has one mixer.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 2, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-note @+1 {{first mixer of layer 0}}
  %a0 = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  // expected-error @+1 {{'llm.attention' op is a second mixer for layer 0}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that every layer has a mixer.
// expected-error @+1 {{'llm.model' op has 1 mixer layers but its config has layers = 2; no attention or mamba op has layer 1}}
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 2, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that body ops live in a model.
func.func @outside() {
  // expected-error @+1 {{'llm.weight' op expects parent op 'llm.model'}}
  %w = llm.weight "w" : tensor<8xbf16>
  return
}

// -----

// Tests that the embedding table is vocab x hidden.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  // expected-note @+1 {{weight 'model.embed_tokens.weight' declared here}}
  %emb = llm.weight "model.embed_tokens.weight" : tensor<31x8xbf16>
  // expected-error @+1 {{'llm.embed' op expects embedding weight of shape 32x8 (vocab 32 by hidden 8) but found 31x8}}
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<31x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that embeddings have the hidden width.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  // expected-error @+1 {{'llm.embed' op expects a result of width hidden = 8, found 'tensor<?x?x6xf32>'}}
  %bad = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x6xf32>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that embeddings keep the batch and sequence of the tokens.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<2x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  // expected-error @+1 {{'llm.embed' op expects the result's batch and sequence dimensions to match the tokens 'tensor<2x?xi32>', found 'tensor<3x?x8xf32>'}}
  %bad = llm.embed %tokens, %emb : (tensor<2x?xi32>, tensor<32x8xbf16>) -> tensor<3x?x8xf32>
  %h = llm.embed %tokens, %emb : (tensor<2x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that RMSNorm reads a hidden-wide state.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %h6 = "test.source"() : () -> tensor<?x?x6xf32>
  %n = llm.weight "n" : tensor<6xbf16>
  // expected-error @+1 {{'llm.rms_norm' op expects a hidden state of width hidden = 8, found 'tensor<?x?x6xf32>'}}
  %x = llm.rms_norm %h6, %n : (tensor<?x?x6xf32>, tensor<6xbf16>) -> tensor<?x?x6xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that RMSNorm keeps the type of its input.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %n = llm.weight "n" : tensor<8xbf16>
  // expected-error @+1 {{'llm.rms_norm' op expects its result to have the input's type 'tensor<?x?x8xf32>', found 'tensor<?x?x8xf16>'}}
  %x = llm.rms_norm %h, %n : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf16>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the RMSNorm weight has the hidden size.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  // expected-note @+1 {{weight 'n' declared here}}
  %n = llm.weight "n" : tensor<16xbf16>
  // expected-error @+1 {{'llm.rms_norm' op expects norm weight of shape 8 (hidden 8) but found 16}}
  %x = llm.rms_norm %h, %n : (tensor<?x?x8xf32>, tensor<16xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the MLP down projection is hidden x intermediate.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %g = llm.weight "g" : tensor<16x8xbf16>
  %u = llm.weight "u" : tensor<16x8xbf16>
  // expected-note @+1 {{weight 'd' declared here}}
  %d = llm.weight "d" : tensor<16x8xbf16>
  // expected-error @+1 {{'llm.mlp' op expects down weight of shape 8x16 (hidden 8 by intermediate 16) but found 16x8}}
  %y = llm.mlp %h gate %g up %u down %d : (tensor<?x?x8xf32>, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<16x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the LM head weight is vocab x hidden.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  // expected-note @+1 {{weight 'lm_head.weight' declared here}}
  %head = llm.weight "lm_head.weight" : tensor<8x32xbf16>
  // expected-error @+1 {{'llm.lm_head' op expects lm_head weight of shape 32x8 (vocab 32 by hidden 8) but found 8x32}}
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<8x32xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that logits are batch x sequence x vocab.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  // expected-error @+1 {{'llm.lm_head' op expects logits of shape batch x sequence x vocab (32) matching the input 'tensor<?x?x8xf32>', found 'tensor<?x?x31xf32>'}}
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x31xf32>
  llm.return %logits : tensor<?x?x31xf32>
}

// -----

// Tests that tied embeddings share the table with the LM head.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, tie_embeddings = true> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  // expected-error @+1 {{'llm.lm_head' op expects the embedding table as its weight: the config has tie_embeddings = true}}
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that untied embeddings do not share the table.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  // expected-error @+1 {{'llm.lm_head' op uses the embedding table as its weight but the config has tie_embeddings = false}}
  %logits = llm.lm_head %a, %emb : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that layer indices are not negative.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.attention' op has layer index -1 outside [0, layers = 1)}}
  %a = llm.attention %h layer -1 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the k projection has kv_heads x head_dim rows.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  // expected-note @+1 {{weight 'k' declared here}}
  %k = llm.weight "k" : tensor<8x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.attention' op expects k weight of shape 4x8 (kv_heads 1 x head_dim 4 by hidden 8) but found 8x8}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the o projection is hidden x (heads x head_dim).
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  // expected-note @+1 {{weight 'o' declared here}}
  %o = llm.weight "o" : tensor<8x4xbf16>
  // expected-error @+1 {{'llm.attention' op expects o weight of shape 8x8 (hidden 8 by heads 2 x head_dim 4) but found 8x4}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x4xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a key bias has kv_heads x head_dim entries.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %qb = llm.weight "qb" : tensor<8xbf16>
  // expected-note @+1 {{weight 'kb' declared here}}
  %kb = llm.weight "kb" : tensor<8xbf16>
  %vb = llm.weight "vb" : tensor<4xbf16>
  // expected-error @+1 {{'llm.attention' op expects k_bias weight of shape 4 (kv_heads 1 x head_dim 4) but found 8}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o q_bias %qb k_bias %kb v_bias %vb : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>, tensor<8xbf16>, tensor<4xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that q, k and v biases come together.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %qb = llm.weight "qb" : tensor<8xbf16>
  // expected-error @+1 {{'llm.attention' op expects q, k and v biases together or none of them}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o q_bias %qb : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a sliding window needs one in the config.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.attention' op has a sliding window of 16 but the model config has no sliding_window}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o sliding_window 16 : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a layer's sliding window is the config's.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, sliding_window = 32> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "q" : tensor<8x8xbf16>
  %k = llm.weight "k" : tensor<4x8xbf16>
  %v = llm.weight "v" : tensor<4x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-error @+1 {{'llm.attention' op has a sliding window of 16 but the model config's sliding_window is 32}}
  %a = llm.attention %h layer 0 q %q k %k v %v o %o sliding_window 16 : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that Mamba layer indices are not negative.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op has layer index -2 outside [0, layers = 1)}}
  %a = llm.mamba %h layer -2 mamba2 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that d_state and groups are positive.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects positive d_state and groups, found 4 and 0}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 0 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a Mamba-2 mixer has its gated-norm weight.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op of variant mamba2 expects a 'norm' weight}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that a Mamba-1 mixer has no Mamba-2 weights.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  %dd = llm.weight "dd" : tensor<1x8xbf16>
  %dp = llm.weight "dp" : tensor<8x1xbf16>
  // expected-error @+1 {{'llm.mamba' op of variant mamba1 has no 'dt' weight (it belongs to mamba2)}}
  %a = llm.mamba %h layer 0 mamba1 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt dt_down %dd dt_proj %dp : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<1x8xbf16>, tensor<8x1xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the conv weight is channels x d_conv.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<64xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects a conv weight of rank 2 (channels x d_conv), found 'tensor<64xbf16>'}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<64xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the rows of C are whole heads of d_state.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects the rows of C (8) to be a multiple of d_state (3)}}
  %a = llm.mamba %h layer 0 mamba2 d_state 3 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that Mamba heads split evenly over groups.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<8x8xbf16>
  %b = llm.weight "b" : tensor<12x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects its heads (rows of C / d_state = 2) to be a multiple of groups (3)}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 3 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<12x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the B projection matches the group count.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  // expected-note @+1 {{weight 'b' declared here}}
  %b = llm.weight "b" : tensor<8x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects B weight of shape 4x8 (groups 1 x d_state 4 by hidden 8) but found 8x8}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the rows of x are whole groups.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<5x8xbf16>
  %b = llm.weight "b" : tensor<8x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects the rows of x (5) to be a multiple of groups (2)}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 2 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<5x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the conv spans x, B and C.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  // expected-note @+1 {{weight 'cw' declared here}}
  %cw = llm.weight "cw" : tensor<12x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  %al = llm.weight "al" : tensor<2xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects conv weight of shape 16x4 (x 4 + B 4 + C 8 channels by d_conv) but found 12x4}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<12x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that Mamba-2 dt, A_log and D are per head.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<16x4xbf16>
  %cb = llm.weight "cb" : tensor<16xbf16>
  %dtb = llm.weight "dtb" : tensor<2xf32>
  // expected-note @+1 {{weight 'al' declared here}}
  %al = llm.weight "al" : tensor<8xf32>
  %d = llm.weight "d" : tensor<2xf32>
  %dt = llm.weight "dt" : tensor<2x8xbf16>
  %nw = llm.weight "nw" : tensor<8xbf16>
  // expected-error @+1 {{'llm.mamba' op expects A_log weight of shape 2 (heads 2) but found 8}}
  %a = llm.mamba %h layer 0 mamba2 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<8xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that Mamba-1 A_log is d_inner x d_state.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<8x4xbf16>
  %cb = llm.weight "cb" : tensor<8xbf16>
  %dtb = llm.weight "dtb" : tensor<8xf32>
  // expected-note @+1 {{weight 'al' declared here}}
  %al = llm.weight "al" : tensor<8xf32>
  %d = llm.weight "d" : tensor<8xf32>
  %dd = llm.weight "dd" : tensor<1x8xbf16>
  %dp = llm.weight "dp" : tensor<8x1xbf16>
  // expected-error @+1 {{'llm.mamba' op expects A_log weight of shape 8x4 (d_inner 8 by d_state) but found 8}}
  %a = llm.mamba %h layer 0 mamba1 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt_down %dd dt_proj %dp : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x4xbf16>, tensor<8xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x8xbf16>, tensor<8x1xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests that the Mamba-1 dt projection maps dt_rank to d_inner.
llm.model @m config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %x = llm.weight "x" : tensor<4x8xbf16>
  %b = llm.weight "b" : tensor<4x8xbf16>
  %c = llm.weight "c" : tensor<8x8xbf16>
  %z = llm.weight "z" : tensor<8x8xbf16>
  %o = llm.weight "o" : tensor<8x8xbf16>
  %cw = llm.weight "cw" : tensor<8x4xbf16>
  %cb = llm.weight "cb" : tensor<8xbf16>
  %dtb = llm.weight "dtb" : tensor<8xf32>
  %al = llm.weight "al" : tensor<8xf32>
  %d = llm.weight "d" : tensor<8xf32>
  %dd = llm.weight "dd" : tensor<1x8xbf16>
  // expected-note @+1 {{weight 'dp' declared here}}
  %dp = llm.weight "dp" : tensor<8x2xbf16>
  // expected-error @+1 {{'llm.mamba' op expects dt_proj weight of shape 8x1 (d_inner 8 by dt_rank 1) but found 8x2}}
  %a = llm.mamba %h layer 0 mamba1 d_state 4 groups 1 x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d dt_down %dd dt_proj %dp : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x4xbf16>, tensor<8xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x8xbf16>, tensor<8x2xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}
