//===- PlanWriter.cpp - Serialise a kern.program into the artifact --------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Flattens a kern.program into the artifact's Plan table: states and
// weights become indices, each entry's buffers a table of (offset, width),
// and each kernel op one Op row (schemas/artifact.fbs documents the operand
// order per kind).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Artifact/PlanWriter.h"
#include "mlopt/Dialect/Kern/KernOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlopt;
namespace fb = mlrt::fb;

namespace {
/// Writes the ops of one entry.
class EntryWriter {
public:
  EntryWriter(flatbuffers::FlatBufferBuilder &b,
              const llvm::DenseMap<StringAttr, int32_t> &symbols,
              const llvm::DenseMap<Operation *, std::vector<int>> *gpuKernels)
      : b(b), symbols(symbols), gpuKernels(gpuKernels) {}

  mlrt::Expected<flatbuffers::Offset<fb::Entry>> write(kern::EntryOp entry);

private:
  /// One op row; fields that do not apply stay at their defaults.
  struct Row {
    fb::OpKind kind;
    SmallVector<Value> buffers;
    SmallVector<Attribute> weights, biases;
    FlatSymbolRefAttr state;
    /// The input RMSNorm of a projection; its eps is `eps`.
    FlatSymbolRefAttr norm;
    bool accumulate = false;
    /// Attention: RoPE of q and k first.
    bool rope = false;
    /// Linear, LMHead, Attention: activations rounded to bf16 first.
    bool bf16Inputs = false;
    fb::Mixer variant = fb::Mixer::Mamba2;
    int64_t heads = 0, groups = 0, dState = 0, headDim = 0, window = 0,
            group = 0, times = 0;
    double eps = 0;
  };
  std::optional<Row> describe(Operation *op);
  int32_t symbol(Attribute ref) {
    return symbols.lookup(cast<FlatSymbolRefAttr>(ref).getAttr());
  }

  flatbuffers::FlatBufferBuilder &b;
  const llvm::DenseMap<StringAttr, int32_t> &symbols;
  const llvm::DenseMap<Operation *, std::vector<int>> *gpuKernels;
};
} // namespace

