//===- ConvertLLMToKern.cpp - Plan an llm.model as a kern.program ---------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Walks the model's decoder layers (ModelStructure), emits one kern op per
// kernel on virtual buffers, then gives the buffers arena offsets with a
// linear-scan planner over their live ranges.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Dialect/LLM/ModelStructure.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <deque>

namespace mlopt {
#define GEN_PASS_DEF_CONVERTLLMTOKERNPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;

namespace {

/// A buffer before planning: its width and the ops that use it.
struct VirtualBuffer {
  int64_t width;
  kern::BufferOp op;
  unsigned firstUse = ~0u, lastUse = 0;
};

/// Emits one entry's ops; buffers get offsets when the entry is complete.
class EntryEmitter {
public:
  EntryEmitter(OpBuilder &builder, Location loc, kern::EntryOp entry,
               llvm::DenseMap<Value, FlatSymbolRefAttr> &weights)
      : builder(builder), loc(loc), weights(weights) {
    builder.setInsertionPointToStart(&entry.getBody().front());
  }

  /// A new virtual buffer of `width` floats per token.
  Value buffer(int64_t width) {
    auto op = kern::BufferOp::create(
        builder, loc, kern::BufferType::get(builder.getContext(), width),
        /*offset=*/0);
    buffers.push_back({width, op});
    return op.getResult();
  }
  FlatSymbolRefAttr weight(Value v) { return weights.lookup(v); }
  ArrayAttr weightList(ArrayRef<Value> values) {
    SmallVector<Attribute> refs;
    for (Value v : values)
      refs.push_back(weight(v));
    return builder.getArrayAttr(refs);
  }
  int64_t width(Value buffer) {
    return cast<kern::BufferType>(buffer.getType()).getWidth();
  }

  Value linear(Value in, ArrayRef<Value> ws, ArrayRef<Value> biases = {}) {
    int64_t rows = 0;
    for (Value w : ws)
      rows += cast<RankedTensorType>(w.getType()).getDimSize(0);
    Value out = buffer(rows);
    bool anyBias = llvm::any_of(biases, [](Value b) { return bool(b); });
    kern::LinearOp::create(builder, loc, in, weightList(ws),
                           anyBias ? weightList(biases) : ArrayAttr(),
                           FlatSymbolRefAttr(), FloatAttr(), UnitAttr(),
                           UnitAttr(), out);
    return out;
  }

  /// Offsets by linear scan over live ranges; returns the arena size.
  int64_t plan(Block &body) {
    llvm::DenseMap<Value, VirtualBuffer *> byValue;
    for (VirtualBuffer &b : buffers)
      byValue[b.op.getResult()] = &b;
    unsigned index = 0;
    for (Operation &op : body) {
      for (Value operand : op.getOperands())
        if (VirtualBuffer *b = byValue.lookup(operand)) {
          b->firstUse = std::min(b->firstUse, index);
          b->lastUse = std::max(b->lastUse, index);
        }
      ++index;
    }
    SmallVector<VirtualBuffer *> order;
    for (VirtualBuffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order, [](VirtualBuffer *a, VirtualBuffer *b) {
      return a->firstUse < b->firstUse;
    });
    // Live allocations as [offset, offset + width), freed after last use.
    SmallVector<VirtualBuffer *> live;
    int64_t arena = 0;
    for (VirtualBuffer *b : order) {
      llvm::erase_if(
          live, [&](VirtualBuffer *l) { return l->lastUse < b->firstUse; });
      llvm::sort(live, [](VirtualBuffer *x, VirtualBuffer *y) {
        return x->op.getOffset() < y->op.getOffset();
      });
      int64_t offset = 0;
      for (VirtualBuffer *l : live) {
        if (offset + b->width <= static_cast<int64_t>(l->op.getOffset()))
          break;
        offset = std::max<int64_t>(offset, l->op.getOffset() + l->width);
      }
      b->op.setOffset(offset);
      live.push_back(b);
      arena = std::max(arena, offset + b->width);
    }
    return arena;
  }

