//===- CudaBackendTest.cpp - The CUDA backend against the CPU -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Without a GPU (CI): device "cuda" fails with a sentence that says why,
// "auto" runs on the CPU, and an artifact without GPU code names the op it
// has no kernel for. With a GPU (the GPU machine; skipped elsewhere): the
// cuBLAS GEMM against mlrt::cpu::linear at the model's shapes and odd ones,
// a Linear-only plan (a hand-written PTX embedding, cuBLAS linears with and
// without bias, fused projections, the LM head) against the CPU backend,
// and, when MLRT_CUDA_TEST_ARTIFACTS lists models compiled with
// ml-compile --target=cuda, every such model against the CPU backend. Decode
// steps replayed from a CUDA graph must give the logits of eager steps bit
// for bit (MLRT_CUDA_GRAPHS=0 turns graphs off).
//
// The artifacts are built here with FlatBuffers over the tiny-llama fixture,
// as ArtifactTest.cpp does (the runtime's tests never call the compiler).
// MLOPT_SOURCE_DIR in the environment overrides the source directory this
// binary was built from, so that it runs from another checkout.
//
//===----------------------------------------------------------------------===//

#include "cuda/CudaBackend.h"
#include "mlrt/GpuConventions.h"
#include "mlrt/Session.h"
#include "mlrt/artifact_generated.h"
#include "TinyLlamaLayers.h"
#include "mlrt/cpu/Kernels.h"

#if MLRT_HAVE_CUDA
#include "cuda/Cublas.h"
#include "cuda/GpuModule.h"
#endif

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace mlrt;

namespace {

std::string sourceDir() {
  const char *env = std::getenv("MLOPT_SOURCE_DIR");
  return env && *env ? env : MLOPT_SOURCE_DIR;
}

/// out[t] = table[ids[t]] for hidden 64, written by hand in the kernel
/// parameter convention of schemas/artifact.fbs: out, table, ids (three
/// memref descriptors of five u64), tokens, position. One block per token,
/// a block-stride loop over the columns.
const char *kEmbedPtx = R"(.version 7.0
.target sm_52
.address_size 64

.visible .entry test_embed_h64(
	.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3, .param .u64 p4,
	.param .u64 p5, .param .u64 p6, .param .u64 p7, .param .u64 p8, .param .u64 p9,
	.param .u64 p10, .param .u64 p11, .param .u64 p12, .param .u64 p13, .param .u64 p14,
	.param .u64 p15, .param .u64 p16)
{
	.reg .pred %p<2>;
	.reg .b32 %r<8>;
	.reg .b64 %rd<12>;
	.reg .f32 %f<2>;
	ld.param.u64 %rd1, [p1];
	ld.param.u64 %rd2, [p6];
	ld.param.u64 %rd3, [p11];
	cvta.to.global.u64 %rd1, %rd1;
	cvta.to.global.u64 %rd2, %rd2;
	cvta.to.global.u64 %rd3, %rd3;
	mov.u32 %r1, %ctaid.x;
	mul.wide.u32 %rd4, %r1, 4;
	add.s64 %rd5, %rd3, %rd4;
	ld.global.u32 %r2, [%rd5];
	mov.u32 %r3, %tid.x;
	mov.u32 %r4, %ntid.x;
LOOP:
	setp.ge.u32 %p1, %r3, 64;
	@%p1 bra DONE;
	mad.lo.s32 %r5, %r2, 64, %r3;
	mul.wide.u32 %rd6, %r5, 4;
	add.s64 %rd7, %rd2, %rd6;
	ld.global.f32 %f1, [%rd7];
	mad.lo.s32 %r6, %r1, 64, %r3;
	mul.wide.u32 %rd8, %r6, 4;
	add.s64 %rd9, %rd1, %rd8;
	st.global.f32 [%rd9], %f1;
	add.s32 %r3, %r3, %r4;
	bra LOOP;
DONE:
	ret;
}
)";

