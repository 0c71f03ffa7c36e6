//===- Passes.td - mlopt transformation passes -------------*- tablegen -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_PASSES_PASSES_TD
#define MLOPT_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Attention -> Mamba conversion
//===----------------------------------------------------------------------===//

def AttnToMambaPass : Pass<"attn-to-mamba", "::mlir::ModuleOp"> {
  let summary = "Replace attention layers with Mamba mixers initialised from "
                "the attention weights (The Mamba in the Llama)";
  let description = [{
    Converts attention layers of every `llm.model` into `llm.mamba` mixers
    the way "The Mamba in the Llama" initialises its hybrids
    (paper_spec.md sections 1-2): the mixer takes the layer's own q/k/v/o
    weights as C/B/x/out (SSA reuse: the very `llm.weight` values), while
    its new parameters (z, dt, conv, dt bias, A_log, D, gated-norm weight)
    are new `llm.weight`s whose init rules reproduce PyTorch's and Mamba's
    initialisation, seeded deterministically. Norms and MLPs are untouched.

    Which layers: with `ratio` r (the fraction of layers that KEEP attention,
    0 or 1/k) layer i keeps attention iff (i+1) mod k == 0; `layers` names
    them explicitly; `steps` converts the next layers of the stepwise order
    (0, 2, 4, ...; then 1, 5, 9, ...; then 3, 11, ...). Layers that are
    already Mamba stay as they are, so 0.5 -> 0.25 -> 0.125 is progressive.

    Before (one layer):
    ```mlir
    %a = llm.attention %x layer 0 q %q k %k v %v o %o : (...) -> tensor<?x?x64xf32>
    ```
    After (`--attn-to-mamba=ratio=0.5`):
    ```mlir
    %z = llm.weight "model.layers.0.mamba.z_proj.weight" init <uniform(-0.125, 0.125)> seed 42000000 : ...
    ...
    %a = llm.mamba %x layer 0 mamba2 d_state 16 groups 2 x %v B %k C %q z %z out %o ... : (...) -> tensor<?x?x64xf32>
    ```
    A remark on each model lists the converted layers and those that keep
    attention. Weight k (in creation order) of converted layer l gets seed
    `seed * 10^6 + l * 100 + k`.
  }];
  let options = [
    Option<"ratio", "ratio", "double", "0.5",
           "Fraction of layers that keep attention: 0 or 1/k (0.5, 0.25, ...)">,
    ListOption<"layers", "layers", "int64_t",
               "Layers to convert (overrides ratio)">,
    Option<"steps", "steps", "int64_t", "0",
           "Convert the next this many layers of the stepwise order "
           "(overrides ratio)">,
    Option<"variant", "variant", "std::string", "\"mamba2\"",
           "Mixer variant: mamba2 or mamba1">,
    Option<"init", "init", "std::string", "\"attention\"",
           "C/B/x/out from the attention weights (attention) or fresh "
           "(random: the paper's -Attn init ablation)">,
    Option<"seed", "seed", "int64_t", "42",
           "Seed of the new parameters' init rules">,
    Option<"dState", "d-state", "int64_t", "16", "Mamba-1 state size">,
    Option<"dtRank", "dt-rank", "int64_t", "0",
           "Mamba-1 dt projection rank (0: ceil(hidden / 16))">,
  ];
  let dependentDialects = ["::mlir::llm::LLMDialect"];
}

//===----------------------------------------------------------------------===//
// llm -> kern
//===----------------------------------------------------------------------===//

