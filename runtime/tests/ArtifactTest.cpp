//===- ArtifactTest.cpp - Loading and refusing .mlart artifacts -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Builds artifacts for the tiny-llama fixture directly with FlatBuffers (the
// runtime's tests never call the compiler), then breaks them one field at a
// time: each must be refused with its own clear message.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Artifact.h"
#include "mlrt/MappedFile.h"
#include "mlrt/artifact_generated.h"
#include "TinyLlamaLayers.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <unistd.h>

using namespace mlrt;

namespace {

const std::string kStore =
    std::string(MLOPT_SOURCE_DIR) + "/test/Inputs/tiny/tiny-llama";

/// What a test may change in the otherwise valid artifact.
struct Variant {
  uint32_t version = kArtifactVersion;
  int64_t kvHeads = 2;
  int64_t configLayers = 2;
  std::string storePath = kStore;
  std::function<void(std::vector<std::string> &names,
                     std::vector<std::vector<int64_t>> &shapes)>
      editWeights;
  int32_t embed = -2; // -2: the right index
  /// Edits the plan's ops before they are written.
  std::function<void(std::vector<fb::OpT> &ops)> editPlan;
  int64_t arena = 1024;
  /// Marks the KV caches' states as holding a bf16 SSM state.
  bool ssmBf16 = false;
};

/// The plan convert-llm-to-kern makes for a 2-layer Llama (buffers at
/// distinct offsets; the reader does not require packing).
flatbuffers::Offset<fb::Plan> buildPlan(flatbuffers::FlatBufferBuilder &b,
                                        std::map<std::string, int32_t> &index,
                                        const Variant &v) {
  // h x q k v attn mixed gate up
  std::vector<fb::Buffer> buffers = {{0, 64},   {64, 64},  {128, 64},
                                     {192, 32}, {224, 32}, {256, 64},
                                     {320, 64}, {384, 128}, {512, 128}};
  std::vector<fb::OpT> ops;
  auto op = [&](fb::OpKind kind, std::vector<int32_t> bufs,
                std::vector<std::string> ws = {}) -> fb::OpT & {
    fb::OpT o;
    o.kind = kind;
    o.buffers = std::move(bufs);
    for (const std::string &w : ws)
      o.weights.push_back(index.at(w));
    ops.push_back(std::move(o));
    return ops.back();
  };
  op(fb::OpKind::Embed, {0}, {"model.embed_tokens.weight"});
  for (int i = 0; i < 2; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    op(fb::OpKind::RMSNorm, {0, 1}, {p + "input_layernorm.weight"}).eps = 1e-5;
    op(fb::OpKind::Linear, {1, 2}, {p + "self_attn.q_proj.weight"});
    op(fb::OpKind::Linear, {1, 3}, {p + "self_attn.k_proj.weight"});
    op(fb::OpKind::Linear, {1, 4}, {p + "self_attn.v_proj.weight"});
    op(fb::OpKind::Rope, {2, 3}).head_dim = 16;
    fb::OpT &attention = op(fb::OpKind::Attention, {2, 3, 4, 5});
    attention.state = i;
    attention.heads = 4;
    op(fb::OpKind::Linear, {5, 6}, {p + "self_attn.o_proj.weight"});
    op(fb::OpKind::Add, {0, 6, 0});
    op(fb::OpKind::RMSNorm, {0, 1}, {p + "post_attention_layernorm.weight"})
        .eps = 1e-5;
    op(fb::OpKind::Linear, {1, 7}, {p + "mlp.gate_proj.weight"});
    op(fb::OpKind::Linear, {1, 8}, {p + "mlp.up_proj.weight"});
    op(fb::OpKind::SwiGLU, {7, 8, 7});
    op(fb::OpKind::Linear, {7, 6}, {p + "mlp.down_proj.weight"});
    op(fb::OpKind::Add, {0, 6, 0});
  }
  op(fb::OpKind::RMSNorm, {0, 0}, {"model.norm.weight"}).eps = 1e-5;
  op(fb::OpKind::LMHead, {0}, {"lm_head.weight"});
  if (v.editPlan)
    v.editPlan(ops);
  std::vector<flatbuffers::Offset<fb::Op>> packed;
  for (const fb::OpT &o : ops)
    packed.push_back(fb::Op::Pack(b, &o));
  auto opsVector = b.CreateVector(packed);
  auto buffersVector = b.CreateVectorOfStructs(buffers);
  std::vector<flatbuffers::Offset<fb::Entry>> entries = {
      fb::CreateEntry(b, b.CreateString("prefill"), false, buffersVector,
                      opsVector),
      fb::CreateEntry(b, b.CreateString("decode"), true, buffersVector,
                      opsVector)};
  std::vector<flatbuffers::Offset<fb::State>> states;
  for (int i = 0; i < 2; ++i)
    states.push_back(fb::CreateState(b, fb::StateKind::KVCache, i, v.kvHeads,
                                     16, 0, 0, 0, 0, false, v.ssmBf16));
  return fb::CreatePlan(b, v.arena, b.CreateVector(states),
                        b.CreateVector(entries));
}

std::string build(const Variant &v) {
  Expected<WeightStore> store = WeightStore::open(kStore);
  EXPECT_TRUE(store);
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<DType> dtypes;
  for (const WeightStore::Entry &e : store->entries()) {
    names.push_back(e.info->name);
    shapes.push_back(e.info->shape);
    dtypes.push_back(e.info->dtype);
  }
  std::map<std::string, int32_t> index;
  for (size_t i = 0; i < names.size(); ++i)
    index[names[i]] = static_cast<int32_t>(i);
  if (v.editWeights)
    v.editWeights(names, shapes);

  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Weight>> weights;
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<int32_t> shape(shapes[i].begin(), shapes[i].end());
    weights.push_back(fb::CreateWeight(b, b.CreateString(names[i]),
                                       static_cast<fb::DType>(dtypes[i]),
                                       b.CreateVector(shape), 0));
  }
  std::vector<flatbuffers::Offset<fb::Layer>> layers =
      test::tinyLlamaLayers(b, index);
  auto rope = fb::CreateRope(b, 10000.0);
  std::vector<int32_t> eos = {2};
  auto config = fb::CreateConfig(b, fb::Arch::Llama, 256, 64, 128,
                                 v.configLayers, 4, v.kvHeads, 16, 256, rope,
                                 1e-5, false, 0, 1, b.CreateVector(eos));
  std::vector<flatbuffers::Offset<fb::Store>> stores = {
      fb::CreateStore(b, b.CreateString(v.storePath))};
  auto plan = buildPlan(b, index, v);
  auto root = fb::CreateArtifact(
      b, v.version, b.CreateString("test"), b.CreateString("tiny"), config,
      b.CreateVector(stores), b.CreateVector(weights),
      v.embed == -2 ? index["model.embed_tokens.weight"] : v.embed,
      index["model.norm.weight"], index["lm_head.weight"],
      b.CreateVector(layers), 0, plan);
  fb::FinishArtifactBuffer(b, root);
  return std::string(reinterpret_cast<const char *>(b.GetBufferPointer()),
                     b.GetSize());
}

