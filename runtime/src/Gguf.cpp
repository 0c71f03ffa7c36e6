//===- Gguf.cpp - Reading GGUF v3 files -----------------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Layout (ggml docs/gguf.md): magic "GGUF", u32 version, u64 tensor count,
// u64 metadata count, the key/values, the tensor infos (name, u32 n_dims,
// u64 ne[n_dims], u32 type, u64 offset), then, at the next multiple of
// general.alignment (default 32), the data section that offsets index.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Gguf.h"

#include <algorithm>
#include <cstring>

using namespace mlrt;

namespace {
constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::F32, "F32", 1, 4, true},
    {GgmlType::F16, "F16", 1, 2, true},
    {GgmlType::Q4_0, "Q4_0", 32, 18, true},
    {GgmlType::Q4_1, "Q4_1", 32, 20, true},
    {GgmlType::Q5_0, "Q5_0", 32, 22, false},
    {GgmlType::Q5_1, "Q5_1", 32, 24, false},
    {GgmlType::Q8_0, "Q8_0", 32, 34, true},
    {GgmlType::Q8_1, "Q8_1", 32, 36, false},
    {GgmlType::Q2_K, "Q2_K", 256, 84, false},
    {GgmlType::Q3_K, "Q3_K", 256, 110, false},
    {GgmlType::Q4_K, "Q4_K", 256, 144, true},
    {GgmlType::Q5_K, "Q5_K", 256, 176, false},
    {GgmlType::Q6_K, "Q6_K", 256, 210, true},
    {GgmlType::Q8_K, "Q8_K", 256, 292, false},
    {GgmlType::BF16, "BF16", 1, 2, true},
};

// Bounds that no real model reaches; they keep hostile counts from turning
// into huge allocations before the file runs out.
constexpr uint64_t kMaxTensors = 1 << 20;
constexpr uint64_t kMaxKeys = 1 << 20;
constexpr int kMaxDims = 4;

/// A bounds-checked little-endian reader over the mapped file.
class Cursor {
public:
  Cursor(const uint8_t *begin, const uint8_t *end)
      : p(begin), begin(begin), end(end) {}

  template <typename T> bool read(T &out) {
    if (static_cast<size_t>(end - p) < sizeof(T))
      return false;
    std::memcpy(&out, p, sizeof(T));
    p += sizeof(T);
    return true;
  }
  bool readString(std::string_view &out) {
    uint64_t n;
    if (!read(n) || n > static_cast<uint64_t>(end - p))
      return false;
    out = std::string_view(reinterpret_cast<const char *>(p), n);
    p += n;
    return true;
  }
  uint64_t offset() const { return p - begin; }
  uint64_t remaining() const { return end - p; }

  const uint8_t *p;
  const uint8_t *begin, *end;
};
} // namespace

const GgmlTypeInfo *mlrt::ggmlTypeInfo(uint32_t id) {
  for (const GgmlTypeInfo &info : kTypes)
    if (static_cast<uint32_t>(info.type) == id)
      return &info;
  return nullptr;
}

bool GgufValue::isInteger() const {
  switch (type) {
  case Type::U8:
  case Type::I8:
  case Type::U16:
  case Type::I16:
  case Type::U32:
  case Type::I32:
  case Type::U64:
  case Type::I64:
  case Type::Bool:
    return true;
  default:
    return false;
  }
}

std::optional<double> GgufValue::asNumber() const {
  if (isFloat())
    return real;
  if (isInteger())
    return static_cast<double>(integer);
  return std::nullopt;
}

const char *GgufValue::typeName(Type type) {
  static const char *names[] = {
      "uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
      "bool",  "string", "array",  "uint64", "int64",  "float64"};
  uint32_t i = static_cast<uint32_t>(type);
  return i < 13 ? names[i] : "unknown";
}

