//===- ModelStructure.cpp - The decoder layers of an llm.model ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/ModelStructure.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;

namespace {
/// The single user of `v` of type OpTy, if that is its only user.
template <typename OpTy> OpTy soleUser(Value v) {
  if (!v.hasOneUse())
    return OpTy();
  return dyn_cast<OpTy>(*v.getUsers().begin());
}

/// The residual add of `h` and `branch`.
AddOp residual(Value h, Value branch) {
  auto add = soleUser<AddOp>(branch);
  if (add && (add.getLhs() == h || add.getRhs() == h))
    return add;
  return AddOp();
}
} // namespace

mlrt::Expected<ModelStructure> mlopt::analyzeModelStructure(ModelOp model) {
  auto bad = [&](int64_t layer, StringRef what) {
    return Error() << "@" << model.getSymName().str() << ", layer " << layer
                   << ": expects norm -> mixer -> residual -> norm "
                   << "-> MLP -> residual, but " << what.str();
  };
  auto embeds = model.getBody().getOps<EmbedOp>();
  if (std::distance(embeds.begin(), embeds.end()) != 1)
    return Error() << "@" << model.getSymName().str()
                   << ": expects exactly one llm.embed";
  ModelStructure s;
  s.embed = *embeds.begin();
  Value h = s.embed.getResult();
  for (int64_t i = 0; i < model.getConfig().getLayers(); ++i) {
    DecoderLayer l;
    // h feeds the residual add and the layer's input norm.
    for (Operation *user : h.getUsers())
      if (auto norm = dyn_cast<RMSNormOp>(user))
        l.inputNorm = norm;
    if (!l.inputNorm)
      return bad(i, "the hidden state feeds no RMSNorm");
    Value x = l.inputNorm.getResult();
    if (!x.hasOneUse() || !isa<MixerOpInterface>(*x.getUsers().begin()))
      return bad(i, "the input norm does not feed a mixer alone");
    l.mixer = *x.getUsers().begin();
    if (cast<MixerOpInterface>(l.mixer).getLayerIndex() != i)
      return bad(i, "the mixers are not in layer order");
    AddOp r = residual(h, l.mixer->getResult(0));
    if (!r)
      return bad(i, "the mixer's output is not added to the hidden state");
    for (Operation *user : r.getResult().getUsers())
      if (auto norm = dyn_cast<RMSNormOp>(user))
        l.postNorm = norm;
    if (!l.postNorm)
      return bad(i, "the residual feeds no post-mixer RMSNorm");
    l.mlp = soleUser<MLPOp>(l.postNorm.getResult());
    if (!l.mlp)
      return bad(i, "the post-mixer norm does not feed an MLP alone");
    AddOp next = residual(r.getResult(), l.mlp.getResult());
    if (!next)
      return bad(i, "the MLP's output is not added to the residual");
    h = next.getResult();
    s.layers.push_back(l);
  }
  s.finalNorm = soleUser<RMSNormOp>(h);
  s.lmHead =
      s.finalNorm ? soleUser<LMHeadOp>(s.finalNorm.getResult()) : LMHeadOp();
  if (!s.finalNorm || !s.lmHead || !soleUser<ReturnOp>(s.lmHead.getResult()))
    return Error() << "@" << model.getSymName().str()
                   << ": expects the last layer to be followed by "
                   << "RMSNorm -> lm_head -> return";
  return s;
}