/// A tiny-llama artifact whose plan is embed, three linears and the LM head:
///   h = embed(ids); q = h Wq^T + norm0;  [k|v] = q [Wk; Wv]^T;
///   h = [k|v] Wo^T + norm;  logits = h Wlm^T
/// (1-D norm weights stand in for biases of the right length). With
/// `gpuCode`, the embedding has the PTX kernel above.
std::string buildLinearArtifact(bool gpuCode) {
  std::string store = sourceDir() + "/test/Inputs/tiny/tiny-llama";
  Expected<WeightStore> ws = WeightStore::open(store);
  EXPECT_TRUE(ws) << ws.message();
  if (!ws)
    return "";
  flatbuffers::FlatBufferBuilder b;
  std::map<std::string, int32_t> index;
  std::vector<flatbuffers::Offset<fb::Weight>> weights;
  for (const WeightStore::Entry &e : ws->entries()) {
    index[e.info->name] = static_cast<int32_t>(weights.size());
    std::vector<int32_t> shape(e.info->shape.begin(), e.info->shape.end());
    weights.push_back(fb::CreateWeight(b, b.CreateString(e.info->name),
                                       static_cast<fb::DType>(e.info->dtype),
                                       b.CreateVector(shape), 0));
  }
  std::vector<flatbuffers::Offset<fb::Layer>> layers =
      test::tinyLlamaLayers(b, index);
  std::vector<fb::OpT> ops;
  auto op = [&](fb::OpKind kind, std::vector<int32_t> buffers,
                std::vector<std::string> ws,
                std::vector<std::string> biases = {}) {
    fb::OpT o;
    o.kind = kind;
    o.buffers = std::move(buffers);
    for (const std::string &w : ws)
      o.weights.push_back(index.at(w));
    for (const std::string &w : biases)
      o.biases.push_back(w.empty() ? -1 : index.at(w));
    ops.push_back(std::move(o));
    return ops.size() - 1;
  };
  const std::string l0 = "model.layers.0.";
  size_t embed = op(fb::OpKind::Embed, {0}, {"model.embed_tokens.weight"});
  if (gpuCode)
    ops[embed].gpu_kernels = {0};
  op(fb::OpKind::Linear, {0, 1}, {l0 + "self_attn.q_proj.weight"},
     {l0 + "input_layernorm.weight"});
  op(fb::OpKind::Linear, {1, 2},
     {l0 + "self_attn.k_proj.weight", l0 + "self_attn.v_proj.weight"});
  op(fb::OpKind::Linear, {2, 0}, {l0 + "self_attn.o_proj.weight"},
     {"model.norm.weight"});
  op(fb::OpKind::LMHead, {0}, {"lm_head.weight"});
  std::vector<flatbuffers::Offset<fb::Op>> packed;
  for (const fb::OpT &o : ops)
    packed.push_back(fb::Op::Pack(b, &o));
  auto opsVector = b.CreateVector(packed);
  std::vector<fb::Buffer> buffers = {{0, 64}, {64, 64}, {128, 64}};
  auto buffersVector = b.CreateVectorOfStructs(buffers);
  std::vector<flatbuffers::Offset<fb::Entry>> entries = {
      fb::CreateEntry(b, b.CreateString("prefill"), false, buffersVector,
                      opsVector),
      fb::CreateEntry(b, b.CreateString("decode"), true, buffersVector,
                      opsVector)};
  std::vector<flatbuffers::Offset<fb::State>> states;
  auto plan = fb::CreatePlan(b, 192, b.CreateVector(states),
                             b.CreateVector(entries));
  flatbuffers::Offset<fb::GpuCode> gpu = 0;
  if (gpuCode) {
    std::vector<int32_t> grid = {1, 1, 1}, block = {32, 1, 1};
    std::vector<flatbuffers::Offset<fb::GpuKernel>> kernels = {
        fb::CreateGpuKernel(b, b.CreateString("test_embed_h64"),
                            b.CreateVector(grid), true, b.CreateVector(block),
                            0)};
    gpu = fb::CreateGpuCode(b, b.CreateString("sm_52"),
                            b.CreateString(kEmbedPtx), b.CreateVector(kernels));
  }
  auto rope = fb::CreateRope(b, 10000.0);
  std::vector<int32_t> eos = {2};
  auto config = fb::CreateConfig(b, fb::Arch::Llama, 256, 64, 128, 2, 4, 2,
                                 16, 256, rope, 1e-5, false, 0, 1,
                                 b.CreateVector(eos));
  std::vector<flatbuffers::Offset<fb::Store>> stores = {
      fb::CreateStore(b, b.CreateString(store))};
  auto root = fb::CreateArtifact(
      b, kArtifactVersion, b.CreateString("test"), b.CreateString("linear"),
      config, b.CreateVector(stores), b.CreateVector(weights),
      index["model.embed_tokens.weight"], index["model.norm.weight"],
      index["lm_head.weight"], b.CreateVector(layers), 0, plan, gpu);
  fb::FinishArtifactBuffer(b, root);
  return std::string(reinterpret_cast<const char *>(b.GetBufferPointer()),
                     b.GetSize());
}

class CudaBackendTest : public ::testing::Test {
protected:
  /// Writes and opens an artifact.
  Expected<Artifact> open(const std::string &bytes) {
    std::string path = "/tmp/mlrt-cuda-test-" + std::to_string(getpid()) +
                       "-" + std::to_string(written.size()) + ".mlart";
    EXPECT_TRUE(writeFileAtomically(path, bytes));
    written.push_back(path);
    return Artifact::open(path);
  }
  void TearDown() override {
    for (const std::string &p : written)
      std::remove(p.c_str());
  }
  static SessionOptions on(const char *device) {
    SessionOptions o;
    o.device = device;
    o.maxTokens = 64;
    o.prefillChunk = 16;
    return o;
  }
  std::vector<std::string> written;
};

bool gpuPresent() { return !cuda::available().failed(); }

std::vector<int32_t> someTokens(size_t n, int32_t vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> ids(n);
  for (int32_t &id : ids)
    id = static_cast<int32_t>(rng() % vocab);
  return ids;
}

float maxAbs(const std::vector<float> &v) {
  float m = 0;
  for (float x : v)
    m = std::max(m, std::fabs(x));
  return m;
}

float maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

} // namespace

