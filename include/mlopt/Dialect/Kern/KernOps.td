//===- KernOps.td - The kern execution-plan dialect --------*- tablegen -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The plan the runtime executes: one op per runtime kernel, on activation
// buffers at planned arena offsets, with the per-sequence states (KV caches,
// Mamba conv and SSM states) explicit. docs/design-kern.md has the design.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_KERN_KERNOPS_TD
#define MLOPT_DIALECT_KERN_KERNOPS_TD

include "mlopt/Dialect/LLM/LLMAttrs.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/SymbolInterfaces.td"

def LLM_MambaVariantProp : EnumProp<LLM_MambaVariant>;

def Kern_Dialect : Dialect {
  let name = "kern";
  let cppNamespace = "::mlir::kern";
  let summary = "Execution plans of compiled models";
  let description = [{
    A `kern.program` is what the runtime executes for one model: its
    states, its weight table and two entries, `@prefill` and `@decode`,
    each a straight-line list of kernel calls. Activations live in one
    arena; a `!kern.buffer<W>` is `tokens x W` f32 at an offset counted in
    floats per token, so one plan serves any number of tokens.
  }];
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::llm::LLMDialect"];
}

class Kern_Type<string name, string typeMnemonic> : TypeDef<Kern_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def Kern_BufferType : Kern_Type<"Buffer", "buffer"> {
  let summary = "tokens x width f32 activations in the arena";
  let parameters = (ins "int64_t":$width);
  let assemblyFormat = "`<` $width `>`";
  let genVerifyDecl = 1;
}

class Kern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kern_Dialect, mnemonic, traits>;

// Ops inside an entry: they read and write buffers (destination-passing),
// so they have no results and are ordered as written.
class Kern_EntryOp<string mnemonic, list<Trait> traits = []>
    : Kern_Op<mnemonic, !listconcat(traits, [HasParent<"EntryOp">])>;

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def Kern_ProgramOp : Kern_Op<"program", [IsolatedFromAbove, Symbol,
    SymbolTable, SingleBlock, NoTerminator]> {
  let summary = "The execution plan of one model";
  let arguments = (ins SymbolNameAttr:$sym_name, LLM_ConfigAttr:$config,
                       I64Attr:$arena);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `config` $config `arena` $arena attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
}

def Kern_WeightOp : Kern_Op<"weight", [HasParent<"ProgramOp">, Symbol]> {
  let summary = "An entry of the artifact's weight table";
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$index,
                       StrAttr:$name, TypeAttrOf<StaticShapeTensorOf<[BF16, F16, F32]>>:$type);
  let assemblyFormat = "$sym_name $index $name `:` $type attr-dict";
}