class ArtifactTest : public ::testing::Test {
protected:
  std::string write(const std::string &bytes) {
    std::string path = "/tmp/mlrt-artifact-" + std::to_string(getpid()) + "-" +
                       std::to_string(count++) + ".mlart";
    EXPECT_TRUE(writeFileAtomically(path, bytes));
    written.push_back(path);
    return path;
  }
  std::string openError(const Variant &v) {
    std::string path = write(build(v));
    Expected<Artifact> a = Artifact::open(path);
    return a ? "" : a.message().substr(path.size() + 2);
  }
  void TearDown() override {
    for (const std::string &p : written)
      std::remove(p.c_str());
  }
  std::vector<std::string> written;
  int count = 0;
};

TEST_F(ArtifactTest, OpensAValidArtifact) {
  Expected<Artifact> a = Artifact::open(write(build(Variant())));
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->config().hidden, 64);
  ASSERT_EQ(a->layers().size(), 2u);
  EXPECT_EQ(a->layers()[1].mixerWeights[1]->name,
            "model.layers.1.self_attn.k_proj.weight");
  EXPECT_EQ(a->layers()[0].mixerWeights[4], nullptr); // no q bias
  EXPECT_EQ(a->embed().shape, (std::vector<int64_t>{256, 64}));
  MemoryReport m = a->memory();
  EXPECT_EQ(m.kvBytesPerToken, 2u * 2 * (2 * 16) * 4);
  EXPECT_EQ(m.weightBytes, 213632u);
}