TEST_F(CudaBackendTest, WithoutAGpuCudaFailsClearlyAndAutoRunsOnTheCpu) {
  if (gpuPresent())
    GTEST_SKIP() << "a GPU is present";
  Expected<Artifact> opened = open(buildLinearArtifact(/*gpuCode=*/true));
  ASSERT_TRUE(opened) << opened.message();
  const Artifact &model = *opened;
  ASSERT_NE(model.gpu(), nullptr);
  Expected<Session> cuda = Session::create(model, on("cuda"));
  ASSERT_FALSE(cuda);
  const std::string &m = cuda.message();
  EXPECT_EQ(m.rfind("device 'cuda': ", 0), 0u) << m;
  if (cuda::compiledIn()) {
    EXPECT_TRUE(m.find("no NVIDIA driver: dlopen(libcuda.so.1) failed: ") !=
                    std::string::npos ||
                m.find("no CUDA device") != std::string::npos)
        << m;
  } else {
    EXPECT_NE(m.find("this build has no CUDA support"), std::string::npos)
        << m;
  }
  EXPECT_EQ(cuda::available().message(), m.substr(15));

  Expected<Session> autoSession = Session::create(model, on("auto"));
  ASSERT_TRUE(autoSession) << autoSession.message();
  EXPECT_STREQ(autoSession->device(), "cpu");
  Expected<std::vector<float>> logits = autoSession->forward({1, 2, 3});
  ASSERT_TRUE(logits) << logits.message();
  EXPECT_EQ(logits->size(), 256u);
}

TEST_F(CudaBackendTest, AnArtifactWithoutGpuCodeNamesTheOp) {
  Expected<Artifact> opened = open(buildLinearArtifact(/*gpuCode=*/false));
  ASSERT_TRUE(opened) << opened.message();
  const Artifact &model = *opened;
  ASSERT_EQ(model.gpu(), nullptr);
  Expected<Session> cuda = Session::create(model, on("cuda"));
  ASSERT_FALSE(cuda);
  if (cuda::compiledIn()) {
    EXPECT_EQ(cuda.message(),
              "device 'cuda': this artifact has no GPU kernel for embed (it "
              "has no GPU code at all); compile with ml-compile "
              "--target=cuda");
  }
  // auto does not try the GPU for a model without GPU code.
  Expected<Session> autoSession = Session::create(model, on("auto"));
  ASSERT_TRUE(autoSession) << autoSession.message();
  EXPECT_STREQ(autoSession->device(), "cpu");
}

// The batch API on the CPU: a step takes one token per sequence, each at
// its own position (a ragged batch); each sequence's row of a step equals
// a single-sequence session's logits; copySequence carries a sequence's
// position; bad input is refused with one message and changes nothing.
TEST_F(CudaBackendTest, BatchedStepsCheckTheirSequences) {
  Expected<Artifact> opened = open(buildLinearArtifact(/*gpuCode=*/false));
  ASSERT_TRUE(opened) << opened.message();
  SessionOptions options = on("cpu");
  options.batch = 0;
  Expected<Session> none = Session::create(*opened, options);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.message(), "the context (64 tokens), prefill chunk (16) and "
                            "batch (0 sequences) must be positive");
  options.batch = 2;
  Expected<Session> batch = Session::create(*opened, options);
  ASSERT_TRUE(batch) << batch.message();
  Expected<Session> single = Session::create(*opened, on("cpu"));
  ASSERT_TRUE(single) << single.message();
  EXPECT_EQ(batch->batch(), 2);

  Expected<std::vector<float>> wrong = batch->step({1});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.message(), "a batched step takes one token per sequence: 2 "
                             "expected, found 1");
  Expected<std::vector<float>> outside = batch->forward({1}, false, 2);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.message(), "sequence 2 is outside the batch of 2");
  EXPECT_TRUE(batch->copySequence(0, 5).failed());

  // Sequence 0 at 3 tokens, sequence 1 at 1: a ragged step.
  ASSERT_TRUE(batch->forward({1, 2, 3}, false, 0));
  ASSERT_TRUE(single->forward({1, 2, 3}));
  ASSERT_TRUE(batch->forward({9}, false, 1));
  Expected<Session> other = Session::create(*opened, on("cpu"));
  ASSERT_TRUE(other) << other.message();
  ASSERT_TRUE(other->forward({9}));
  Expected<std::vector<float>> step = batch->step({4, 7});
  ASSERT_TRUE(step) << step.message();
  ASSERT_EQ(step->size(), 2u * 256u);
  Expected<std::vector<float>> alone = single->forward({4});
  Expected<std::vector<float>> alone1 = other->forward({7});
  ASSERT_TRUE(alone) << alone.message();
  ASSERT_TRUE(alone1) << alone1.message();
  EXPECT_EQ(std::vector<float>(step->begin(), step->begin() + 256), *alone);
  EXPECT_EQ(std::vector<float>(step->begin() + 256, step->end()), *alone1);
  EXPECT_EQ(batch->position(0), 4);
  EXPECT_EQ(batch->position(1), 2);
  ASSERT_FALSE(batch->copySequence(0, 1).failed());
  EXPECT_EQ(batch->position(1), 4);
  Expected<std::vector<int32_t>> greedy = batch->stepGreedy({1, 1});
  ASSERT_TRUE(greedy) << greedy.message();
  EXPECT_EQ(greedy->size(), 2u);
  EXPECT_EQ((*greedy)[0], (*greedy)[1]);
  EXPECT_EQ(batch->position(0), 5);
  EXPECT_EQ(batch->position(1), 5);
  // The context bounds the furthest sequence.
  ASSERT_TRUE(batch->forward(std::vector<int32_t>(59, 1), false, 0));
  Expected<std::vector<float>> full = batch->step({1, 1});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.message(), "the sequence would reach 65 tokens, beyond the "
                            "context of 64 this session was created with");
  EXPECT_EQ(batch->position(1), 5);
}

