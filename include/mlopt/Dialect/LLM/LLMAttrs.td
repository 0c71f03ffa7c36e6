//===- LLMAttrs.td - llm enums and attributes --------------*- tablegen -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMATTRS_TD
#define MLOPT_DIALECT_LLM_LLMATTRS_TD

include "mlopt/Dialect/LLM/LLMDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Parameters with custom syntax
//===----------------------------------------------------------------------===//

// A double printed so that it parses back to the same bits.
class LLM_F64Parameter<string default, string desc>
    : DefaultValuedParameter<"::mlir::llm::F64", default, desc> {
  let parser = "::mlir::llm::parseF64($_parser)";
  let printer = "::mlir::llm::printF64($_printer, $_self)";
}
def LLM_F64 : LLM_F64Parameter<"0.0", "a 64-bit float"> {
  // Required: no default value.
  let defaultValue = ?;
}
def LLM_Bool : DefaultValuedParameter<"bool", "false", "true or false"> {
  let parser = "::mlir::llm::parseBool($_parser)";
  let printer = "$_printer << ($_self ? \"true\" : \"false\")";
}
def LLM_OptionalI64 : OptionalParameter<"std::optional<int64_t>"> {
  let printer = "$_printer << *$_self";
}
def LLM_I64List : OptionalArrayRefParameter<"int64_t", "a list of integers"> {
  let parser = "::mlir::llm::parseI64List($_parser)";
  let printer = "::mlir::llm::printI64List($_printer, $_self)";
}
def LLM_F64List : OptionalArrayRefParameter<"::mlir::llm::F64", "a list of floats"> {
  let parser = "::mlir::llm::parseF64List($_parser)";
  let printer = "::mlir::llm::printF64List($_printer, $_self)";
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def LLM_Arch : I32EnumAttr<"Arch", "Hugging Face model family", [
    I32EnumAttrCase<"Llama", 0, "llama">,
    I32EnumAttrCase<"Mistral", 1, "mistral">,
    I32EnumAttrCase<"Qwen2", 2, "qwen2">]> {
  let cppNamespace = "::mlir::llm";
  let genSpecializedAttr = 0;
}

def LLM_RopeScalingKind : I32EnumAttr<"RopeScalingKind",
    "RoPE frequency scaling rule (transformers' rope_type)", [
    I32EnumAttrCase<"Linear", 0, "linear">,
    I32EnumAttrCase<"Dynamic", 1, "dynamic">,
    I32EnumAttrCase<"Yarn", 2, "yarn">,
    I32EnumAttrCase<"Llama3", 3, "llama3">]> {
  let cppNamespace = "::mlir::llm";
  let genSpecializedAttr = 0;
}

def LLM_MambaVariant : I32EnumAttr<"MambaVariant", "Mamba mixer variant", [
    I32EnumAttrCase<"Mamba1", 1, "mamba1">,
    I32EnumAttrCase<"Mamba2", 2, "mamba2">]> {
  let cppNamespace = "::mlir::llm";
  let genSpecializedAttr = 0;
}

def LLM_InitKind : I32EnumAttr<"InitKind", "initialisation rule of a new weight", [
    I32EnumAttrCase<"Zeros", 0, "zeros">,
    I32EnumAttrCase<"Ones", 1, "ones">,
    I32EnumAttrCase<"Constant", 2, "constant">,
    I32EnumAttrCase<"Uniform", 3, "uniform">,
    I32EnumAttrCase<"Normal", 4, "normal">,
    I32EnumAttrCase<"DtBias", 5, "dt_bias">,
    I32EnumAttrCase<"S4DReal", 6, "s4d_real">,
    I32EnumAttrCase<"LogUniform", 7, "log_uniform">]> {
  let cppNamespace = "::mlir::llm";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class LLM_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<LLM_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def LLM_RopeScalingAttr : LLM_Attr<"RopeScaling", "rope_scaling"> {
  let summary = "RoPE scaling (transformers' rope_scaling / rope_parameters)";
  let description = [{
    The frequency scaling applied on top of `rope_theta`. `factor` applies to
    every kind; `llama3` also reads `low_freq_factor`, `high_freq_factor` and
    `original_max_position`; `yarn` reads `original_max_position`,
    `beta_fast`, `beta_slow` and an optional `attention_factor`.

    ```mlir
    #llm.rope_scaling<kind = llama3, factor = 32.0, low_freq_factor = 1.0,
                      high_freq_factor = 4.0, original_max_position = 8192>
    ```
  }];
  let parameters = (ins
    EnumParameter<LLM_RopeScalingKind>:$kind,
    LLM_F64:$factor,
    LLM_F64Parameter<"1.0", "llama3 low_freq_factor">:$low_freq_factor,
    LLM_F64Parameter<"4.0", "llama3 high_freq_factor">:$high_freq_factor,
    LLM_OptionalI64:$original_max_position,
    LLM_F64Parameter<"32.0", "yarn beta_fast">:$beta_fast,
    LLM_F64Parameter<"1.0", "yarn beta_slow">:$beta_slow,
    LLM_F64Parameter<"0.0", "yarn attention_factor (0: derived from factor)">:$attention_factor
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// Checks the parameters; ConfigAttr::verify calls this, so that a bad
    /// scaling inside a config is reported once, by the config.
    LogicalResult verifyParams(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError) const;
  }];
}

def LLM_ConfigAttr : LLM_Attr<"Config", "config"> {
  let summary = "Model hyperparameters (the fields of a Hugging Face config.json)";
  let description = [{
    Everything a decoder-only model of the supported families is defined by,
    besides its weights. Field names follow config.json where they are not
    too long to read: `hidden` is `hidden_size`, `intermediate` is
    `intermediate_size`, `layers` is `num_hidden_layers`, `heads` and
    `kv_heads` are the attention and key/value head counts, `rms_eps` is
    `rms_norm_eps` and `max_position` is `max_position_embeddings`.

    ```mlir
    #llm.config<arch = llama, vocab = 49152, hidden = 576, intermediate = 1536,
                layers = 30, heads = 9, kv_heads = 3, head_dim = 64,
                max_position = 8192, rope_theta = 100000.0, rms_eps = 1.0e-05,
                tie_embeddings = true, bos = 1, eos = [2]>
    ```
  }];
  let parameters = (ins
    EnumParameter<LLM_Arch>:$arch,
    "int64_t":$vocab,
    "int64_t":$hidden,
    "int64_t":$intermediate,
    "int64_t":$layers,
    "int64_t":$heads,
    "int64_t":$kv_heads,
    "int64_t":$head_dim,
    "int64_t":$max_position,
    LLM_F64:$rope_theta,
    OptionalParameter<"RopeScalingAttr">:$rope_scaling,
    LLM_F64:$rms_eps,
    LLM_Bool:$tie_embeddings,
    LLM_OptionalI64:$sliding_window,
    LLM_OptionalI64:$bos,
    LLM_I64List:$eos
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Query heads that share one key/value head.
    int64_t getKvGroupSize() const { return getHeads() / getKvHeads(); }
    /// Rows of the query projection: heads * head_dim.
    int64_t getQueryDim() const { return getHeads() * getHeadDim(); }
    /// Rows of the key or value projection: kv_heads * head_dim.
    int64_t getKvDim() const { return getKvHeads() * getHeadDim(); }
  }];
}

