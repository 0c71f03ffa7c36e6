// RUN: ml-opt %s -split-input-file -verify-diagnostics

// Tests that a buffer must lie inside the arena.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 16 {
  kern.entry @prefill {
    // expected-error @+1 {{'kern.buffer' op occupies floats [12, 20) per token, outside the arena of 16}}
    %h = kern.buffer 12 : !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that a GEMM writes as many columns as its weights have rows.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @q 0 "q" : tensor<8x8xbf16>
  kern.weight @k 1 "k" : tensor<4x8xbf16>
  kern.entry @prefill {
    %x = kern.buffer 0 : !kern.buffer<8>
    %y = kern.buffer 8 : !kern.buffer<16>
    // expected-error @+1 {{'kern.linear' op writes 16 columns to output 0 but its weights have 12 rows}}
    kern.linear %x, [@q, @k] -> %y : !kern.buffer<8> -> !kern.buffer<16>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that the weights of a linear with several outputs fill each one
// exactly, in order (q's 8 rows overflow a 4-wide first output).
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @q 0 "q" : tensor<8x8xbf16>
  kern.weight @k 1 "k" : tensor<4x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %a = kern.buffer 8 : !kern.buffer<4>
    %b = kern.buffer 12 : !kern.buffer<8>
    // expected-error @+1 {{'kern.linear' op writes 4 columns to output 0 but its weights have 8 rows}}
    kern.linear %x, [@q, @k] -> %a, %b : !kern.buffer<8> -> !kern.buffer<4>, !kern.buffer<8>
  }
}

// -----

// Tests that linear_swiglu's gate and up map its input to its output.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @gate 0 "gate" : tensor<16x8xbf16>
  kern.weight @up 1 "up" : tensor<8x8xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %h = kern.buffer 8 : !kern.buffer<16>
    // expected-error @+1 {{'kern.linear_swiglu' op maps 8 columns to 16 but weight @up is 'tensor<8x8xbf16>'}}
    kern.linear_swiglu %x, gate @gate up @up -> %h : !kern.buffer<8> -> !kern.buffer<16>
  }
}

// -----

// Tests that a projection's input norm has one weight per input column.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @q 0 "q" : tensor<8x8xbf16>
  kern.weight @n 1 "n" : tensor<4xbf16>
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %x = kern.buffer 0 : !kern.buffer<8>
    %y = kern.buffer 8 : !kern.buffer<8>
    // expected-error @+1 {{'kern.linear' op normalises 8 columns but its norm weight is 'tensor<4xbf16>'}}
    kern.linear %x norm @n eps 1.0e-05, [@q] -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
}

// -----