def ConvertLLMToKernPass : Pass<"convert-llm-to-kern", "::mlir::ModuleOp"> {
  let summary = "Plan the execution of each llm.model as a kern.program";
  let description = [{
    Adds, beside each `llm.model @m`, the `kern.program @m.plan` the runtime
    executes: the weight table (indices are the order of the model's
    `llm.weight` ops, as in the artifact), a KV cache per attention layer, a
    conv + SSM state per Mamba layer, and `@prefill` / `@decode` entries
    with one op per kernel on arena buffers. A linear-scan planner packs the
    buffers by liveness; the arena size (floats per token) is the program's
    `arena`. A remark reports it.

    Per layer: attention is rms_norm, q/k/v linears (with biases), rope,
    attention, o linear, residual add; Mamba-2 is rms_norm, one linear for
    [x|B|C], linears for z and dt, conv1d, ssm_scan, gated_rms_norm, out
    linear, residual add; Mamba-1 is rms_norm, x linear, repeat_groups to
    d_inner, conv1d, [B|C] linear, z linear, dt_down then dt_proj linears,
    ssm_scan, y * silu(z), out linear, residual add; then rms_norm, gate/up
    linears, swiglu, down linear, residual add.
  }];
  let options = [
    Option<"kvCache", "kv-cache", "std::string", "\"f32\"",
           "Element type of the KV caches: f32, or bf16 (K and V rounded "
           "as stored: half the cache memory and attention reads)">,
    Option<"ssmState", "ssm-state", "std::string", "\"f32\"",
           "Element type of the Mamba layers' SSM states: f32, or bf16 "
           "(rounded as stored: half the state memory and decode traffic)">
  ];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

//===----------------------------------------------------------------------===//
// kern fusions
//===----------------------------------------------------------------------===//

def FuseAddRMSNormPass : Pass<"kern-fuse-add-rms-norm", "::mlir::ModuleOp"> {
  let summary = "Fuse each residual add with the RMSNorm that reads its sum";
  let description = [{
    In every entry of every `kern.program`, a `kern.add` followed (kern.buffer
    ops aside) by a `kern.rms_norm` of its result becomes one
    `kern.add_rms_norm` that writes both the sum and the normalised row: the
    residual stream is read once and one kernel runs instead of two. The
    pattern closes each mixer and each MLP (twice per layer). Buffers keep
    their offsets; when the norm's output shares its floats with the add's
    operand (the planner reuses them as one dies and the other is born),
    the two become one buffer value, which the fused op may overwrite.

    Before:
    ```mlir
    kern.add %h, %down -> %h : !kern.buffer<64>, !kern.buffer<64> -> !kern.buffer<64>
    %y = kern.buffer 64 : !kern.buffer<64>
    kern.rms_norm %h, @w14 eps 1.0e-05 -> %y : !kern.buffer<64> -> !kern.buffer<64>
    ```
    After:
    ```mlir
    %y = kern.buffer 64 : !kern.buffer<64>
    kern.add_rms_norm %h, %down, @w14 eps 1.0e-05 -> %h, %y : !kern.buffer<64>, !kern.buffer<64> -> !kern.buffer<64>, !kern.buffer<64>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

def FuseProjectionsPass : Pass<"kern-fuse-projections", "::mlir::ModuleOp"> {
  let summary = "Merge consecutive linears of one input in step entries";
  let description = [{
    In step entries (`@decode`: one token), consecutive `kern.linear` ops
    (kern.buffer ops aside) that read the same buffer become one
    `kern.linear` with their weights in order and one output per original
    op: an attention layer's q, k and v projections, a Mamba-2 layer's
    [x|B|C], z and dt. On the GPU that is one GEMV launch streaming all the
    matrices, where small matrices alone (k and v: 1024 rows at 8B shapes)
    fill too few SMs. Linears with biases merge only with linears that have
    them too.

    Before:
    ```mlir
    kern.linear %x, [@wq] -> %q : !kern.buffer<64> -> !kern.buffer<64>
    kern.linear %x, [@wk] -> %k : !kern.buffer<64> -> !kern.buffer<32>
    ```
    After:
    ```mlir
    kern.linear %x, [@wq, @wk] -> %q, %k : !kern.buffer<64> -> !kern.buffer<64>, !kern.buffer<32>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

def FuseLinearSwiGLUPass : Pass<"kern-fuse-linear-swiglu", "::mlir::ModuleOp"> {
  let summary = "Fuse an MLP's gate and up projections with their SwiGLU in "
                "step entries";
  let description = [{
    In step entries, a `kern.swiglu` whose gate and up operands are written
    by the two `kern.linear` ops just before it (one weight each, no bias,
    the same input, either order) becomes one `kern.linear_swiglu`: one
    GEMV streams both matrices and writes silu(gate) * up, so the two
    projections are never stored. Only when nothing reads the projections
    after the SwiGLU and its output does not overlap the input.

    Before:
    ```mlir
    kern.linear %x, [@w24] -> %g : !kern.buffer<64> -> !kern.buffer<128>
    kern.linear %x, [@w25] -> %u : !kern.buffer<64> -> !kern.buffer<128>
    kern.swiglu %g, %u -> %g : !kern.buffer<128>, !kern.buffer<128> -> !kern.buffer<128>
    ```
    After:
    ```mlir
    kern.linear_swiglu %x, gate @w24 up @w25 -> %g : !kern.buffer<64> -> !kern.buffer<128>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

def FuseNormProjectionPass : Pass<"kern-fuse-norm-projection", "::mlir::ModuleOp"> {
  let summary = "Fold RMSNorms into the projections that read them and "
                "residual adds into the projections that feed them, in step "
                "entries";
  let description = [{
    In step entries, a `kern.rms_norm` whose output only the next kernel
    reads, a `kern.linear`, `kern.linear_swiglu` or `kern.lm_head`, becomes
    that projection's `norm`: its GEMV reads the whole input row in every
    warp anyway, so it sums the squares and scales the dot products. A
    `kern.add_rms_norm` of the residual stream and a linear's output folds
    the same way, and the add moves into that linear, which then
    `accumulate`s into the residual. Two launches fewer per layer.

    Before:
    ```mlir
    kern.linear %a, [@w22] -> %d : !kern.buffer<64> -> !kern.buffer<64>
    kern.add_rms_norm %h, %d, @w23 eps 1.0e-05 -> %h, %x : !kern.buffer<64>, !kern.buffer<64> -> !kern.buffer<64>, !kern.buffer<64>
    kern.linear_swiglu %x, gate @w24 up @w25 -> %m : !kern.buffer<64> -> !kern.buffer<128>
    ```
    After:
    ```mlir
    kern.linear %a, [@w22] accumulate -> %h : !kern.buffer<64> -> !kern.buffer<64>
    kern.linear_swiglu %h norm @w23 eps 1.0e-05, gate @w24 up @w25 -> %m : !kern.buffer<64> -> !kern.buffer<128>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

def FuseRopeAttentionPass : Pass<"kern-fuse-rope-attention", "::mlir::ModuleOp"> {
  let summary = "Rotate q and k inside the attention's KV append in step entries";
  let description = [{
    In step entries, a `kern.rope` of q and k followed by the
    `kern.attention` that reads them becomes that attention's `rope`: its
    first GPU kernel rotates q and k in place (as the RoPE kernel did) while
    it appends the rotated k and v to the cache. One launch fewer per
    attention layer.

    Before:
    ```mlir
    kern.rope %q, %k head_dim 16 : !kern.buffer<64>, !kern.buffer<32>
    kern.attention %q, %k, %v cache @kv1 heads 4 -> %o : !kern.buffer<64>, !kern.buffer<32>, !kern.buffer<32> -> !kern.buffer<64>
    ```
    After:
    ```mlir
    kern.attention %q, %k, %v cache @kv1 heads 4 rope -> %o : !kern.buffer<64>, !kern.buffer<32>, !kern.buffer<32> -> !kern.buffer<64>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

def Bf16PrefillInputsPass : Pass<"kern-bf16-prefill-inputs", "::mlir::ModuleOp"> {
  let summary = "Round the activations of prefill matrix products to bf16";
  let description = [{
    Marks every `kern.linear`, `kern.lm_head` and `kern.attention` of the
    entries that are not steps (`@prefill`) `bf16_inputs`: their input rows
    (attention: q and the softmax weights) are rounded to bf16 before the
    products, as a bf16 model in transformers computes them. On the GPU
    each product is then one bf16 tensor-core product instead of a hi + lo
    pair (about twice the speed); both backends round the same values, so
    they still agree. Decode steps keep f32 activations: their GEMVs are
    bound by the weights' bytes, not by the arithmetic.

    Before:
    ```mlir
    kern.linear %x, [@w3] -> %q : !kern.buffer<64> -> !kern.buffer<64>
    ```
    After:
    ```mlir
    kern.linear %x, [@w3] bf16_inputs -> %q : !kern.buffer<64> -> !kern.buffer<64>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

def FuseMambaStepPass : Pass<"kern-fuse-mamba-step", "::mlir::ModuleOp"> {
  let summary = "Fuse a Mamba-2 layer's conv1d, scan and gated norm in step "
                "entries";
  let description = [{
    In step entries (`@decode`: one token), the `kern.conv1d`,
    `kern.ssm_scan mamba2` and `kern.gated_rms_norm` of one Mamba state,
    consecutive (kern.buffer ops aside) and chained in place (conv on
    [x|B|C] in place, scan into y, norm of y in place), become one
    `kern.mamba_step`: one kernel per layer and token instead of three,
    with the conv output kept on chip. Only when nothing reads [x|B|C]
    after the scan, which the fused op clobbers. Mamba-1 layers are left
    as they are.

    Before:
    ```mlir
    kern.conv1d %xbc, @w12, @w13 state @ssm0 -> %xbc : !kern.buffer<128> -> !kern.buffer<128>
    %y = kern.buffer 64 : !kern.buffer<64>
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @w14 A_log @w15 D @w16 state @ssm0 heads 4 groups 2 d_state 16 -> %y : !kern.buffer<128>, !kern.buffer<4> -> !kern.buffer<64>
    kern.gated_rms_norm %y, %z, @w17 group 16 -> %y : !kern.buffer<64>, !kern.buffer<64> -> !kern.buffer<64>
    ```
    After:
    ```mlir
    %y = kern.buffer 64 : !kern.buffer<64>
    kern.mamba_step %xbc, %dt, %z conv @w12, @w13 dt_bias @w14 A_log @w15 D @w16 norm @w17 state @ssm0 heads 4 groups 2 d_state 16 group 16 -> %y : !kern.buffer<128>, !kern.buffer<4>, !kern.buffer<64> -> !kern.buffer<64>
    ```
  }];
  let dependentDialects = ["::mlir::kern::KernDialect"];
}

#endif // MLOPT_PASSES_PASSES_TD