TEST_F(CudaBackendTest, UnknownDevicesAreRefused) {
  Expected<Artifact> opened = open(buildLinearArtifact(/*gpuCode=*/true));
  ASSERT_TRUE(opened) << opened.message();
  const Artifact &model = *opened;
  Expected<Session> s = Session::create(model, on("tpu"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "unknown device 'tpu' (expected cpu, cuda or auto)");
}

#if MLRT_HAVE_CUDA

// sm_90a PTX (wgmma) loads on sm_90 alone, sm_XY PTX on XY and newer; the
// refusal names the --gpu-chip to compile with.
TEST(CudaModule, ArchSpecificCodeRunsOnItsChipAlone) {
  EXPECT_FALSE(cuda::checkTarget("sm_90a", 90, "H200").failed());
  EXPECT_FALSE(cuda::checkTarget("sm_90", 100, "B200").failed());
  EXPECT_FALSE(cuda::checkTarget("sm_80", 90, "H200").failed());
  Status newer = cuda::checkTarget("sm_90a", 100, "B200");
  ASSERT_TRUE(newer.failed());
  EXPECT_EQ(newer.message(),
            "this artifact's GPU code targets sm_90a but B200 is sm_100; "
            "compile the model for this GPU (ml-compile --gpu-chip=sm_100)");
  EXPECT_TRUE(cuda::checkTarget("sm_90a", 80, "A100").failed());
  EXPECT_TRUE(cuda::checkTarget("sm_90", 80, "A100").failed());
}

// mamba_step's scan tiers (GpuConventions.h): tier i serves up to 2^i
// sequences, the last tier any more; an op with one scan (sm_80, or an
// artifact from before the tiers) always takes it.
TEST(CudaConventions, MambaStepTiersServeTwiceTheSequencesOfTheOneBefore) {
  const std::vector<std::pair<int64_t, size_t>> fourTiers = {
      {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {16, 3}, {256, 3}};
  for (auto [sequences, tier] : fourTiers)
    EXPECT_EQ(mambaStepTier(sequences, 4), tier) << sequences << " sequences";
  for (int64_t sequences : {1, 2, 64})
    EXPECT_EQ(mambaStepTier(sequences, 1), 0u);
  EXPECT_EQ(mambaStepScanName("mamba_step_h32", 8), "mamba_step_h32_slices8");
}

// The decode graph updates the position of the kernels whose PTX reads
// their last parameter, and of every kernel whose PTX it cannot read.
TEST(CudaGraphs, KernelsThatReadThePositionAreFoundInThePtx) {
  const std::string ptx = R"(.version 8.0
.target sm_90
.address_size 64

.visible .entry add_w64(
	.param .u64 .ptr .align 1 add_w64_param_0,
	.param .u64 add_w64_param_1,
	.param .u64 add_w64_param_2
)
{
	ld.param.b64 	%rd1, [add_w64_param_0];
	ret;
}
.visible .entry add_w64_rope(
	.param .u64 .ptr .align 1 add_w64_rope_param_0,
	.param .u64 add_w64_rope_param_1,
	.param .u64 add_w64_rope_param_2
)
{
	ld.param.b64 	%rd1, [add_w64_rope_param_0];
	ld.param.b64 	%rd2, [add_w64_rope_param_2];
	ret;
}
.visible .entry arrays(
	.param .align 8 .b8 arrays_param_0[16]
)
{
	ret;
}
)";
  // add_w64's last parameter appears in add_w64_rope only.
  EXPECT_FALSE(cuda::namesLastParam(ptx, "add_w64"));
  EXPECT_TRUE(cuda::namesLastParam(ptx, "add_w64_rope"));
  EXPECT_TRUE(cuda::namesLastParam(ptx, "arrays"));
  EXPECT_TRUE(cuda::namesLastParam(ptx, "missing"));
  EXPECT_TRUE(cuda::namesLastParam(ptx, "add"));
  // The hand-written embedding above never reads its position (p16).
  EXPECT_FALSE(cuda::namesLastParam(kEmbedPtx, "test_embed_h64"));
}

namespace {

/// Sets an environment variable for the life of the guard.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      saved = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (saved)
      setenv(name, saved->c_str(), 1);
    else
      unsetenv(name);
  }

private:
  const char *name;
  std::optional<std::string> saved;
};

/// What a CUDA session returns for a fixed script of calls, and how long
/// its decode steps took.
struct DecodeRun {
  std::vector<float> logits; ///< of every call, in order
  int64_t calls = 0;
  double decodeSeconds = 0; ///< of the timed steps
  int64_t timedSteps = 0;
};