TEST_F(ArtifactTest, RefusesWhatItCannotTrust) {
  Variant version;
  version.version = 4; // before bf16 prefill inputs
  EXPECT_EQ(openError(version),
            "artifact version 4 is not supported (this runtime reads version "
            "5); recompile the model with ml-compile");
  Variant ssmType;
  ssmType.ssmBf16 = true;
  EXPECT_EQ(openError(ssmType), "plan state 0 has an element type for a "
                                "state it does not hold");
  Variant heads;
  heads.kvHeads = 3;
  EXPECT_EQ(openError(heads),
            "config heads (4) is not a multiple of kv_heads (3)");
  Variant layers;
  layers.configLayers = 3;
  EXPECT_EQ(openError(layers), "has 2 layers, the config says 3");
  Variant store;
  store.storePath = "/nonexistent/store";
  EXPECT_EQ(openError(store),
            "weight store /nonexistent/store: /nonexistent/store: cannot "
            "open: No such file or directory");
  Variant missing;
  missing.editWeights = [](auto &names, auto &) { names[0] += ".renamed"; };
  EXPECT_NE(openError(missing).find("is not in store"), std::string::npos);
  Variant shape;
  shape.editWeights = [](auto &names, auto &shapes) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == "model.layers.0.self_attn.k_proj.weight")
        shapes[i] = {64, 32};
  };
  EXPECT_EQ(openError(shape),
            "weight 'model.layers.0.self_attn.k_proj.weight' is declared [64, "
            "32] but its store holds [32, 64]");
  Variant embed;
  embed.embed = 999;
  EXPECT_EQ(openError(embed), "embedding names weight 999 of 21");
}

TEST_F(ArtifactTest, ChecksEveryPlanCall) {
  Expected<Artifact> a = Artifact::open(write(build(Variant())));
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->plan().prefill.ops.size(), 31u);
  EXPECT_TRUE(a->plan().decode.step);
  EXPECT_EQ(a->plan().states[1].kvHeads, 2);

  auto planError = [&](std::function<void(std::vector<fb::OpT> &)> edit) {
    Variant v;
    v.editPlan = std::move(edit);
    return openError(v);
  };
  // A GEMM whose output buffer is narrower than its weight's rows.
  EXPECT_EQ(planError([](auto &ops) { ops[2].buffers[1] = 3; }),
            "plan entry @prefill op 2 (linear): output 0 of width 32 is not "
            "filled exactly by its weights' rows (64 so far)");
  // kern-fuse-norm-projection's fields: an accumulating linear has one
  // output; only projections normalise their input.
  EXPECT_EQ(planError([](auto &ops) { ops.back().accumulate = true; }),
            "plan entry @prefill op 30 (lm_head): accumulates into 0 outputs; "
            "only a linear of one output can");
  // The fields are checked after the op's own buffers (fuzzer-found: a
  // norm on a linear without buffers read buffer 0 of none).
  EXPECT_EQ(planError([](auto &ops) {
              ops[2].buffers.clear();
              ops[2].norm = 1;
            }),
            "plan entry @prefill op 2 (linear): expects an input, outputs and "
            "at least one weight");
  EXPECT_EQ(planError([](auto &ops) { ops[2].rope = true; }),
            "plan entry @prefill op 2 (linear): rotates q and k, which only "
            "attention over heads of the config's even head_dim 16 can");
  EXPECT_EQ(planError([](auto &ops) { ops[0].bf16_inputs = true; }),
            "plan entry @prefill op 0 (embed): rounds its inputs to bf16, "
            "which only linear, lm_head, attention and the Mamba-2 ssm_scan "
            "do");
  EXPECT_EQ(planError([](auto &ops) { ops[0].norm = 1; }),
            "plan entry @prefill op 0 (embed): only projections take an input "
            "norm or accumulate");
  // Two outputs where the weights fill one.
  EXPECT_EQ(planError([](auto &ops) { ops[2].buffers.push_back(3); }),
            "plan entry @prefill op 2 (linear): weights fill 1 of 2 outputs");
  EXPECT_EQ(planError([](auto &ops) { ops[2].buffers[1] = 40; }),
            "plan entry @prefill op 2 (linear): names buffer 40 of 9");
  EXPECT_EQ(planError([](auto &ops) { ops[2].weights[0] = 1000; }),
            "plan entry @prefill op 2 (linear): names weight 1000 of 21");
  EXPECT_EQ(planError([](auto &ops) { ops[6].state = 5; }),
            "plan entry @prefill op 6 (attention): names state 5, expected a "
            "KV cache of the 2 states");
  EXPECT_EQ(planError([](auto &ops) { ops[6].heads = 3; }),
            "plan entry @prefill op 6 (attention): 3 heads over 2 KV heads "
            "(window 0) is invalid");
  EXPECT_EQ(planError([](auto &ops) { ops[1].weights[0] = 0; }),
            "plan entry @prefill op 1 (rms_norm): norm weight "
            "'lm_head.weight' has shape [256, 64], expected [64]");
  EXPECT_EQ(planError([](auto &ops) { ops[1].eps = 0; }),
            "plan entry @prefill op 1 (rms_norm): eps is 0, expected a "
            "positive value");
  EXPECT_EQ(planError([](auto &ops) { ops[5].head_dim = 12; }),
            "plan entry @prefill op 5 (rope): head_dim 12 does not divide q "
            "(64) and k (32) or differs from the config's 16");
  EXPECT_EQ(planError([](auto &ops) { ops.pop_back(); }),
            "plan entry @prefill must start with embed and end with lm_head");
  EXPECT_EQ(planError([](auto &ops) { ops[8].buffers.pop_back(); }),
            "plan entry @prefill op 8 (add): expects 3 buffers and 0 weights, "
            "found 2 and 0");
  Variant arena;
  arena.arena = 600;
  EXPECT_EQ(openError(arena), "plan entry @prefill: buffer at offset 512 of "
                              "width 128 lies outside the arena of 600 "
                              "floats per token");
}

