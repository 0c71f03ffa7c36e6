//===- LLMOps.td - llm dialect operations ------------------*- tablegen -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMOPS_TD
#define MLOPT_DIALECT_LLM_LLMOPS_TD

include "mlopt/Dialect/LLM/LLMAttrs.td"
include "mlopt/Dialect/LLM/LLMInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def LLM_Tokens : TensorRankOf<[I32, I64], [2]>;
def LLM_Hidden : TensorRankOf<[AnyFloat], [3]>;
def LLM_Logits : TensorRankOf<[AnyFloat], [3]>;
def LLM_Weight : StaticShapeTensorOf<[BF16, F16, F32]>;

class LLM_Op<string mnemonic, list<Trait> traits = []>
    : Op<LLM_Dialect, mnemonic, traits>;

// An op of a model body: its verifier reads the enclosing model's config.
class LLM_BodyOp<string mnemonic, list<Trait> traits = []>
    : LLM_Op<mnemonic, !listconcat(traits, [HasParent<"ModelOp">])>;

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def LLM_ModelOp : LLM_Op<"model", [
    IsolatedFromAbove, Symbol, SingleBlock,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "A decoder-only language model";
  let description = [{
    The whole forward pass of a model, from token ids (batch x sequence) to
    logits (batch x sequence x vocab). `config` holds the hyperparameters;
    `weights` names the weight store (safetensors files, resolved relative to
    the module's file) that `llm.weight` names index into; `tokenizer` names
    where its tokenizer comes from (a tokenizer.json or a GGUF file).

    ```mlir
    llm.model @tiny config <arch = llama, vocab = 256, ...> weights "tiny.safetensors" {
    ^bb0(%tokens: tensor<?x?xi32>):
      ...
      llm.return %logits : tensor<?x?x256xf32>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, LLM_ConfigAttr:$config,
                       OptionalAttr<StrAttr>:$weights,
                       OptionalAttr<StrAttr>:$tokenizer);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `config` $config (`weights` $weights^)?
    (`tokenizer` $tokenizer^)? attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The token ids the model reads.
    ::mlir::BlockArgument getTokens() { return getBody().getArgument(0); }
    /// The model's terminator.
    ReturnOp getReturn();
  }];
}

def LLM_ReturnOp : LLM_Op<"return", [Pure, HasParent<"ModelOp">, ReturnLike,
                                     Terminator]> {
  let summary = "Returns the logits of a model";
  let arguments = (ins LLM_Logits:$logits);
  let assemblyFormat = "$logits attr-dict `:` type($logits)";
}

def LLM_WeightOp : LLM_BodyOp<"weight", [Pure,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "A named model parameter";
  let description = [{
    A parameter of the model: `name` is its tensor name in the weight store
    (the Hugging Face name for imported weights). `rows [begin, end]` makes
    the weight the row block [begin, end) of the stored tensor, as when a
    checkpoint fuses several projections into one matrix (MambaInLlama's
    `in_proj`); a stored tensor whose shape differs from the weight's only by
    unit dimensions (a depthwise conv's (C, 1, K)) is read as the weight's
    shape. Weights a pass creates carry an `init` rule and a `seed`, from
    which the store writer produces their values deterministically; the IR
    never holds the values themselves.

    ```mlir
    %q = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
    %z = llm.weight "model.layers.0.mamba.z_proj.weight"
           init <uniform(-0.125, 0.125)> seed 42 : tensor<64x64xbf16>
    %x = llm.weight "model.layers.0.mamba.in_proj.weight" rows [64, 96]
           : tensor<32x64xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<DenseI64ArrayAttr>:$rows,
                       OptionalAttr<LLM_InitAttr>:$init,
                       OptionalAttr<I64Attr>:$seed);
  let results = (outs LLM_Weight:$result);
  let assemblyFormat = [{
    $name (`rows` $rows^)? (`init` $init^)? (`seed` $seed^)? attr-dict `:`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def LLM_EmbedOp : LLM_BodyOp<"embed", [Pure]> {
  let summary = "Token embedding lookup";
  let description = [{
    `result[b, t, :] = table[tokens[b, t], :]`; the table is vocab x hidden.

    ```mlir
    %h = llm.embed %tokens, %table : (tensor<?x?xi32>, tensor<256x64xbf16>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins LLM_Tokens:$tokens, LLM_Weight:$table);
  let results = (outs LLM_Hidden:$result);
  let assemblyFormat = [{
    $tokens `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLM_RMSNormOp : LLM_BodyOp<"rms_norm", [Pure]> {
  let summary = "RMSNorm over the hidden dimension";
  let description = [{
    `x * rsqrt(mean(x^2) + rms_eps) * weight`, computed in fp32 as Hugging Face
    Llama does; `rms_eps` comes from the model config.
  }];
  let arguments = (ins LLM_Hidden:$input, LLM_Weight:$weight);
  let results = (outs LLM_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLM_AttentionOp : LLM_BodyOp<"attention", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<LLM_MixerOpInterface>]> {
  let summary = "Causal grouped-query self-attention with RoPE";
  let description = [{
    Hugging Face Llama attention: q/k/v projections (with optional biases, as
    Qwen2 has), RoPE with the config's theta and scaling, causal softmax
    attention scaled by 1/sqrt(head_dim) where each group of
    heads / kv_heads query heads shares a key/value head, and the output
    projection. `sliding_window`, when present, limits each query to the last
    that many keys (Mistral); it must equal the config's.

    ```mlir
    %a = llm.attention %x layer 0 q %wq k %wk v %wv o %wo
           : (tensor<?x?x64xf32>, tensor<64x64xbf16>, tensor<32x64xbf16>,
              tensor<32x64xbf16>, tensor<64x64xbf16>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins LLM_Hidden:$input, I64Prop:$layer,
      LLM_Weight:$q, LLM_Weight:$k, LLM_Weight:$v, LLM_Weight:$o,
      Optional<LLM_Weight>:$q_bias, Optional<LLM_Weight>:$k_bias,
      Optional<LLM_Weight>:$v_bias, Optional<LLM_Weight>:$o_bias,
      OptionalProp<I64Prop>:$sliding_window);
  let results = (outs LLM_Hidden:$result);
  let assemblyFormat = [{
    $input `layer` $layer `q` $q `k` $k `v` $v `o` $o
    (`q_bias` $q_bias^)? (`k_bias` $k_bias^)? (`v_bias` $v_bias^)?
    (`o_bias` $o_bias^)? (`sliding_window` $sliding_window^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLM_MambaOp : LLM_BodyOp<"mamba", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<LLM_MixerOpInterface>]> {
  let summary = "A Mamba (selective linear RNN) mixer in the MambaInLlama layout";
  let description = [{
    The two mixers of "The Mamba in the Llama" (paper_spec.md sections 1.1,
    1.2). With hidden size D, `groups` G key/value groups, state size N and
    `heads` H = rows(C) / N:

    * `mamba2`: x (G*P x D), B (G*N x D), C (H*N x D), z (H*P x D),
      dt (H x D), out (D x H*P); conv over [x|B|C] (G*P + G*N + H*N channels);
      per-head dt_bias, A_log and D; gated RMSNorm `norm` (H*P) in groups of
      P = rows(x) / G, eps 1e-5. Head h reads x and B of group h / (H / G).
    * `mamba1`: x and B (G*N x D), C and z (d_inner x D, d_inner = H*N),
      dt_down (R x D) then dt_proj (d_inner x R), dt_bias (d_inner) added
      twice (as the released checkpoints do), conv over the repeated x only
      (d_inner channels), A_log (d_inner x N), D (d_inner), out (D x d_inner).

    The conv weight is channels x d_conv.

    ```mlir
    %m = llm.mamba %x layer 1 mamba2 d_state 16 groups 2
           x %wx B %wb C %wc z %wz out %wo conv %cw, %cb dt_bias %db A_log %al
           D %d dt %wdt norm %nw : (...) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins LLM_Hidden:$input, I64Prop:$layer,
      EnumProp<LLM_MambaVariant>:$variant, I64Prop:$d_state, I64Prop:$groups,
      LLM_Weight:$x, LLM_Weight:$B, LLM_Weight:$C, LLM_Weight:$z,
      LLM_Weight:$out, LLM_Weight:$conv_weight, LLM_Weight:$conv_bias,
      LLM_Weight:$dt_bias, LLM_Weight:$A_log, LLM_Weight:$D,
      Optional<LLM_Weight>:$dt, Optional<LLM_Weight>:$norm,
      Optional<LLM_Weight>:$dt_down, Optional<LLM_Weight>:$dt_proj);
  let results = (outs LLM_Hidden:$result);
  let assemblyFormat = [{
    $input `layer` $layer $variant `d_state` $d_state `groups` $groups
    `x` $x `B` $B `C` $C `z` $z `out` $out `conv` $conv_weight `,` $conv_bias
    `dt_bias` $dt_bias `A_log` $A_log `D` $D
    (`dt` $dt^)? (`norm` $norm^)? (`dt_down` $dt_down^)? (`dt_proj` $dt_proj^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of SSM heads (Mamba-2) or C groups (Mamba-1): rows(C) / d_state.
    int64_t getNumHeads();
    /// Width of the causal convolution.
    int64_t getConvWidth();
    /// Mamba-1 d_inner / Mamba-2 heads * head_dim: rows(z).
    int64_t getInnerDim();
  }];
}

def LLM_MLPOp : LLM_BodyOp<"mlp", [Pure]> {
  let summary = "SwiGLU feed-forward block";
  let description = [{
    `down(silu(gate(x)) * up(x))` with gate and up intermediate x hidden and
    down hidden x intermediate.
  }];
  let arguments = (ins LLM_Hidden:$input, LLM_Weight:$gate, LLM_Weight:$up,
                       LLM_Weight:$down);
  let results = (outs LLM_Hidden:$result);
  let assemblyFormat = [{
    $input `gate` $gate `up` $up `down` $down attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLM_AddOp : LLM_BodyOp<"add", [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "Residual addition";
  let arguments = (ins LLM_Hidden:$lhs, LLM_Hidden:$rhs);
  let results = (outs LLM_Hidden:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def LLM_LMHeadOp : LLM_BodyOp<"lm_head", [Pure]> {
  let summary = "Projection of the final hidden state onto the vocabulary";
  let description = [{
    `logits = x * weight^T` with weight vocab x hidden. With
    `tie_embeddings = true` in the config the weight must be the embedding
    table itself.
  }];
  let arguments = (ins LLM_Hidden:$input, LLM_Weight:$weight);
  let results = (outs LLM_Logits:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // MLOPT_DIALECT_LLM_LLMOPS_TD