/// Runs the script on a new "cuda" session, with CUDA graphs or without:
/// a prompt of 20 tokens (logits of all positions) and `steps` decode
/// steps; reset() and `steps` decode steps from position 0; reset(), a
/// prompt of 7 and `steps` decode steps. Each phase's steps after its
/// second are timed (the first decode step of a session runs eagerly, the
/// second captures the graph).
DecodeRun runDecodeScript(const Artifact &model, bool graphs, int steps) {
  ScopedEnv env("MLRT_CUDA_GRAPHS", graphs ? "1" : "0");
  SessionOptions options;
  options.device = "cuda";
  options.maxTokens = 256;
  options.prefillChunk = 64;
  Expected<Session> session = Session::create(model, options);
  EXPECT_TRUE(session) << session.message();
  DecodeRun run;
  if (!session)
    return run;
  const int32_t vocab = static_cast<int32_t>(model.config().vocab);
  auto keep = [&](const Expected<std::vector<float>> &logits) {
    EXPECT_TRUE(logits) << logits.message();
    if (logits)
      run.logits.insert(run.logits.end(), logits->begin(), logits->end());
    ++run.calls;
  };
  const size_t prompts[] = {20, 0, 7};
  for (int phase = 0; phase < 3; ++phase) {
    session->reset();
    if (prompts[phase])
      keep(session->forward(someTokens(prompts[phase], vocab, 5 + phase),
                            /*allPositions=*/true));
    for (int step = 0; step < steps; ++step) {
      int32_t id = (step * 37 + phase * 11 + 5) % vocab;
      auto t0 = std::chrono::steady_clock::now();
      Expected<std::vector<float>> logits = session->forward({id});
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      if (step >= 2) {
        run.decodeSeconds += seconds;
        ++run.timedSteps;
      }
      keep(logits);
    }
  }
  return run;
}

/// The first float of `a` and `b` whose bits differ; -1 when none do.
int64_t firstBitDifference(const std::vector<float> &a,
                           const std::vector<float> &b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return static_cast<int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<int64_t>(a.size());
}

/// Runs the script with and without graphs and expects the same bits.
void expectGraphsMatchEager(const Artifact &model, const std::string &what,
                            int steps) {
  DecodeRun eager = runDecodeScript(model, /*graphs=*/false, steps);
  DecodeRun graphs = runDecodeScript(model, /*graphs=*/true, steps);
  ASSERT_EQ(eager.logits.size(), graphs.logits.size());
  ASSERT_FALSE(eager.logits.empty());
  int64_t diff = firstBitDifference(eager.logits, graphs.logits);
  EXPECT_EQ(diff, -1) << "logit " << diff << ": eager " << eager.logits[diff]
                      << ", graph " << graphs.logits[diff];
  double eagerMs = eager.decodeSeconds * 1e3 / eager.timedSteps;
  double graphMs = graphs.decodeSeconds * 1e3 / graphs.timedSteps;
  std::printf("[ graphs   ] %s: decode eager %.3f ms/token (%.0f tokens/s), "
              "graph %.3f ms/token (%.0f tokens/s), %.2fx; %lld calls, "
              "logits %s\n",
              what.c_str(), eagerMs, 1e3 / eagerMs, graphMs, 1e3 / graphMs,
              eagerMs / graphMs, (long long)eager.calls,
              diff == -1 ? "bit-identical" : "DIFFER");
}

/// The GEMM of one shape on the GPU against mlrt::cpu::linear.
struct GemmCase {
  int64_t tokens, n, k;
  bool bias;
};

} // namespace