  OpBuilder &builder;
  Location loc;
  llvm::DenseMap<Value, FlatSymbolRefAttr> &weights;
  std::deque<VirtualBuffer> buffers;
};

class ConvertLLMToKernPass
    : public mlopt::impl::ConvertLLMToKernPassBase<ConvertLLMToKernPass> {
public:
  using Base::Base;
  void runOnOperation() final;

private:
  LogicalResult convert(ModelOp model);
};
} // namespace

/// norm -> gate/up -> swiglu -> down -> residual.
static void emitMLP(EntryEmitter &e, DecoderLayer &layer, Value h,
                    FloatAttr eps) {
  OpBuilder &b = e.builder;
  Value y = e.buffer(e.width(h));
  kern::RMSNormOp::create(b, e.loc, h, e.weight(layer.postNorm.getWeight()),
                          eps, y);
  Value gate = e.linear(y, {layer.mlp.getGate()});
  Value up = e.linear(y, {layer.mlp.getUp()});
  kern::SwiGLUOp::create(b, e.loc, gate, up, gate);
  Value down = e.linear(gate, {layer.mlp.getDown()});
  kern::AddOp::create(b, e.loc, h, down, h);
}

/// Mamba-1 (paper_spec 1.1): x repeated to d_inner then conv + SiLU; B, C
/// and the low-rank dt from the input; the scan adds dt_bias twice; the
/// output is gated by silu(z) before the out projection.
static Value emitMamba1(EntryEmitter &e, MambaOp m, Value u,
                        FlatSymbolRefAttr state) {
  OpBuilder &b = e.builder;
  Location loc = e.loc;
  int64_t n = m.getDState(), inner = m.getInnerDim();
  Value x = e.linear(u, {m.getX()});
  Value xr = e.buffer(inner);
  kern::RepeatGroupsOp::create(b, loc, x, b.getI64IntegerAttr(n),
                               b.getI64IntegerAttr(inner / e.width(x)), xr);
  kern::Conv1dOp::create(b, loc, xr, e.weight(m.getConvWeight()),
                         e.weight(m.getConvBias()), state, xr);
  Value bc = e.linear(u, {m.getB(), m.getC()});
  Value z = e.linear(u, {m.getZ()});
  Value dt = e.linear(e.linear(u, {m.getDtDown()}), {m.getDtProj()});
  Value y = e.buffer(inner);
  kern::SSMScanOp::create(
      b, loc, m.getVariant(), xr, bc, dt, e.weight(m.getDtBias()),
      e.weight(m.getALog()), e.weight(m.getD()), state,
      b.getI64IntegerAttr(m.getNumHeads()), b.getI64IntegerAttr(m.getGroups()),
      b.getI64IntegerAttr(n), /*bf16_inputs=*/nullptr, y);
  kern::SwiGLUOp::create(b, loc, z, y, y); // y * silu(z)
  return e.linear(y, {m.getOut()});
}

/// Emits the kernels of `s` into one entry.
static LogicalResult emitEntry(EntryEmitter &e, ModelStructure s,
                               ConfigAttr config,
                               ArrayRef<FlatSymbolRefAttr> states) {
  OpBuilder &b = e.builder;
  Location loc = e.loc;
  FloatAttr eps = b.getF64FloatAttr(config.getRmsEps());
  int64_t hidden = config.getHidden();
  Value h = e.buffer(hidden);
  kern::EmbedOp::create(b, loc, e.weight(s.embed.getTable()), h);
  for (auto [i, layer] : llvm::enumerate(s.layers)) {
    Value x = e.buffer(hidden);
    kern::RMSNormOp::create(b, loc, h, e.weight(layer.inputNorm.getWeight()),
                            eps, x);
    Value mixed;
    if (auto a = dyn_cast<AttentionOp>(layer.mixer)) {
      Value q = e.linear(x, {a.getQ()}, {a.getQBias()});
      Value k = e.linear(x, {a.getK()}, {a.getKBias()});
      Value v = e.linear(x, {a.getV()}, {a.getVBias()});
      kern::RopeOp::create(b, loc, q, k, config.getHeadDim());
      Value attn = e.buffer(e.width(q));
      std::optional<int64_t> window = a.getSlidingWindow();
      kern::AttentionOp::create(
          b, loc, q, k, v, states[i], b.getI64IntegerAttr(config.getHeads()),
          window ? b.getI64IntegerAttr(*window) : IntegerAttr(), UnitAttr(),
          UnitAttr(), attn);
      mixed = e.linear(attn, {a.getO()}, {a.getOBias()});
    } else {
      auto m = cast<MambaOp>(layer.mixer);
      if (m.getVariant() == MambaVariant::Mamba1) {
        mixed = emitMamba1(e, m, x, states[i]);
        kern::AddOp::create(b, loc, h, mixed, h);
        emitMLP(e, layer, h, eps);
        continue;
      }
      Value xbc = e.linear(x, {m.getX(), m.getB(), m.getC()});
      Value z = e.linear(x, {m.getZ()});
      Value dt = e.linear(x, {m.getDt()});
      kern::Conv1dOp::create(b, loc, xbc, e.weight(m.getConvWeight()),
                             e.weight(m.getConvBias()), states[i], xbc);
      Value y = e.buffer(e.width(z));
      int64_t heads = m.getNumHeads();
      kern::SSMScanOp::create(
          b, loc, m.getVariant(), xbc, Value(), dt, e.weight(m.getDtBias()),
          e.weight(m.getALog()), e.weight(m.getD()), states[i],
          b.getI64IntegerAttr(heads), b.getI64IntegerAttr(m.getGroups()),
          b.getI64IntegerAttr(m.getDState()), /*bf16_inputs=*/nullptr, y);
      kern::GatedRMSNormOp::create(b, loc, y, z, e.weight(m.getNorm()),
                                   b.getI64IntegerAttr(m.getInnerDim() / heads),
                                   y);
      mixed = e.linear(y, {m.getOut()});
    }
    kern::AddOp::create(b, loc, h, mixed, h);
    emitMLP(e, layer, h, eps);
  }
  kern::RMSNormOp::create(b, loc, h, e.weight(s.finalNorm.getWeight()), eps, h);
  kern::LMHeadOp::create(b, loc, h, FlatSymbolRefAttr(), FloatAttr(),
                         e.weight(s.lmHead.getWeight()), UnitAttr());
  return success();
}

LogicalResult ConvertLLMToKernPass::convert(ModelOp model) {
  mlrt::Expected<ModelStructure> s = analyzeModelStructure(model);
  if (!s)
    return model.emitError() << s.message();
  ConfigAttr config = model.getConfig();
  OpBuilder b(model->getContext());
  b.setInsertionPointAfter(model);
  Location loc = model.getLoc();
  auto program = kern::ProgramOp::create(
      b, loc, (model.getSymName() + ".plan").str(), config, /*arena=*/0);
  b.createBlock(&program.getBody());

  // The weight table, in the artifact's order.
  llvm::DenseMap<Value, FlatSymbolRefAttr> weights;
  for (auto [i, w] : llvm::enumerate(model.getBody().getOps<WeightOp>())) {
    std::string sym = llvm::formatv("w{0}", i);
    kern::WeightOp::create(b, w.getLoc(), sym, static_cast<int64_t>(i),
                           w.getName(), w.getType());
    weights[w.getResult()] = FlatSymbolRefAttr::get(b.getContext(), sym);
  }
  // Per-sequence states.
  SmallVector<FlatSymbolRefAttr> states;
  for (auto [i, layer] : llvm::enumerate(s->layers)) {
    std::string sym;
    if (isa<AttentionOp>(layer.mixer)) {
      sym = llvm::formatv("kv{0}", i);
      kern::KVCacheOp::create(b, loc, sym, i, config.getKvHeads(),
                              config.getHeadDim(), kvCache == "bf16");
    } else {
      auto m = cast<MambaOp>(layer.mixer);
      sym = llvm::formatv("ssm{0}", i);
      int64_t channels =
          cast<RankedTensorType>(m.getConvWeight().getType()).getDimSize(0);
      int64_t heads = m.getNumHeads();
      kern::MambaStateOp::create(b, loc, sym, i, channels, m.getConvWidth(),
                                 heads, m.getInnerDim() / heads, m.getDState(),
                                 ssmState == "bf16");
    }
    states.push_back(FlatSymbolRefAttr::get(b.getContext(), sym));
  }

  int64_t arena = 0;
  for (bool step : {false, true}) {
    OpBuilder::InsertionGuard guard(b);
    auto entry = kern::EntryOp::create(
        b, loc, b.getStringAttr(step ? "decode" : "prefill"),
        step ? b.getUnitAttr() : UnitAttr());
    b.createBlock(&entry.getBody());
    EntryEmitter emitter(b, loc, entry, weights);
    if (failed(emitEntry(emitter, *s, config, states))) {
      program.erase();
      return failure();
    }
    arena = std::max(arena, emitter.plan(entry.getBody().front()));
  }
  program.setArena(arena);
  mlir::emitRemark(loc) << "planned @" << program.getSymName() << ": arena of "
                        << arena << " floats per token, " << states.size()
                        << " layer states";
  return success();
}

void ConvertLLMToKernPass::runOnOperation() {
  auto checkType = [&](StringRef option, StringRef value) {
    if (value == "f32" || value == "bf16")
      return true;
    getOperation().emitError()
        << "convert-llm-to-kern: " << option << " must be f32 or bf16, found '"
        << value << "'";
    return false;
  };
  if (!checkType("kv-cache", kvCache) || !checkType("ssm-state", ssmState))
    return signalPassFailure();
  for (ModelOp model :
       llvm::make_early_inc_range(getOperation().getOps<ModelOp>()))
    if (failed(convert(model)))
      return signalPassFailure();
}