def Kern_KVCacheOp : Kern_Op<"kv_cache", [HasParent<"ProgramOp">, Symbol]> {
  let summary = "The K and V cache of one attention layer (f32, or bf16)";
  let description = [{
    With `bf16`, K and V rows are rounded to bf16 (nearest even) as they
    are stored: half the memory and half the bytes attention reads per
    step; attention math stays f32.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$layer,
                       I64Attr:$kv_heads, I64Attr:$head_dim, UnitAttr:$bf16);
  let assemblyFormat = [{
    $sym_name `layer` $layer `kv_heads` $kv_heads `head_dim` $head_dim
    (`bf16` $bf16^)? attr-dict
  }];
}

def Kern_MambaStateOp : Kern_Op<"mamba_state", [HasParent<"ProgramOp">, Symbol]> {
  let summary = "The conv and SSM state of one Mamba layer (f32, or a bf16 SSM state)";
  let description = [{
    `conv` past inputs per channel (`width - 1` of them) and the SSM state of
    `heads` x `head_dim` x `d_state` (Mamba-1: heads = d_inner, head_dim = 1).
    With `ssm_bf16` the SSM state is rounded to bf16 (nearest even) each time
    a scan stores it (end of a prefill call, every decode step): half the
    memory and the bytes a decode step reads and writes; the scan's math
    stays f32, as `selective_state_update` with a bf16 state.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$layer,
                       I64Attr:$channels, I64Attr:$width, I64Attr:$heads,
                       I64Attr:$head_dim, I64Attr:$d_state,
                       UnitAttr:$ssm_bf16);
  let assemblyFormat = [{
    $sym_name `layer` $layer `conv` $channels `x` $width `ssm` $heads `x`
    $head_dim `x` $d_state (`ssm_bf16` $ssm_bf16^)? attr-dict
  }];
}

def Kern_EntryOp : Kern_Op<"entry", [HasParent<"ProgramOp">, Symbol,
    SingleBlock, NoTerminator]> {
  let summary = "A kernel list the runtime runs for some tokens";
  let description = [{
    `@prefill` runs for any number of tokens, `@decode` (with `step`) for
    one; backends choose step kernels for the latter.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, UnitAttr:$step);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name (`step` $step^)? attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

def Kern_BufferOp : Kern_EntryOp<"buffer"> {
  let summary = "An activation buffer at an arena offset";
  let arguments = (ins I64Attr:$offset);
  let results = (outs Kern_BufferType:$result);
  let assemblyFormat = "$offset attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def Kern_EmbedOp : Kern_EntryOp<"embed"> {
  let summary = "Rows of the embedding table for the step's tokens";
  let arguments = (ins FlatSymbolRefAttr:$table, Kern_BufferType:$out);
  let assemblyFormat = "$table `->` $out attr-dict `:` qualified(type($out))";
}

def Kern_RMSNormOp : Kern_EntryOp<"rms_norm"> {
  let summary = "RMSNorm of each token (fp32), times the weight";
  let arguments = (ins Kern_BufferType:$in, FlatSymbolRefAttr:$weight,
                       F64Attr:$eps, Kern_BufferType:$out);
  let assemblyFormat = [{
    $in `,` $weight `eps` $eps `->` $out attr-dict `:` qualified(type($in)) `->` qualified(type($out))
  }];
}

def Kern_LinearOp : Kern_EntryOp<"linear"> {
  let summary = "outs = in [W1; W2; ...]^T (+ biases): one GEMM (cuBLAS on CUDA)";
  let description = [{
    Projects with the row-wise concatenation of `weights`, so that fused
    projections write adjacent columns: each output takes the next weights
    whose rows add up to its width (q|k|v into one buffer, Mamba-2's x|B|C;
    or, after `kern-fuse-projections`, q, k and v into three buffers from
    one GEMV). `biases`, when given, has one entry per weight.

    After `kern-fuse-norm-projection` (step entries): with `norm`, the input
    rows are RMS-normalised first, as `kern.rms_norm` with that weight and
    `eps` would; with `accumulate`, the projections are added to the
    outputs' rows (the residual stream) instead of replacing them.

    With `bf16_inputs` (`kern-bf16-prefill-inputs`), the input rows are
    rounded to bf16 (to nearest even) before the products, as a bf16 model
    in transformers computes them; the sums stay f32.

    ```mlir
    kern.linear %x, [@wq, @wk, @wv] -> %q, %k, %v : !kern.buffer<64> -> !kern.buffer<64>, !kern.buffer<32>, !kern.buffer<32>
    kern.linear %h norm @w1 eps 1.0e-05, [@wq] -> %q : !kern.buffer<64> -> !kern.buffer<64>
    kern.linear %a, [@wo] accumulate -> %h : !kern.buffer<64> -> !kern.buffer<64>
    ```
  }];
  let arguments = (ins Kern_BufferType:$in, SymbolRefArrayAttr:$weights,
                       OptionalAttr<SymbolRefArrayAttr>:$biases,
                       OptionalAttr<FlatSymbolRefAttr>:$norm,
                       OptionalAttr<F64Attr>:$eps, UnitAttr:$accumulate,
                       UnitAttr:$bf16_inputs,
                       Variadic<Kern_BufferType>:$outs);
  let assemblyFormat = [{
    $in (`norm` $norm^ `eps` $eps)? `,` $weights (`bias` $biases^)?
    (`accumulate` $accumulate^)? (`bf16_inputs` $bf16_inputs^)? `->` $outs
    attr-dict `:` qualified(type($in)) `->` qualified(type($outs))
  }];
  let hasVerifier = 1;
}

def Kern_RopeOp : Kern_EntryOp<"rope"> {
  let summary = "Rotary embedding of q and k in place (config's theta and scaling)";
  let arguments = (ins Kern_BufferType:$q, Kern_BufferType:$k,
                       I64Attr:$head_dim);
  let assemblyFormat = "$q `,` $k `head_dim` $head_dim attr-dict `:` qualified(type($q)) `,` qualified(type($k))";
}

def Kern_AttentionOp : Kern_EntryOp<"attention"> {
  let summary = "Causal GQA attention; appends the step's k and v to the cache";
  let description = [{
    With `rope` (`kern-fuse-rope-attention`, step entries), q and k are
    first rotated in place as `kern.rope` with the config's head dim would
    rotate them: on the GPU the cache append does it.

    With `bf16_inputs` (`kern-bf16-prefill-inputs`), q and the softmax
    weights are rounded to bf16 before their products with K and V (the
    normaliser sums the unrounded weights), as FlashAttention computes a
    bf16 model's attention.
  }];
  let arguments = (ins Kern_BufferType:$q, Kern_BufferType:$k,
                       Kern_BufferType:$v, FlatSymbolRefAttr:$cache,
                       I64Attr:$heads, OptionalAttr<I64Attr>:$window,
                       UnitAttr:$rope, UnitAttr:$bf16_inputs,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $q `,` $k `,` $v `cache` $cache `heads` $heads (`window` $window^)?
    (`rope` $rope^)? (`bf16_inputs` $bf16_inputs^)? `->` $out attr-dict `:`
    qualified(type($q)) `,` qualified(type($k)) `,` qualified(type($v)) `->`
    qualified(type($out))
  }];
}

def Kern_Conv1dOp : Kern_EntryOp<"conv1d"> {
  let summary = "Causal depthwise conv + SiLU per channel, through the conv state";
  let arguments = (ins Kern_BufferType:$in, FlatSymbolRefAttr:$weight,
                       FlatSymbolRefAttr:$bias, FlatSymbolRefAttr:$state,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $in `,` $weight `,` $bias `state` $state `->` $out attr-dict `:`
    qualified(type($in)) `->` qualified(type($out))
  }];
}

def Kern_SSMScanOp : Kern_EntryOp<"ssm_scan"> {
  let summary = "The selective scan of a Mamba layer through its SSM state";
  let description = [{
    `y = S C + D x` with `S_t = exp(dt_t A) S_{t-1} + dt_t x_t B_t^T`,
    dt = softplus(dt_raw + dt_bias) (Mamba-1: dt_bias added twice, as the
    released checkpoints do), A = -exp(A_log). Mamba-2: `xbc` holds
    [x | B | C] for each token, x and B of `groups` groups for `heads` heads
    (head h reads group h / (heads / groups)). Mamba-1: `xbc` holds x,
    already repeated to d_inner channels, and `bc` holds [B | C] (C in
    `heads` groups of d_state, B in `groups`).

    With `bf16_inputs` (`kern-bf16-prefill-inputs`, Mamba-2 prefill), x, B
    and C are rounded to bf16 (both backends). The GPU then runs SSD's
    chunked matrix form on bf16 tensor cores, which also rounds the state
    it reads within a chunk and the masked C B^T to bf16.
  }];
  let arguments = (ins LLM_MambaVariantProp:$variant, Kern_BufferType:$xbc,
                       Optional<Kern_BufferType>:$bc,
                       Kern_BufferType:$dt, FlatSymbolRefAttr:$dt_bias,
                       FlatSymbolRefAttr:$A_log, FlatSymbolRefAttr:$D,
                       FlatSymbolRefAttr:$state, I64Attr:$heads,
                       I64Attr:$groups, I64Attr:$d_state,
                       UnitAttr:$bf16_inputs, Kern_BufferType:$out);
  let assemblyFormat = [{
    $variant $xbc (`bc` $bc^ `:` qualified(type($bc)))? `,` $dt `dt_bias`
    $dt_bias `A_log` $A_log `D` $D `state` $state `heads` $heads `groups`
    $groups `d_state` $d_state (`bf16_inputs` $bf16_inputs^)? `->` $out attr-dict `:`
    qualified(type($xbc)) `,` qualified(type($dt)) `->` qualified(type($out))
  }];
  let hasVerifier = 1;
}

def Kern_RepeatGroupsOp : Kern_EntryOp<"repeat_groups"> {
  let summary = "Repeat each group of channels (Mamba-1's GQA-style x)";
  let description = [{
    out[d] = in[group * floor(d / (group * times)) + d mod group]: each
    group of `group` channels appears `times` times in a row.
  }];
  let arguments = (ins Kern_BufferType:$in, I64Attr:$group, I64Attr:$times,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $in `group` $group `times` $times `->` $out attr-dict `:`
    qualified(type($in)) `->` qualified(type($out))
  }];
  let hasVerifier = 1;
}

def Kern_GatedRMSNormOp : Kern_EntryOp<"gated_rms_norm"> {
  let summary = "RMSNorm of y * silu(z) in groups (Mamba-2, eps 1e-5)";
  let arguments = (ins Kern_BufferType:$y, Kern_BufferType:$z,
                       FlatSymbolRefAttr:$weight, I64Attr:$group,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $y `,` $z `,` $weight `group` $group `->` $out attr-dict `:` qualified(type($y)) `,`
    qualified(type($z)) `->` qualified(type($out))
  }];
}