// cuBLAS's fp32 GEMM against the CPU kernel (both fp32, different
// summation orders). The error of each output is measured relative to its
// scale, sum_k |in[t][k] w[r][k]| + |bias[r]|: fp32 rounding bounds it by
// about k * 2^-24 in the worst case and sqrt(k) * 2^-24 typically, so 1e-5
// holds for k up to a few hundred in the worst case and far beyond
// typically.
TEST(CudaGemm, MatchesTheCpuLinear) {
  if (!gpuPresent())
    GTEST_SKIP() << "no GPU: " << cuda::available().message();
  Expected<std::unique_ptr<cuda::CudaDevice>> device = cuda::CudaDevice::open();
  ASSERT_TRUE(device) << device.message();
  cuda::CudaDevice &dev = **device;
  Expected<std::unique_ptr<cuda::Gemm>> gemm = cuda::Gemm::create(dev, 64);
  ASSERT_TRUE(gemm) << gemm.message();
  std::cout << "[ cuBLAS   ] " << (*gemm)->library().path << " on "
            << dev.name() << " (sm_" << dev.computeCapability() << ")\n";
  const std::vector<GemmCase> cases = {
      {1, 576, 576, false},    {7, 576, 576, true},    {64, 576, 576, false},
      {1, 1536, 576, true},    {7, 1536, 576, false},  {64, 1536, 576, false},
      {1, 576, 1536, false},   {64, 576, 1536, true},  {1, 49152, 576, false},
      {7, 49152, 576, false},  {64, 49152, 576, false}, {1, 37, 53, true},
      {7, 37, 53, false},      {64, 37, 53, true}};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto random = [&](size_t n, float scale) {
    std::vector<float> v(n);
    for (float &x : v)
      x = normal(rng) * scale;
    return v;
  };
  for (const GemmCase &c : cases) {
    SCOPED_TRACE(::testing::Message() << c.tokens << " x " << c.n << " x "
                                      << c.k << (c.bias ? " + bias" : ""));
    // The input rows have a wider stride than k, and the output is a
    // column block of a wider buffer, as in the plan's fused projections.
    const int64_t inStride = c.k + 3, outStride = c.n + 5, outColumn = 2;
    std::vector<float> in = random(c.tokens * inStride, 1.0f);
    std::vector<float> w = random(c.n * c.k, 1.0f / std::sqrt(float(c.k)));
    std::vector<float> bias = random(c.n, 1.0f);
    std::vector<float> expected(c.tokens * outStride, 0.0f);
    cpu::Matrix wm{w.data(), DType::F32, c.n, c.k};
    cpu::Matrix bm{bias.data(), DType::F32, 1, c.n};
    cpu::linear(cpu::Rows{in.data(), c.tokens, inStride}, wm,
                c.bias ? &bm : nullptr,
                cpu::Rows{expected.data() + outColumn, c.tokens, outStride});

    auto upload = [&](const std::vector<float> &host) {
      Expected<cuda::DeviceBuffer> b =
          cuda::DeviceBuffer::allocate(dev, host.size() * sizeof(float));
      EXPECT_TRUE(b) << b.message();
      EXPECT_FALSE(b->upload(host.data(), host.size() * sizeof(float)).failed());
      return std::move(*b);
    };
    cuda::DeviceBuffer dIn = upload(in), dW = upload(w), dBias = upload(bias);
    cuda::DeviceBuffer dOut = upload(std::vector<float>(expected.size(), 0.0f));
    CUdeviceptr outPtr = dOut.get() + outColumn * sizeof(float);
    auto call = [&] {
      return (*gemm)->linear(dIn.get(), inStride, c.tokens, dW.get(), c.n,
                             c.k, c.bias ? dBias.get() : 0, outPtr, outStride);
    };
    Status s = call();
    ASSERT_FALSE(s.failed()) << s.message();
    ASSERT_FALSE(dev.synchronize("gemm").failed());
    std::vector<float> got(expected.size());
    ASSERT_FALSE(dOut.download(got.data(), got.size() * sizeof(float)).failed());

    double worst = 0, worstAbs = 0;
    for (int64_t t = 0; t < c.tokens; ++t)
      for (int64_t col = 0; col < outStride; ++col) {
        float g = got[t * outStride + col], e = expected[t * outStride + col];
        int64_t r = col - outColumn;
        if (r < 0 || r >= c.n) { // outside the block: untouched
          ASSERT_EQ(g, 0.0f) << "column " << col << " was written";
          continue;
        }
        double scale = c.bias ? std::fabs(bias[r]) : 0.0;
        for (int64_t k = 0; k < c.k; ++k)
          scale += std::fabs(double(in[t * inStride + k]) * w[r * c.k + k]);
        worst = std::max(worst, std::fabs(double(g) - e) / scale);
        worstAbs = std::max(worstAbs, std::fabs(double(g) - e));
      }
    EXPECT_LE(worst, 1e-5);

    // Timing: 20 calls after 3 warm-ups, between two events.
    const cuda::CudaDriver &d = dev.driver();
    CUevent start = nullptr, stop = nullptr;
    d.cuEventCreate(&start, 0);
    d.cuEventCreate(&stop, 0);
    for (int i = 0; i < 3; ++i)
      ASSERT_FALSE(call().failed());
    d.cuEventRecord(start, dev.stream());
    for (int i = 0; i < 20; ++i)
      ASSERT_FALSE(call().failed());
    d.cuEventRecord(stop, dev.stream());
    d.cuEventSynchronize(stop);
    float ms = 0;
    d.cuEventElapsedTime(&ms, start, stop);
    d.cuEventDestroy(start);
    d.cuEventDestroy(stop);
    double us = ms * 1000.0 / 20;
    double gflops = 2.0 * c.tokens * c.n * c.k / (us * 1e3);
    std::printf("[ gemm     ] %3lld x %5lld x %4lld%s: max err/scale %.2e, "
                "max abs err %.2e, %8.1f us, %7.1f GFLOP/s\n",
                (long long)c.tokens, (long long)c.n, (long long)c.k,
                c.bias ? " +b" : "   ", worst, worstAbs, us, gflops);
  }
}