std::optional<EntryWriter::Row> EntryWriter::describe(Operation *op) {
  using K = fb::OpKind;
  return llvm::TypeSwitch<Operation *, std::optional<Row>>(op)
      .Case([](kern::EmbedOp o) {
        return Row{K::Embed, {o.getOut()}, {o.getTableAttr()}};
      })
      .Case([](kern::RMSNormOp o) {
        Row r{K::RMSNorm, {o.getIn(), o.getOut()}, {o.getWeightAttr()}};
        r.eps = o.getEps().convertToDouble();
        return r;
      })
      .Case([](kern::LinearOp o) {
        Row r{K::Linear, {o.getIn()}};
        r.buffers.append(o.getOuts().begin(), o.getOuts().end());
        r.weights.assign(o.getWeights().begin(), o.getWeights().end());
        if (ArrayAttr biases = o.getBiasesAttr())
          r.biases.assign(biases.begin(), biases.end());
        r.norm = o.getNormAttr();
        r.eps = o.getEps() ? o.getEps()->convertToDouble() : 0;
        r.accumulate = o.getAccumulate();
        r.bf16Inputs = o.getBf16Inputs();
        return r;
      })
      .Case([](kern::RopeOp o) {
        Row r{K::Rope, {o.getQ(), o.getK()}};
        r.headDim = o.getHeadDim();
        return r;
      })
      .Case([](kern::AttentionOp o) {
        Row r{K::Attention, {o.getQ(), o.getK(), o.getV(), o.getOut()}};
        r.state = o.getCacheAttr();
        r.heads = o.getHeads();
        r.window = o.getWindow().value_or(0);
        r.rope = o.getRope();
        r.bf16Inputs = o.getBf16Inputs();
        return r;
      })
      .Case([](kern::Conv1dOp o) {
        Row r{K::Conv1d,
              {o.getIn(), o.getOut()},
              {o.getWeightAttr(), o.getBiasAttr()}};
        r.state = o.getStateAttr();
        return r;
      })
      .Case([](kern::RepeatGroupsOp o) {
        Row r{K::RepeatGroups, {o.getIn(), o.getOut()}};
        r.group = o.getGroup();
        r.times = o.getTimes();
        return r;
      })
      .Case([](kern::SSMScanOp o) {
        Row r{K::SSMScan, {o.getXbc()}};
        if (o.getBc())
          r.buffers.push_back(o.getBc());
        r.buffers.append({o.getDt(), o.getOut()});
        r.weights = {o.getDtBiasAttr(), o.getALogAttr(), o.getDAttr()};
        r.state = o.getStateAttr();
        r.variant = o.getVariant() == llm::MambaVariant::Mamba1
                        ? fb::Mixer::Mamba1
                        : fb::Mixer::Mamba2;
        r.heads = o.getHeads();
        r.groups = o.getGroups();
        r.dState = o.getDState();
        r.bf16Inputs = o.getBf16Inputs();
        return r;
      })
      .Case([](kern::GatedRMSNormOp o) {
        Row r{K::GatedRMSNorm,
              {o.getY(), o.getZ(), o.getOut()},
              {o.getWeightAttr()}};
        r.group = o.getGroup();
        return r;
      })
      .Case([](kern::SwiGLUOp o) {
        return Row{K::SwiGLU, {o.getGate(), o.getUp(), o.getOut()}};
      })
      .Case([](kern::AddOp o) {
        return Row{K::Add, {o.getLhs(), o.getRhs(), o.getOut()}};
      })
      .Case([](kern::AddRMSNormOp o) {
        Row r{K::AddRMSNorm,
              {o.getLhs(), o.getRhs(), o.getSum(), o.getOut()},
              {o.getWeightAttr()}};
        r.eps = o.getEps().convertToDouble();
        return r;
      })
      .Case([](kern::MambaStepOp o) {
        Row r{K::MambaStep,
              {o.getXbc(), o.getDt(), o.getZ(), o.getOut()},
              {o.getConvWeightAttr(), o.getConvBiasAttr(), o.getDtBiasAttr(),
               o.getALogAttr(), o.getDAttr(), o.getNormAttr()}};
        r.state = o.getStateAttr();
        r.heads = o.getHeads();
        r.groups = o.getGroups();
        r.dState = o.getDState();
        r.group = o.getGroup();
        return r;
      })
      .Case([](kern::LinearSwiGLUOp o) {
        Row r{K::LinearSwiGLU,
              {o.getIn(), o.getOut()},
              {o.getGateAttr(), o.getUpAttr()}};
        r.norm = o.getNormAttr();
        r.eps = o.getEps() ? o.getEps()->convertToDouble() : 0;
        return r;
      })
      .Case([](kern::LMHeadOp o) {
        Row r{K::LMHead, {o.getIn()}, {o.getWeightAttr()}};
        r.norm = o.getNormAttr();
        r.eps = o.getEps() ? o.getEps()->convertToDouble() : 0;
        r.bf16Inputs = o.getBf16Inputs();
        return r;
      })
      .Default([](Operation *) { return std::nullopt; });
}