def Kern_SwiGLUOp : Kern_EntryOp<"swiglu"> {
  let summary = "out = silu(gate) * up";
  let arguments = (ins Kern_BufferType:$gate, Kern_BufferType:$up,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $gate `,` $up `->` $out attr-dict `:` qualified(type($gate)) `,` qualified(type($up)) `->`
    qualified(type($out))
  }];
}

def Kern_AddOp : Kern_EntryOp<"add"> {
  let summary = "Residual addition (out may be an operand)";
  let arguments = (ins Kern_BufferType:$lhs, Kern_BufferType:$rhs,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $lhs `,` $rhs `->` $out attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->`
    qualified(type($out))
  }];
}

//===----------------------------------------------------------------------===//
// Fused kernels (passes/FuseAddRMSNorm.cpp, passes/FuseMambaStep.cpp,
// passes/FuseLinearSwiGLU.cpp)
//===----------------------------------------------------------------------===//

def Kern_AddRMSNormOp : Kern_EntryOp<"add_rms_norm"> {
  let summary = "Residual add, then the RMSNorm of the sum, in one pass per row";
  let description = [{
    `sum = lhs + rhs`, then `out = sum * rsqrt(mean(sum^2) + eps) * weight`:
    a `kern.add` and the `kern.rms_norm` that reads its result, fused by
    `kern-fuse-add-rms-norm`. Every input of a token's row is read before
    any output of that row is written, so `sum` and `out` may be operands
    (`sum` is the residual stream `lhs`; the final norm writes `out` over
    `sum`).

    ```mlir
    kern.add_rms_norm %h, %down, @w14 eps 1.0e-05 -> %h, %y : !kern.buffer<64>, !kern.buffer<64> -> !kern.buffer<64>, !kern.buffer<64>
    ```
  }];
  let arguments = (ins Kern_BufferType:$lhs, Kern_BufferType:$rhs,
                       FlatSymbolRefAttr:$weight, F64Attr:$eps,
                       Kern_BufferType:$sum, Kern_BufferType:$out);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $weight `eps` $eps `->` $sum `,` $out attr-dict `:`
    qualified(type($lhs)) `,` qualified(type($rhs)) `->` qualified(type($sum))
    `,` qualified(type($out))
  }];
  let hasVerifier = 1;
}

def Kern_MambaStepOp : Kern_EntryOp<"mamba_step"> {
  let summary = "A Mamba-2 mixer's conv1d, ssm_scan and gated_rms_norm in one kernel";
  let description = [{
    What `kern.conv1d %xbc -> %xbc`, `kern.ssm_scan mamba2 %xbc, %dt ->
    %out` and `kern.gated_rms_norm %out, %z group G -> %out` compute, on
    the same Mamba state: the causal conv + SiLU of [x|B|C] through the
    conv state, the scan through the SSM state, then the RMSNorm of
    `out * silu(z)` in groups of `group`. `xbc` is clobbered (nothing may
    read it after). `kern-fuse-mamba-step` forms it in step entries, where
    the three ops cost three launches for one token.

    ```mlir
    kern.mamba_step %xbc, %dt, %z conv @w12, @w13 dt_bias @w14 A_log @w15 D @w16 norm @w17 state @ssm0 heads 4 groups 2 d_state 16 group 16 -> %y : !kern.buffer<128>, !kern.buffer<4>, !kern.buffer<64> -> !kern.buffer<64>
    ```
  }];
  let arguments = (ins Kern_BufferType:$xbc, Kern_BufferType:$dt,
                       Kern_BufferType:$z, FlatSymbolRefAttr:$conv_weight,
                       FlatSymbolRefAttr:$conv_bias,
                       FlatSymbolRefAttr:$dt_bias, FlatSymbolRefAttr:$A_log,
                       FlatSymbolRefAttr:$D, FlatSymbolRefAttr:$norm,
                       FlatSymbolRefAttr:$state, I64Attr:$heads,
                       I64Attr:$groups, I64Attr:$d_state, I64Attr:$group,
                       Kern_BufferType:$out);
  let assemblyFormat = [{
    $xbc `,` $dt `,` $z `conv` $conv_weight `,` $conv_bias `dt_bias` $dt_bias
    `A_log` $A_log `D` $D `norm` $norm `state` $state `heads` $heads `groups`
    $groups `d_state` $d_state `group` $group `->` $out attr-dict `:`
    qualified(type($xbc)) `,` qualified(type($dt)) `,` qualified(type($z))
    `->` qualified(type($out))
  }];
  let hasVerifier = 1;
}

def Kern_LinearSwiGLUOp : Kern_EntryOp<"linear_swiglu"> {
  let summary = "out = silu(in gate^T) * (in up^T): an MLP's first half in one GEMV";
  let description = [{
    What `kern.linear %in, [@gate] -> %g`, `kern.linear %in, [@up] -> %u`
    and `kern.swiglu %g, %u -> %out` compute. `kern-fuse-linear-swiglu`
    forms it in step entries, where one GEMV streams both matrices row by
    row and writes the product, not the two projections.

    ```mlir
    kern.linear_swiglu %x, gate @w24 up @w25 -> %h : !kern.buffer<64> -> !kern.buffer<128>
    ```
  }];
  let arguments = (ins Kern_BufferType:$in, OptionalAttr<FlatSymbolRefAttr>:$norm,
                       OptionalAttr<F64Attr>:$eps, FlatSymbolRefAttr:$gate,
                       FlatSymbolRefAttr:$up, Kern_BufferType:$out);
  let assemblyFormat = [{
    $in (`norm` $norm^ `eps` $eps)? `,` `gate` $gate `up` $up `->` $out attr-dict
    `:` qualified(type($in)) `->` qualified(type($out))
  }];
  let hasVerifier = 1;
}

def Kern_LMHeadOp : Kern_EntryOp<"lm_head"> {
  let summary = "Logits of the step's last token (or of every token)";
  let description = [{
    With `norm` (kern-fuse-norm-projection), the input rows are
    RMS-normalised first, and with `bf16_inputs` rounded to bf16, as for
    `kern.linear`.
  }];
  let arguments = (ins Kern_BufferType:$in, OptionalAttr<FlatSymbolRefAttr>:$norm,
                       OptionalAttr<F64Attr>:$eps, FlatSymbolRefAttr:$weight,
                       UnitAttr:$bf16_inputs);
  let assemblyFormat = [{
    $in (`norm` $norm^ `eps` $eps)? `,` $weight (`bf16_inputs` $bf16_inputs^)?
    attr-dict `:` qualified(type($in))
  }];
  let hasVerifier = 1;
}

#endif // MLOPT_DIALECT_KERN_KERNOPS_TD