// The Linear-only plan: a hand-written PTX kernel (the embedding) and
// cuBLAS (linears with a bias, without, two fused weights, the LM head),
// bf16 weights converted to f32 on upload; against the CPU backend for a
// prompt in chunks, decode steps, all positions and the last.
TEST_F(CudaBackendTest, LinearPlanMatchesTheCpu) {
  if (!gpuPresent())
    GTEST_SKIP() << "no GPU: " << cuda::available().message();
  Expected<Artifact> opened = open(buildLinearArtifact(/*gpuCode=*/true));
  ASSERT_TRUE(opened) << opened.message();
  const Artifact &model = *opened;
  Expected<Session> gpu = Session::create(model, on("cuda"));
  ASSERT_TRUE(gpu) << gpu.message();
  EXPECT_STREQ(gpu->device(), "cuda");
  Expected<Session> autoSession = Session::create(model, on("auto"));
  ASSERT_TRUE(autoSession) << autoSession.message();
  EXPECT_STREQ(autoSession->device(), "cuda");
  Expected<Session> cpu = Session::create(model, on("cpu"));
  ASSERT_TRUE(cpu) << cpu.message();

  std::vector<int32_t> prompt = someTokens(37, 256, 3); // 3 chunks of 16
  for (bool all : {true, false}) {
    gpu->reset();
    cpu->reset();
    Expected<std::vector<float>> g = gpu->forward(prompt, all);
    Expected<std::vector<float>> c = cpu->forward(prompt, all);
    ASSERT_TRUE(g) << g.message();
    ASSERT_TRUE(c) << c.message();
    float diff = maxAbsDiff(*g, *c), scale = maxAbs(*c);
    std::printf("[ linear   ] prompt of 37, %s: max |cuda - cpu| %.3g of "
                "max |logit| %.3g\n",
                all ? "all positions" : "last position", diff, scale);
    EXPECT_GT(scale, 0.0f);
    EXPECT_LE(diff, 1e-5f * std::max(1.0f, scale));
    for (int32_t id : {5, 77, 255}) {
      g = gpu->forward({id});
      c = cpu->forward({id});
      ASSERT_TRUE(g) << g.message();
      ASSERT_TRUE(c) << c.message();
      EXPECT_LE(maxAbsDiff(*g, *c), 1e-5f * std::max(1.0f, maxAbs(*c)));
    }
  }
}

// The Linear-only plan's decode graph: cuBLAS nodes and a kernel that does
// not read the position.
TEST_F(CudaBackendTest, LinearPlanDecodeGraphMatchesEagerBitForBit) {
  if (!gpuPresent())
    GTEST_SKIP() << "no GPU: " << cuda::available().message();
  Expected<Artifact> opened = open(buildLinearArtifact(/*gpuCode=*/true));
  ASSERT_TRUE(opened) << opened.message();
  expectGraphsMatchEager(*opened, "linear plan", 8);
}

/// The models compiled with --target=cuda that MLRT_CUDA_TEST_ARTIFACTS
/// lists (colon-separated); the tests skip without them or without a GPU.
class CudaModels : public ::testing::Test {
protected:
  void SetUp() override {
    const char *list = std::getenv("MLRT_CUDA_TEST_ARTIFACTS");
    if (!list || !*list)
      GTEST_SKIP() << "MLRT_CUDA_TEST_ARTIFACTS is not set";
    if (!gpuPresent())
      GTEST_SKIP() << "no GPU: " << cuda::available().message();
    std::stringstream all(list);
    for (std::string path; std::getline(all, path, ':');)
      if (!path.empty())
        paths.push_back(path);
  }
  std::vector<std::string> paths;
};

// Models compiled with ml-compile --target=cuda (a colon-separated list in
// MLRT_CUDA_TEST_ARTIFACTS): logits of every prompt position and of decode
// steps, cuda against cpu, then greedy tokens picked on each. Skipped when
// the variable is not set.
TEST_F(CudaModels, CompiledModelsMatchTheCpu) {
  for (const std::string &path : paths) {
    SCOPED_TRACE(path);
    Expected<Artifact> model = Artifact::open(path);
    ASSERT_TRUE(model) << model.message();
    SessionOptions options;
    options.maxTokens = 256;
    options.prefillChunk = 64;
    options.device = "cuda";
    Expected<Session> gpu = Session::create(*model, options);
    ASSERT_TRUE(gpu) << gpu.message();
    options.device = "cpu";
    Expected<Session> cpu = Session::create(*model, options);
    ASSERT_TRUE(cpu) << cpu.message();
    int32_t vocab = static_cast<int32_t>(model->config().vocab);
    std::vector<int32_t> prompt = someTokens(100, vocab, 11);
    auto t0 = std::chrono::steady_clock::now();
    Expected<std::vector<float>> g = gpu->forward(prompt, true);
    auto t1 = std::chrono::steady_clock::now();
    Expected<std::vector<float>> c = cpu->forward(prompt, true);
    ASSERT_TRUE(g) << g.message();
    ASSERT_TRUE(c) << c.message();
    float prefill = maxAbsDiff(*g, *c), scale = maxAbs(*c);
    float decode = 0;
    double decodeSeconds = 0;
    for (int step = 0; step < 16; ++step) {
      int32_t id = (step * 37 + 5) % vocab;
      auto s0 = std::chrono::steady_clock::now();
      g = gpu->forward({id});
      decodeSeconds += std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - s0)
                           .count();
      c = cpu->forward({id});
      ASSERT_TRUE(g) << g.message();
      ASSERT_TRUE(c) << c.message();
      decode = std::max(decode, maxAbsDiff(*g, *c));
    }
    std::printf("[ model    ] %s: max |cuda - cpu| prefill(100, chunks of "
                "64) %.3g, decode(16) %.3g, max |logit| %.3g; cuda prefill "
                "%.2f ms, decode %.3f ms/token\n",
                path.c_str(), prefill, decode, scale,
                std::chrono::duration<double>(t1 - t0).count() * 1e3,
                decodeSeconds * 1e3 / 16);
    EXPECT_LE(prefill, 2e-3f);
    EXPECT_LE(decode, 2e-3f);
    // Greedy tokens picked on the GPU (the generated argmax kernel) are the
    // CPU's first maximum.
    std::vector<int32_t> input = {1};
    for (int step = 0; step < 24; ++step) {
      Expected<int32_t> next = gpu->forwardGreedy(input);
      c = cpu->forward(input);
      ASSERT_TRUE(next) << next.message();
      ASSERT_TRUE(c) << c.message();
      ASSERT_EQ(*next, std::max_element(c->begin(), c->end()) - c->begin())
          << "greedy step " << step;
      input = {*next};
    }
  }
}