TEST_F(ArtifactTest, ChecksFusedCalls) {
  // Op 8 is layer 0's residual add and op 9 the norm after it: fused, they
  // read h (0) and the o projection (6), write h and the norm's output (1).
  const std::string norm = "model.layers.0.post_attention_layernorm.weight";
  auto fused = [&](std::function<void(fb::OpT &)> edit) {
    Variant v;
    v.editPlan = [&](std::vector<fb::OpT> &ops) {
      fb::OpT &op = ops[8];
      op.kind = fb::OpKind::AddRMSNorm;
      op.buffers = {0, 6, 0, 1};
      op.weights = ops[9].weights;
      op.eps = 1e-5;
      ops.erase(ops.begin() + 9);
      edit(ops[8]);
    };
    return v;
  };
  Expected<Artifact> a = Artifact::open(write(build(fused([](fb::OpT &) {}))));
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->plan().prefill.ops[8].kind, OpKind::AddRMSNorm);
  EXPECT_EQ(a->plan().prefill.ops[8].weights[0]->name, norm);

  EXPECT_EQ(openError(fused([](fb::OpT &op) { op.buffers.pop_back(); })),
            "plan entry @prefill op 8 (add_rms_norm): expects 4 buffers and 1 "
            "weights, found 3 and 1");
  EXPECT_EQ(openError(fused([](fb::OpT &op) { op.buffers[2] = 3; })),
            "plan entry @prefill op 8 (add_rms_norm): sum buffer is 32 wide, "
            "expected 64");
  EXPECT_EQ(openError(fused([](fb::OpT &op) { op.buffers[3] = 7; })),
            "plan entry @prefill op 8 (add_rms_norm): output buffer is 128 "
            "wide, expected 64");
  EXPECT_EQ(openError(fused([](fb::OpT &op) { op.weights[0] = 0; })),
            "plan entry @prefill op 8 (add_rms_norm): norm weight "
            "'lm_head.weight' has shape [256, 64], expected [64]");
  EXPECT_EQ(openError(fused([](fb::OpT &op) { op.eps = -1; })),
            "plan entry @prefill op 8 (add_rms_norm): eps is -1, expected a "
            "positive value");

  // A Mamba step takes [xbc dt z out] and six weights, on a Mamba state
  // (this fixture has only KV caches).
  auto step = [&](size_t weights) {
    Variant v;
    v.editPlan = [weights](std::vector<fb::OpT> &ops) {
      fb::OpT &op = ops[8];
      op.kind = fb::OpKind::MambaStep;
      op.buffers = {2, 3, 5, 6};
      op.weights.assign(weights, ops[9].weights[0]);
      op.state = 0;
    };
    return openError(v);
  };
  EXPECT_EQ(step(5), "plan entry @prefill op 8 (mamba_step): expects 4 "
                     "buffers and 6 weights, found 4 and 5");
  EXPECT_EQ(step(6), "plan entry @prefill op 8 (mamba_step): names state 0, "
                     "expected a Mamba state of the 2 states");
}

TEST_F(ArtifactTest, RefusesCorruptBytes) {
  std::string good = build(Variant());
  std::string badId = good;
  badId[4] = 'X';
  Expected<Artifact> a = Artifact::open(write(badId));
  ASSERT_FALSE(a);
  EXPECT_NE(a.message().find("not an mlopt artifact"), std::string::npos);
  // Truncations at every tenth byte are all refused, none crashes.
  for (size_t n = 8; n < good.size(); n += 10) {
    Expected<Artifact> t = Artifact::open(write(good.substr(0, n)));
    EXPECT_FALSE(t) << n;
  }
}

} // namespace
