//===- SafetensorsTest.cpp - safetensors reading, writing, validation -----===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The reader is checked on a file written by the reference Python library
// (Inputs/safetensors/python-written.safetensors, made with
// safetensors.numpy.save_file) and on hand-corrupted files; the writer by
// reading back what it wrote, sharded or not.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Safetensors.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlrt;

namespace {

std::string inputPath(const char *name) {
  return std::string(MLOPT_SOURCE_DIR) + "/runtime/tests/Inputs/safetensors/" +
         name;
}

/// A fresh scratch directory per test.
class SafetensorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mlrt-st-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    if (DIR *d = opendir(dir.c_str())) {
      while (dirent *e = readdir(d))
        if (e->d_name[0] != '.')
          std::remove((dir + "/" + e->d_name).c_str());
      closedir(d);
    }
    rmdir(dir.c_str());
  }
  std::vector<std::string> listDir() {
    std::vector<std::string> names;
    if (DIR *d = opendir(dir.c_str())) {
      while (dirent *e = readdir(d))
        if (e->d_name[0] != '.')
          names.push_back(e->d_name);
      closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  /// Writes `header` with its length prefix followed by `data` bytes.
  std::string writeRaw(const std::string &header, size_t dataBytes,
                       int64_t lengthOverride = -1) {
    std::string path = dir + "/raw.safetensors";
    std::ofstream f(path, std::ios::binary);
    uint64_t n = lengthOverride >= 0 ? lengthOverride : header.size();
    for (int i = 0; i < 8; ++i)
      f.put(static_cast<char>(n >> (8 * i)));
    f << header << std::string(dataBytes, '\0');
    return path;
  }
  std::string openError(const std::string &path) {
    Expected<SafetensorsFile> st = SafetensorsFile::open(path);
    return st ? "" : st.message();
  }
  std::string dir;
};

TEST_F(SafetensorsTest, ReadsFileWrittenByPythonLibrary) {
  Expected<SafetensorsFile> st =
      SafetensorsFile::open(inputPath("python-written.safetensors"));
  ASSERT_TRUE(st) << st.message();
  ASSERT_EQ(st->tensors().size(), 3u);
  const TensorInfo *a = st->find("w.a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  const float *av = reinterpret_cast<const float *>(st->data(*a));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(av[i], i * 0.5f);
  const TensorInfo *b = st->find("w.b");
  ASSERT_NE(b, nullptr);
  float bv[4];
  convertToF32(DType::F16, st->data(*b), bv, 4);
  EXPECT_EQ(bv[0], 1.0f);
  EXPECT_EQ(bv[1], -2.0f);
  EXPECT_EQ(bv[2], 65504.0f);
  const TensorInfo *c = st->find("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(reinterpret_cast<const int64_t *>(st->data(*c))[1], -8);
  ASSERT_EQ(st->metadata().size(), 2u);
}

TEST_F(SafetensorsTest, WriteThenReadIsExact) {
  std::vector<uint16_t> bf16 = {0x3f80, 0xc000, 0x0001, 0x7f80};
  std::vector<float> f32 = {1.5f, -0.25f};
  std::vector<TensorToWrite> tensors = {
      {"x", DType::BF16, {2, 2}, bf16.data(), {}},
      {"y",
       DType::F32,
       {2},
       nullptr,
       [&](uint8_t *dst) {
         std::memcpy(dst, f32.data(), 8);
         return Status::ok();
       }},
      {"empty", DType::F32, {0, 3}, nullptr, [](uint8_t *) {
         return Status::ok();
       }}};
  std::string path = dir + "/m.safetensors";
  Status s = writeSafetensors(path, tensors);
  ASSERT_TRUE(s) << s.message();
  Expected<SafetensorsFile> st = SafetensorsFile::open(path);
  ASSERT_TRUE(st) << st.message();
  ASSERT_EQ(st->tensors().size(), 3u);
  EXPECT_EQ(st->tensors()[0].name, "x"); // order kept
  EXPECT_EQ(std::memcmp(st->data(*st->find("x")), bf16.data(), 8), 0);
  EXPECT_EQ(std::memcmp(st->data(*st->find("y")), f32.data(), 8), 0);
  EXPECT_EQ(st->find("empty")->numBytes(), 0u);
  EXPECT_EQ((8 + st->find("x")->begin) % 8, 0u) << "data must be 8-aligned";
}

TEST_F(SafetensorsTest, ShardsAndIndexReadBackAsOneStore) {
  std::vector<float> v(256);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(i);
  std::vector<TensorToWrite> tensors;
  for (int i = 0; i < 5; ++i)
    tensors.push_back(
        {"t" + std::to_string(i), DType::F32, {64}, v.data() + 32 * i, {}});
  Expected<std::vector<std::string>> names =
      writeSafetensorsShards(dir, tensors, /*maxShardBytes=*/600);
  ASSERT_TRUE(names) << names.message();
  EXPECT_EQ(listDir(),
            (std::vector<std::string>{"model-00001-of-00003.safetensors",
                                      "model-00002-of-00003.safetensors",
                                      "model-00003-of-00003.safetensors",
                                      "model.safetensors.index.json"}));
  Expected<WeightStore> store = WeightStore::open(dir);
  ASSERT_TRUE(store) << store.message();
  EXPECT_EQ(store->files().size(), 3u);
  EXPECT_EQ(store->totalBytes(), 5u * 256);
  for (int i = 0; i < 5; ++i) {
    WeightStore::Entry e = store->find("t" + std::to_string(i));
    ASSERT_NE(e.file, nullptr);
    EXPECT_EQ(reinterpret_cast<const float *>(e.data())[0], 32.0f * i);
  }
}

TEST_F(SafetensorsTest, FailedWriteLeavesNothingBehind) {
  std::vector<TensorToWrite> tensors = {
      {"ok", DType::F32, {1}, nullptr, [](uint8_t *) { return Status::ok(); }},
      {"bad", DType::F32, {1}, nullptr, [](uint8_t *) -> Status {
         return Error("cannot produce 'bad'");
       }}};
  Status s = writeSafetensors(dir + "/m.safetensors", tensors);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "cannot produce 'bad'");
  Expected<std::vector<std::string>> sharded =
      writeSafetensorsShards(dir, tensors, 1);
  ASSERT_FALSE(sharded);
  EXPECT_TRUE(listDir().empty());
  std::vector<TensorToWrite> twice = {{"a", DType::F32, {0}, nullptr, {}},
                                      {"a", DType::F32, {0}, nullptr, {}}};
  Status dup = writeSafetensors(dir + "/m.safetensors", twice);
  EXPECT_EQ(dup.message(), "tensor 'a' is written twice");
  EXPECT_TRUE(listDir().empty());
}

TEST_F(SafetensorsTest, RejectsCorruptFiles) {
  const std::string entry =
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  struct Case {
    std::string header;
    size_t dataBytes;
    int64_t lengthOverride;
    std::string message; // after "<path>: "
  } cases[] = {
      {"{" + entry + "}", 4, -1,
       "the tensors cover 8 bytes of data but the file holds 4 (truncated "
       "file?)"},
      {"{" + entry + "}", 12, -1,
       "the tensors cover 8 bytes of data but the file holds 12"},
      {"{" + entry + "}", 8, 4096,
       "header length 4096 runs past the end of the file (70 bytes)"},
      {"{" + entry + "}", 8, 200000000,
       "header length 200000000 exceeds the safetensors limit of 100000000 "
       "bytes"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       12, -1,
       "tensor 'b' starts at byte 4 of the data section, expected 8 (it "
       "overlaps the previous tensor)"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
       16, -1,
       "tensor 'b' starts at byte 12 of the data section, expected 8 (there is "
       "a gap before it)"},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, -1,
       "tensor 'a': shape [3] of F32 needs 12 bytes but data_offsets span 8"},
      {R"({"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", 8, -1,
       "tensor 'a': unsupported dtype 'F8_E4M3' (supported: F32, F16, BF16, "
       "F64, I64, I32, I16, I8, U8, BOOL)"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8, -1,
       "tensor 'a': data_offsets [8, 0] are not an ordered byte range"},
      {R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})",
       8, -1,
       "tensor 'a': shape [4611686018427387904, 4] of F32 needs more bytes "
       "than any file can hold but data_offsets span 8"},
      {R"({"a":{"dtype":"F32","shape":[2]}})", 8, -1,
       "tensor 'a': expected 'data_offsets' to be two integers [begin, end]"},
      {R"({"__metadata__":{"format":1}})", 0, -1,
       "__metadata__ value 'format' must be a string"},
      {R"({"a":)", 0, -1,
       "malformed header: JSON error at line 1, column 6: unexpected end of "
       "input, expected a value"},
      {"[]", 0, -1, "header is not a JSON object"},
      {R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})",
       5, -1,
       "tensor 'b' starts at byte 115 of the file, not a multiple of its 4-byte elements"},
  };
  for (const Case &c : cases) {
    std::string path = writeRaw(c.header, c.dataBytes, c.lengthOverride);
    EXPECT_EQ(openError(path), path + ": " + c.message) << c.header;
  }
  std::string tiny = dir + "/tiny.safetensors";
  std::ofstream(tiny) << "abc";
  EXPECT_EQ(openError(tiny), tiny +
                                 ": truncated safetensors file: 3 bytes, "
                                 "expected at least the 8-byte header length");
  EXPECT_EQ(openError(dir + "/missing.safetensors"),
            dir +
                "/missing.safetensors: cannot open: No such file or directory");
}

TEST_F(SafetensorsTest, RejectsInconsistentIndex) {
  std::vector<float> v(4);
  std::vector<TensorToWrite> one = {{"a", DType::F32, {4}, v.data(), {}}};
  ASSERT_TRUE(writeSafetensors(dir + "/part.safetensors", one));
  std::ofstream(dir + "/model.safetensors.index.json")
      << R"({"metadata":{},"weight_map":{"a":"part.safetensors","b":"part.safetensors"}})";
  Expected<WeightStore> store = WeightStore::open(dir);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.message(), dir + "/model.safetensors.index.json: tensor 'b' "
                                   "is mapped to part.safetensors but that "
                                   "file does not contain it");
  Expected<WeightStore> none = WeightStore::open(dir + "/nothing");
  ASSERT_FALSE(none);
}

} // namespace