// The decode graphs of the compiled models (MLRT_CUDA_TEST_ARTIFACTS):
// every logit of a script of prompts, decode steps and resets equals the
// eager run's, bit for bit.
TEST_F(CudaModels, DecodeGraphsMatchEagerBitForBit) {
  for (const std::string &path : paths) {
    SCOPED_TRACE(path);
    Expected<Artifact> model = Artifact::open(path);
    ASSERT_TRUE(model) << model.message();
    expectGraphsMatchEager(*model, path, 32);
  }
}

// Batched decode on the compiled models (MLRT_CUDA_TEST_ARTIFACTS): three
// sequences with prompts of different tokens and lengths (a ragged batch:
// each steps at its own position) step together (graphs on, as
// configured), each with its own tokens; every
// sequence's logits match those of a single-sequence GPU session fed the
// same tokens (the same kernels but the projections, whose tensor-core GEMV
// of several rows splits the inputs into bf16 hi + lo terms) and the CPU
// backend's batch within the CPU tolerance. A copied sequence continues
// like its source.
TEST_F(CudaModels, BatchedStepsMatchSingleSequences) {
  constexpr int64_t kBatch = 3;
  for (const std::string &path : paths) {
    SCOPED_TRACE(path);
    Expected<Artifact> model = Artifact::open(path);
    ASSERT_TRUE(model) << model.message();
    const int32_t vocab = static_cast<int32_t>(model->config().vocab);
    SessionOptions options;
    options.maxTokens = 128;
    options.prefillChunk = 64;
    options.batch = kBatch;
    options.device = "cuda";
    Expected<Session> batch = Session::create(*model, options);
    ASSERT_TRUE(batch) << batch.message();
    options.device = "cpu";
    Expected<Session> cpuBatch = Session::create(*model, options);
    ASSERT_TRUE(cpuBatch) << cpuBatch.message();
    options.batch = 1;
    options.device = "cuda";
    std::vector<Session> singles;
    for (int64_t s = 0; s < kBatch; ++s) {
      Expected<Session> one = Session::create(*model, options);
      ASSERT_TRUE(one) << one.message();
      singles.push_back(std::move(*one));
    }
    // Sequence 2 starts as a copy of sequence 1.
    for (int64_t s = 0; s < kBatch; ++s) {
      std::vector<int32_t> prompt =
          someTokens(s == 0 ? 40 : 29, vocab, s == 2 ? 21 : 20 + s);
      ASSERT_TRUE(singles[s].forward(prompt));
      if (s == 2) {
        ASSERT_FALSE(batch->copySequence(1, 2).failed());
        ASSERT_FALSE(cpuBatch->copySequence(1, 2).failed());
        continue;
      }
      ASSERT_TRUE(batch->forward(prompt, false, s));
      ASSERT_TRUE(cpuBatch->forward(prompt, false, s));
    }
    float gpuGap = 0, cpuGap = 0;
    for (int step = 0; step < 12; ++step) {
      std::vector<int32_t> ids;
      for (int64_t s = 0; s < kBatch; ++s)
        ids.push_back(static_cast<int32_t>((step * 37 + 11 * s + 5) % vocab));
      Expected<std::vector<float>> g = batch->step(ids);
      Expected<std::vector<float>> c = cpuBatch->step(ids);
      ASSERT_TRUE(g) << g.message();
      ASSERT_TRUE(c) << c.message();
      cpuGap = std::max(cpuGap, maxAbsDiff(*g, *c));
      for (int64_t s = 0; s < kBatch; ++s) {
        Expected<std::vector<float>> one = singles[s].forward({ids[s]});
        ASSERT_TRUE(one) << one.message();
        std::vector<float> row(g->begin() + s * vocab,
                               g->begin() + (s + 1) * vocab);
        gpuGap = std::max(gpuGap, maxAbsDiff(row, *one));
      }
    }
    std::printf("[ model    ] %s: batch of %lld, max |batched - single| %.3g, "
                "max |cuda - cpu| %.3g\n",
                path.c_str(), (long long)kBatch, gpuGap, cpuGap);
    EXPECT_LE(gpuGap, 2e-4f);
    EXPECT_LE(cpuGap, 2e-3f);
    // Greedy steps pick each sequence's first maximum on the GPU.
    std::vector<int32_t> ids(kBatch, 1);
    for (int step = 0; step < 4; ++step) {
      Expected<std::vector<float>> c = cpuBatch->step(ids);
      Expected<std::vector<int32_t>> next = batch->stepGreedy(ids);
      ASSERT_TRUE(c) << c.message();
      ASSERT_TRUE(next) << next.message();
      for (int64_t s = 0; s < kBatch; ++s) {
        auto row = c->begin() + s * vocab;
        EXPECT_EQ((*next)[s], std::max_element(row, row + vocab) - row)
            << "greedy step " << step << ", sequence " << s;
      }
      ids = *next;
    }
  }
}

#endif // MLRT_HAVE_CUDA