mlrt::Expected<flatbuffers::Offset<fb::Entry>>
EntryWriter::write(kern::EntryOp entry) {
  llvm::DenseMap<Value, int32_t> bufferIndex;
  std::vector<fb::Buffer> buffers;
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  for (Operation &op : entry.getBody().front()) {
    if (auto buffer = dyn_cast<kern::BufferOp>(op)) {
      bufferIndex[buffer.getResult()] = static_cast<int32_t>(buffers.size());
      buffers.emplace_back(static_cast<int32_t>(buffer.getOffset()),
                           static_cast<int32_t>(buffer.getType().getWidth()));
      continue;
    }
    std::optional<Row> row = describe(&op);
    if (!row)
      return mlrt::Error() << "ml-compile: no runtime kernel for '"
                           << op.getName().getStringRef().str() << "'";
    std::vector<int32_t> operands, weights, biases;
    for (Value v : row->buffers)
      operands.push_back(bufferIndex.lookup(v));
    for (Attribute w : row->weights)
      weights.push_back(symbol(w));
    for (Attribute w : row->biases)
      biases.push_back(w && !isa<UnitAttr>(w) ? symbol(w) : -1);
    std::vector<int32_t> kernels;
    if (gpuKernels)
      if (auto it = gpuKernels->find(&op); it != gpuKernels->end())
        kernels.assign(it->second.begin(), it->second.end());
    ops.push_back(fb::CreateOp(
        b, row->kind, b.CreateVector(operands), b.CreateVector(weights),
        biases.empty() ? 0 : b.CreateVector(biases),
        row->state ? symbol(row->state) : -1, row->variant, row->heads,
        row->groups, row->dState, row->headDim, row->window, row->group,
        row->times, row->eps, kernels.empty() ? 0 : b.CreateVector(kernels),
        row->norm ? symbol(row->norm) : -1, row->accumulate, row->rope,
        row->bf16Inputs));
  }
  return fb::CreateEntry(b, b.CreateString(entry.getSymName().str()),
                         entry.getStep(), b.CreateVectorOfStructs(buffers),
                         b.CreateVector(ops));
}

mlrt::Expected<flatbuffers::Offset<fb::Plan>>
mlopt::writePlan(flatbuffers::FlatBufferBuilder &b, kern::ProgramOp program,
                 const llvm::DenseMap<Operation *, std::vector<int>> *gpuKernels) {
  // Weight symbols map to their table index, state symbols to their slot.
  llvm::DenseMap<StringAttr, int32_t> symbols;
  std::vector<flatbuffers::Offset<fb::State>> states;
  for (Operation &op : program.getBody().front()) {
    if (auto w = dyn_cast<kern::WeightOp>(op)) {
      symbols[w.getSymNameAttr()] = static_cast<int32_t>(w.getIndex());
    } else if (auto kv = dyn_cast<kern::KVCacheOp>(op)) {
      symbols[kv.getSymNameAttr()] = static_cast<int32_t>(states.size());
      states.push_back(fb::CreateState(
          b, fb::StateKind::KVCache, kv.getLayer(), kv.getKvHeads(),
          kv.getHeadDim(), /*channels=*/0, /*width=*/0, /*heads=*/0,
          /*d_state=*/0, kv.getBf16()));
    } else if (auto m = dyn_cast<kern::MambaStateOp>(op)) {
      symbols[m.getSymNameAttr()] = static_cast<int32_t>(states.size());
      states.push_back(fb::CreateState(
          b, fb::StateKind::Mamba, m.getLayer(), /*kv_heads=*/0, m.getHeadDim(),
          m.getChannels(), m.getWidth(), m.getHeads(), m.getDState(),
          /*kv_bf16=*/false, m.getSsmBf16()));
    }
  }
  std::vector<flatbuffers::Offset<fb::Entry>> entries;
  for (StringRef name : {"prefill", "decode"}) {
    auto entry = program.lookupSymbol<kern::EntryOp>(name);
    if (!entry)
      return mlrt::Error() << "ml-compile: plan @" << program.getSymName().str()
                           << " has no @" << name.str() << " entry";
    mlrt::Expected<flatbuffers::Offset<fb::Entry>> e =
        EntryWriter(b, symbols, gpuKernels).write(entry);
    if (!e)
      return e.takeError();
    entries.push_back(*e);
  }
  return fb::CreatePlan(b, program.getArena(), b.CreateVector(states),
                        b.CreateVector(entries));
}