// Tests that a GEMM reads as many columns as its weights have.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @down 0 "down" : tensor<8x16xbf16>
  kern.entry @prefill {
    %x = kern.buffer 0 : !kern.buffer<8>
    %y = kern.buffer 8 : !kern.buffer<8>
    // expected-error @+1 {{'kern.linear' op reads 8 columns but weight @down is 'tensor<8x16xbf16>'}}
    kern.linear %x, [@down] -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that biases pair with weights.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @q 0 "q" : tensor<8x8xbf16>
  kern.weight @qb 1 "qb" : tensor<8xbf16>
  kern.entry @prefill {
    %x = kern.buffer 0 : !kern.buffer<8>
    %y = kern.buffer 8 : !kern.buffer<8>
    // expected-error @+1 {{'kern.linear' op has 2 biases for 1 weights}}
    kern.linear %x, [@q] bias [@qb, @qb] -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that a GEMM names weights.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.kv_cache @kv0 layer 0 kv_heads 1 head_dim 4
  kern.entry @prefill {
    %x = kern.buffer 0 : !kern.buffer<8>
    %y = kern.buffer 8 : !kern.buffer<8>
    // expected-error @+1 {{'kern.linear' op names @kv0, which is not a kern.weight}}
    kern.linear %x, [@kv0] -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that a plan has both entries.
// expected-error @+1 {{'kern.program' op expects an entry @decode}}
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.entry @prefill {
  }
}

// -----

// Tests that buffers have a width.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.entry @prefill {
    // expected-error @+1 {{expects a positive buffer width, found 0}}
    %x = kern.buffer 0 : !kern.buffer<0>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that buffers live at the same time do not overlap.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @q 0 "q" : tensor<8x8xbf16>
  kern.entry @prefill {
    // expected-note @+1 {{the other buffer}}
    %x = kern.buffer 0 : !kern.buffer<8>
    // expected-error @+1 {{'kern.buffer' op overlaps a buffer that is live at the same time (floats [0, 8) and [4, 12) per token)}}
    %y = kern.buffer 4 : !kern.buffer<8>
    kern.linear %x, [@q] -> %y : !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that repeat_groups maps widths consistently.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.entry @prefill {
    %x = kern.buffer 0 : !kern.buffer<4>
    %y = kern.buffer 8 : !kern.buffer<6>
    // expected-error @+1 {{'kern.repeat_groups' op repeats groups of 2 channels 2 times, which maps 4 channels to 8, not 6}}
    kern.repeat_groups %x group 2 times 2 -> %y : !kern.buffer<4> -> !kern.buffer<6>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that only Mamba-1 scans take a separate [B | C] buffer.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @a 0 "a" : tensor<2xf32>
  kern.mamba_state @s layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
    %xbc = kern.buffer 0 : !kern.buffer<16>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %y = kern.buffer 24 : !kern.buffer<8>
    // expected-error @+1 {{'kern.ssm_scan' op of a Mamba-1 layer expects [B | C] in a separate bc buffer}}
    kern.ssm_scan mamba1 %xbc, %dt dt_bias @a A_log @a D @a state @s heads 2 groups 1 d_state 4 -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that only a Mamba-2 scan of a prefill entry rounds its inputs to
// bf16 (kern-bf16-prefill-inputs).
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @a 0 "a" : tensor<2xf32>
  kern.mamba_state @s layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
    %x = kern.buffer 0 : !kern.buffer<8>
    %bc = kern.buffer 8 : !kern.buffer<12>
    %dt = kern.buffer 20 : !kern.buffer<8>
    %y = kern.buffer 28 : !kern.buffer<8>
    // expected-error @+1 {{'kern.ssm_scan' op rounds x, B and C to bf16 (bf16_inputs) only in a Mamba-2 prefill scan; this is a Mamba-1 scan}}
    kern.ssm_scan mamba1 %x bc %bc : !kern.buffer<12>, %dt dt_bias @a A_log @a D @a state @s heads 2 groups 1 d_state 4 bf16_inputs -> %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
  }
  kern.entry @decode step {
  }
}

// -----

kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @a 0 "a" : tensor<2xf32>
  kern.mamba_state @s layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %xbc = kern.buffer 0 : !kern.buffer<16>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %y = kern.buffer 24 : !kern.buffer<8>
    // expected-error @+1 {{'kern.ssm_scan' op rounds x, B and C to bf16 (bf16_inputs) only in a Mamba-2 prefill scan; this is in the step entry @decode}}
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @a A_log @a D @a state @s heads 2 groups 1 d_state 4 bf16_inputs -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
  }
}

// -----

// Tests that a fused add + norm reads and writes rows of one width.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 32 {
  kern.weight @n 0 "n" : tensor<8xbf16>
  kern.entry @prefill {
    %h = kern.buffer 0 : !kern.buffer<8>
    %m = kern.buffer 8 : !kern.buffer<8>
    %y = kern.buffer 16 : !kern.buffer<16>
    // expected-error @+1 {{'kern.add_rms_norm' op expects out of width 8 (the width of lhs) but found 16}}
    kern.add_rms_norm %h, %m, @n eps 1.0e-05 -> %h, %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<16>
  }
  kern.entry @decode step {
  }
}

// -----

// Tests that a fused Mamba step's [x|B|C] matches its heads, groups and d_state.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @w 0 "w" : tensor<8xbf16>
  kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %xbc = kern.buffer 0 : !kern.buffer<12>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %z = kern.buffer 24 : !kern.buffer<8>
    %y = kern.buffer 32 : !kern.buffer<8>
    // expected-error @+1 {{'kern.mamba_step' op expects [x|B|C] of width 16 (1 groups x 4 + 1 groups x d_state 4 + 2 heads x d_state 4) but found 12}}
    kern.mamba_step %xbc, %dt, %z conv @w, @w dt_bias @w A_log @w D @w norm @w state @ssm0 heads 2 groups 1 d_state 4 group 4 -> %y : !kern.buffer<12>, !kern.buffer<2>, !kern.buffer<8> -> !kern.buffer<8>
  }
}

// -----

// Tests that a fused Mamba step's norm groups tile its output.
kern.program @p config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> arena 64 {
  kern.weight @w 0 "w" : tensor<8xbf16>
  kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
  }
  kern.entry @decode step {
    %xbc = kern.buffer 0 : !kern.buffer<16>
    %dt = kern.buffer 16 : !kern.buffer<2>
    %z = kern.buffer 24 : !kern.buffer<8>
    %y = kern.buffer 32 : !kern.buffer<8>
    // expected-error @+1 {{'kern.mamba_step' op expects a norm group that divides the output width 8 but found 3}}
    kern.mamba_step %xbc, %dt, %z conv @w, @w dt_bias @w A_log @w D @w norm @w state @ssm0 heads 2 groups 1 d_state 4 group 3 -> %y : !kern.buffer<16>, !kern.buffer<2>, !kern.buffer<8> -> !kern.buffer<8>
  }
}
