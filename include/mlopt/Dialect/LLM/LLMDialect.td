//===- LLMDialect.td - The llm dialect ---------------------*- tablegen -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMDIALECT_TD
#define MLOPT_DIALECT_LLM_LLMDIALECT_TD

include "mlir/IR/OpBase.td"

def LLM_Dialect : Dialect {
  let name = "llm";
  let cppNamespace = "::mlir::llm";
  let summary = "Decoder-only language models: Transformer and hybrid Mamba graphs";
  let description = [{
    The `llm` dialect holds the graph of a decoder-only language model at the
    level a model card describes it: an embedding, a stack of layers whose
    mixer is either attention (`llm.attention`) or a linear RNN
    (`llm.mamba`), SwiGLU MLPs, RMSNorms, residual adds and the LM head.

    Parameters are `llm.weight` ops: a name in the model's weight store, a
    static tensor type and, for parameters a pass creates, an init rule and a
    seed. No bulk data lives in the IR. Weight reuse is SSA reuse: the
    attention-to-Mamba conversion hands the very `llm.weight` values that fed
    q/k/v/o to the new Mamba op as C/B/x/out.

    Hyperparameters live in one `#llm.config` attribute on `llm.model`; every
    op checks its weights against it.
  }];
  let useDefaultAttributePrinterParser = 1;
}

#endif // MLOPT_DIALECT_LLM_LLMDIALECT_TD
