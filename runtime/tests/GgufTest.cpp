//===- GgufTest.cpp - GGUF reading and ggml dequantisation ----------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Inputs/gguf/blocks.gguf holds random blocks of every type we dequantise,
// written by llama.cpp's gguf package; blocks.expected.json has the SHA-256
// of gguf's own numpy dequantisation of each (scripts/make_gguf_fixture.py).
//
//===----------------------------------------------------------------------===//

#include "mlrt/Gguf.h"
#include "mlrt/Json.h"
#include "mlrt/Sha256.h"

#include <gtest/gtest.h>

using namespace mlrt;

namespace {

std::string input(const char *name) {
  return std::string(MLOPT_SOURCE_DIR) + "/runtime/tests/Inputs/gguf/" + name;
}

TEST(Gguf, DequantisesLikeTheReferenceImplementation) {
  Expected<GgufFile> file = GgufFile::open(input("blocks.gguf"));
  ASSERT_TRUE(file) << file.message();
  Expected<std::string> text = readFile(input("blocks.expected.json"));
  ASSERT_TRUE(text);
  Expected<json::Value> expected = json::parse(*text);
  ASSERT_TRUE(expected);
  ASSERT_EQ(file->tensors().size(), expected->getObject().size());
  for (const json::Member &m : expected->getObject()) {
    const GgufTensor *t = file->findTensor(m.first);
    ASSERT_NE(t, nullptr) << m.first;
    std::vector<float> values(t->numElements);
    Status s = dequantize(t->type, t->data, t->numElements, values.data());
    ASSERT_TRUE(s) << s.message();
    Sha256 h;
    h.update(values.data(), values.size() * 4);
    EXPECT_EQ(h.hexDigest(), m.second.getString()) << m.first;
  }
}

TEST(Gguf, ReadsMetadata) {
  Expected<GgufFile> file = GgufFile::open(input("blocks.gguf"));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->version(), 3u);
  const GgufValue *arch = file->get("general.architecture");
  ASSERT_NE(arch, nullptr);
  EXPECT_EQ(arch->type, GgufValue::Type::String);
  EXPECT_EQ(arch->string, "test");
  EXPECT_EQ(file->get("no.such.key"), nullptr);
  const GgufTensor *q4k = file->findTensor("q4_k");
  ASSERT_NE(q4k, nullptr);
  EXPECT_EQ(q4k->ne, (std::vector<int64_t>{512, 3}));
  EXPECT_EQ(q4k->numBytes, 3u * 2 * 144);
}

TEST(Gguf, RefusesUnsupportedBlocks) {
  std::vector<uint8_t> block(22);
  std::vector<float> out(32);
  Status s = dequantize(GgmlType::Q5_0, block.data(), 32, out.data());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "dequantising ggml type Q5_0 is not supported "
                         "(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, "
                         "Q6_K)");
  Status partial = dequantize(GgmlType::Q8_0, block.data(), 16, out.data());
  ASSERT_FALSE(partial);
  EXPECT_EQ(partial.message(), "16 elements are not whole Q8_0 blocks");
}

} // namespace
