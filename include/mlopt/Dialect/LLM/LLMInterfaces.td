//===- LLMInterfaces.td - llm op interfaces ----------------*- tablegen -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMINTERFACES_TD
#define MLOPT_DIALECT_LLM_LLMINTERFACES_TD

include "mlir/IR/OpBase.td"

def LLM_MixerOpInterface : OpInterface<"MixerOpInterface"> {
  let description = [{
    The token mixer of one decoder layer (attention or a Mamba layer). Every
    layer of a model has exactly one mixer; its index orders caches and layer
    schedules.
  }];
  let cppNamespace = "::mlir::llm";
  let methods = [
    InterfaceMethod<"Returns the decoder layer index of this mixer.",
      "int64_t", "getLayerIndex", (ins), [{ return $_op.getLayer(); }]>,
    InterfaceMethod<"Returns the normalised hidden state the mixer reads.",
      "::mlir::Value", "getMixerInput", (ins), [{ return $_op.getInput(); }]>,
  ];
}

#endif // MLOPT_DIALECT_LLM_LLMINTERFACES_TD
