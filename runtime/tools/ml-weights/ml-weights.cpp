//===- ml-weights.cpp - Inspect and compare weight stores -----------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-weights list STORE [--sha256]   name, dtype, shape, bytes (and the
//                                      SHA-256 of the values as f32)
//   ml-weights diff STORE_A STORE_B    exit 0 iff both hold the same tensors
//                                      with the same dtype, shape and bits
//
// STORE is a .safetensors file, an index .json or a model directory. A
// runtime tool: it links no compiler code.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Safetensors.h"
#include "mlrt/Sha256.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

using namespace mlrt;

static int usage() {
  std::fprintf(stderr, "usage: ml-weights list STORE [--sha256]\n"
                       "       ml-weights diff STORE_A STORE_B\n");
  return 2;
}

static std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

static Expected<WeightStore> openOrReport(const char *path) {
  Expected<WeightStore> store = WeightStore::open(path);
  if (!store)
    std::fprintf(stderr, "ml-weights: error: %s\n", store.message().c_str());
  return store;
}

static int list(const char *path, bool sha) {
  Expected<WeightStore> store = openOrReport(path);
  if (!store)
    return 1;
  for (const WeightStore::Entry &e : store->entries()) {
    std::printf("%s %s %s %llu", e.info->name.c_str(),
                std::string(dtypeName(e.info->dtype)).c_str(),
                shapeText(e.info->shape).c_str(),
                static_cast<unsigned long long>(e.info->numBytes()));
    if (sha && isFloat(e.info->dtype)) {
      std::vector<float> f32(e.info->numElements());
      convertToF32(e.info->dtype, e.data(), f32.data(), f32.size());
      Sha256 h;
      h.update(f32.data(), f32.size() * 4);
      std::printf(" %s", h.hexDigest().c_str());
    }
    std::printf("\n");
  }
  return 0;
}

static int diff(const char *pathA, const char *pathB) {
  Expected<WeightStore> a = openOrReport(pathA), b = openOrReport(pathB);
  if (!a || !b)
    return 1;
  std::map<std::string, WeightStore::Entry> left, right;
  for (const WeightStore::Entry &e : a->entries())
    left[e.info->name] = e;
  for (const WeightStore::Entry &e : b->entries())
    right[e.info->name] = e;
  int differences = 0;
  uint64_t bytes = 0;
  for (const auto &[name, e] : left) {
    auto it = right.find(name);
    if (it == right.end()) {
      std::printf("only in %s: %s\n", pathA, name.c_str());
      ++differences;
      continue;
    }
    const TensorInfo &x = *e.info, &y = *it->second.info;
    if (x.dtype != y.dtype || x.shape != y.shape) {
      std::printf(
          "%s: %s %s vs %s %s\n", name.c_str(),
          std::string(dtypeName(x.dtype)).c_str(), shapeText(x.shape).c_str(),
          std::string(dtypeName(y.dtype)).c_str(), shapeText(y.shape).c_str());
      ++differences;
    } else if (std::memcmp(e.data(), it->second.data(), x.numBytes()) != 0) {
      std::printf("%s: values differ\n", name.c_str());
      ++differences;
    }
    bytes += x.numBytes();
  }
  for (const auto &[name, e] : right)
    if (!left.count(name)) {
      std::printf("only in %s: %s\n", pathB, name.c_str());
      ++differences;
    }
  if (differences)
    return 1;
  std::printf("identical: %zu tensors, %llu bytes\n", left.size(),
              static_cast<unsigned long long>(bytes));
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && std::strcmp(argv[1], "list") == 0)
    return list(argv[2], argc == 4 && std::strcmp(argv[3], "--sha256") == 0);
  if (argc == 4 && std::strcmp(argv[1], "diff") == 0)
    return diff(argv[2], argv[3]);
  return usage();
}