/// Reads one value of `type`; arrays recurse once (ggml rejects nesting).
static Status readValue(Cursor &c, GgufValue::Type type, GgufValue &out,
                        const std::string &key, bool inArray) {
  using T = GgufValue::Type;
  out.type = type;
  auto truncated = [&]() {
    return Error() << "metadata '" << key << "' runs past the end of the file";
  };
  switch (type) {
  case T::U8: {
    uint8_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::I8: {
    int8_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::U16: {
    uint16_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::I16: {
    int16_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::U32: {
    uint32_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::I32: {
    int32_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::U64: {
    uint64_t v;
    if (!c.read(v))
      return truncated();
    out.integer = static_cast<int64_t>(v);
    break;
  }
  case T::I64: {
    int64_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v;
    break;
  }
  case T::F32: {
    float v;
    if (!c.read(v))
      return truncated();
    out.real = v;
    break;
  }
  case T::F64: {
    double v;
    if (!c.read(v))
      return truncated();
    out.real = v;
    break;
  }
  case T::Bool: {
    uint8_t v;
    if (!c.read(v))
      return truncated();
    out.integer = v != 0;
    break;
  }
  case T::String:
    if (!c.readString(out.string))
      return truncated();
    break;
  case T::Array: {
    if (inArray)
      return Error() << "metadata '" << key << "' nests arrays, which GGUF "
                     << "readers do not support";
    uint32_t elem;
    uint64_t count;
    if (!c.read(elem) || !c.read(count))
      return truncated();
    if (elem > static_cast<uint32_t>(T::F64))
      return Error() << "metadata '" << key << "' has arrays of unknown type "
                     << elem;
    out.elementType = static_cast<T>(elem);
    // Every element takes at least one byte: a count beyond the bytes left
    // is a corrupt file, not a reason to allocate.
    if (count > c.remaining())
      return Error() << "metadata '" << key << "' claims " << count
                     << " elements but only " << c.remaining()
                     << " bytes remain";
    out.items.resize(count);
    for (GgufValue &item : out.items)
      MLRT_RETURN_IF_ERROR(readValue(c, out.elementType, item, key, true));
    break;
  }
  default:
    return Error() << "metadata '" << key << "' has unknown value type "
                   << static_cast<uint32_t>(type);
  }
  return Status::ok();
}

Expected<GgufFile> GgufFile::open(const std::string &path) {
  Expected<MappedFile> mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.takeError();
  return open(std::move(*mapped));
}

Expected<GgufFile> GgufFile::open(MappedFile file) {
  const std::string path = file.path();
  GgufFile gguf;
  gguf.file_ = std::move(file);
  auto bad = [&](const std::string &what) {
    return Error() << path << ": " << what;
  };
  Cursor c(gguf.file_.data(), gguf.file_.data() + gguf.file_.size());
  uint32_t magic;
  if (!c.read(magic) || magic != 0x46554747u)
    return bad("not a GGUF file (expected the magic bytes 'GGUF')");
  uint64_t tensorCount, kvCount;
  if (!c.read(gguf.version_) || !c.read(tensorCount) || !c.read(kvCount))
    return bad("truncated GGUF header");
  if ((gguf.version_ & 0xFFFF) == 0)
    return bad("GGUF version " + std::to_string(gguf.version_) +
               " looks byte-swapped: big-endian files are not supported");
  if (gguf.version_ < 2 || gguf.version_ > 3)
    return bad("unsupported GGUF version " + std::to_string(gguf.version_) +
               " (supported: 2, 3)");
  if (tensorCount > kMaxTensors || kvCount > kMaxKeys)
    return bad("implausible counts: " + std::to_string(tensorCount) +
               " tensors, " + std::to_string(kvCount) + " metadata keys");

  for (uint64_t i = 0; i < kvCount; ++i) {
    std::string_view key;
    uint32_t type;
    if (!c.readString(key) || !c.read(type))
      return bad("truncated metadata entry " + std::to_string(i));
    if (key.empty())
      return bad("metadata entry " + std::to_string(i) + " has an empty key");
    std::string keyString(key);
    if (gguf.keyIndex_.count(keyString))
      return bad("duplicate metadata key '" + keyString + "'");
    GgufValue value;
    Status s = readValue(c, static_cast<GgufValue::Type>(type), value,
                         keyString, false);
    if (s.failed())
      return bad(s.message());
    gguf.keyIndex_[keyString] = gguf.metadata_.size();
    gguf.metadata_.emplace_back(std::move(keyString), std::move(value));
  }

  uint64_t alignment = 32;
  if (const GgufValue *a = gguf.get("general.alignment")) {
    if (a->type != GgufValue::Type::U32 || a->integer == 0 ||
        (a->integer & (a->integer - 1)) != 0)
      return bad("general.alignment must be a power of two stored as uint32");
    alignment = static_cast<uint64_t>(a->integer);
  }

  struct Pending {
    uint64_t offset;
  };
  std::vector<Pending> offsets;
  for (uint64_t i = 0; i < tensorCount; ++i) {
    std::string_view name;
    uint32_t nDims;
    if (!c.readString(name) || !c.read(nDims))
      return bad("truncated tensor info " + std::to_string(i));
    if (nDims == 0 || nDims > kMaxDims)
      return bad("tensor '" + std::string(name) + "' has " +
                 std::to_string(nDims) + " dimensions (expected 1 to 4)");
    GgufTensor t;
    t.name = std::string(name);
    t.numElements = 1;
    for (uint32_t d = 0; d < nDims; ++d) {
      uint64_t ne;
      if (!c.read(ne))
        return bad("truncated tensor info for '" + t.name + "'");
      if (ne == 0 || ne > (uint64_t(1) << 40) ||
          t.numElements > (uint64_t(1) << 50) / ne)
        return bad("tensor '" + t.name + "' has an implausible dimension " +
                   std::to_string(ne));
      t.ne.push_back(static_cast<int64_t>(ne));
      t.numElements *= ne;
    }
    uint32_t type;
    uint64_t offset;
    if (!c.read(type) || !c.read(offset))
      return bad("truncated tensor info for '" + t.name + "'");
    const GgmlTypeInfo *info = ggmlTypeInfo(type);
    if (!info)
      return bad("tensor '" + t.name + "' has unknown ggml type " +
                 std::to_string(type));
    t.type = info->type;
    if (t.ne[0] % info->blockSize != 0)
      return bad("tensor '" + t.name + "' has rows of " +
                 std::to_string(t.ne[0]) + " elements, not a multiple of " +
                 info->name + "'s block of " + std::to_string(info->blockSize));
    t.numBytes = t.numElements / info->blockSize * info->blockBytes;
    if (offset % alignment != 0)
      return bad("tensor '" + t.name + "' starts at offset " +
                 std::to_string(offset) + ", not a multiple of the alignment " +
                 std::to_string(alignment));
    if (gguf.tensorIndex_.count(t.name))
      return bad("duplicate tensor '" + t.name + "'");
    gguf.tensorIndex_[t.name] = gguf.tensors_.size();
    gguf.tensors_.push_back(std::move(t));
    offsets.push_back({offset});
  }

  uint64_t dataStart = (c.offset() + alignment - 1) / alignment * alignment;
  uint64_t fileSize = gguf.file_.size();
  if (tensorCount > 0 && dataStart > fileSize)
    return bad("the data section would start at byte " +
               std::to_string(dataStart) + ", past the end of the file (" +
               std::to_string(fileSize) + " bytes)");
  uint64_t dataSize = tensorCount > 0 ? fileSize - dataStart : 0;
  std::vector<size_t> order(gguf.tensors_.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return offsets[a].offset < offsets[b].offset;
  });
  uint64_t previousEnd = 0;
  const GgufTensor *previous = nullptr;
  for (size_t i : order) {
    GgufTensor &t = gguf.tensors_[i];
    uint64_t begin = offsets[i].offset;
    if (begin > dataSize || t.numBytes > dataSize - begin)
      return bad("tensor '" + t.name + "' (" + std::to_string(t.numBytes) +
                 " bytes at offset " + std::to_string(begin) +
                 ") runs past the end of the file's data section (" +
                 std::to_string(dataSize) + " bytes)");
    if (previous && begin < previousEnd)
      return bad("tensor '" + t.name + "' overlaps tensor '" + previous->name +
                 "'");
    t.data = gguf.file_.data() + dataStart + begin;
    previousEnd = begin + t.numBytes;
    previous = &t;
  }
  return gguf;
}

const GgufValue *GgufFile::get(const std::string &key) const {
  auto it = keyIndex_.find(key);
  return it == keyIndex_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensor *GgufFile::findTensor(const std::string &name) const {
  auto it = tensorIndex_.find(name);
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}