def LLM_InitAttr : LLM_Attr<"Init", "init"> {
  let summary = "How a new weight is initialised";
  let description = [{
    A deterministic rule, evaluated with the weight's seed, that produces a
    weight's values when the weight store is materialised. Parameters:

    | rule | parameters | values |
    |---|---|---|
    | `zeros`, `ones` | - | 0, 1 |
    | `constant` | c | c |
    | `uniform` | lo, hi | U(lo, hi) |
    | `normal` | mean, std | N(mean, std^2) |
    | `dt_bias` | dt_min, dt_max, floor | softplus^-1(max(exp(U(ln dt_min, ln dt_max)), floor)) |
    | `s4d_real` | - | A_log[d, n] = ln(n + 1) |
    | `log_uniform` | lo, hi | ln U(lo, hi) |

    ```mlir
    #llm.init<uniform(-0.5, 0.5)>
    #llm.init<dt_bias(0.001, 0.1, 0.0001)>
    ```
  }];
  let parameters = (ins EnumParameter<LLM_InitKind>:$kind, LLM_F64List:$params);
  let assemblyFormat = "`<` $kind (`(` $params^ `)`)? `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of parameters `kind` takes.
    static unsigned getNumParams(InitKind kind);
    /// Whether values are drawn from a random generator (and need a seed).
    bool isRandom() const;
  }];
}

#endif // MLOPT_DIALECT_LLM_LLMATTRS_TD
