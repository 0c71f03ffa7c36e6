//===- Safetensors.cpp - Reading and writing safetensors files ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Safetensors.h"
#include "mlrt/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlrt;

/// The largest header the reference implementation accepts.
static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

uint64_t TensorInfo::numElements() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

uint64_t TensorToWrite::numBytes() const {
  uint64_t n = dtypeSize(dtype);
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

bool mlrt::sameIgnoringUnitDims(const std::vector<int64_t> &a,
                                const std::vector<int64_t> &b) {
  auto squeeze = [](const std::vector<int64_t> &s) {
    std::vector<int64_t> out;
    for (int64_t d : s)
      if (d != 1)
        out.push_back(d);
    return out;
  };
  return squeeze(a) == squeeze(b);
}

std::string mlrt::shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

/// Parses one header entry into `out`.
static Status parseEntry(const std::string &path, const std::string &name,
                         const json::Value &entry, TensorInfo &out) {
  // Sizes beyond this cannot be in any file; checking against it keeps the
  // byte count from overflowing.
  constexpr uint64_t kMaxBytes = uint64_t(1) << 62;
  auto bad = [&](const std::string &what) {
    return Error() << path << ": tensor '" << name << "': " << what;
  };
  if (!entry.isObject())
    return bad("expected an object with dtype, shape and data_offsets");
  const json::Value *dtype = entry.get("dtype");
  const json::Value *shape = entry.get("shape");
  const json::Value *offsets = entry.get("data_offsets");
  if (!dtype || !dtype->isString())
    return bad("missing string field 'dtype'");
  std::optional<DType> parsed = parseDType(dtype->getString());
  if (!parsed)
    return bad("unsupported dtype '" + dtype->getString() +
               "' (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, "
               "BOOL)");
  if (!shape || !shape->isArray())
    return bad("missing array field 'shape'");
  if (!offsets || !offsets->isArray() || offsets->getArray().size() != 2 ||
      !offsets->getArray()[0].isInt() || !offsets->getArray()[1].isInt())
    return bad("expected 'data_offsets' to be two integers [begin, end]");
  out.name = name;
  out.dtype = *parsed;
  uint64_t bytes = dtypeSize(*parsed);
  bool overflow = false;
  for (const json::Value &d : shape->getArray()) {
    if (!d.isInt() || d.getInt() < 0)
      return bad("shape entries must be non-negative integers");
    out.shape.push_back(d.getInt());
    if (d.getInt() != 0 &&
        bytes > kMaxBytes / static_cast<uint64_t>(d.getInt()))
      overflow = true;
    bytes *= static_cast<uint64_t>(d.getInt());
  }
  int64_t begin = offsets->getArray()[0].getInt();
  int64_t end = offsets->getArray()[1].getInt();
  if (begin < 0 || end < begin)
    return bad("data_offsets [" + std::to_string(begin) + ", " +
               std::to_string(end) + "] are not an ordered byte range");
  out.begin = static_cast<uint64_t>(begin);
  out.end = static_cast<uint64_t>(end);
  if (overflow || bytes != out.numBytes())
    return bad("shape " + shapeString(out.shape) + " of " +
               std::string(dtypeName(*parsed)) + " needs " +
               (overflow ? std::string("more bytes than any file can hold")
                         : std::to_string(bytes) + " bytes") +
               " but data_offsets span " + std::to_string(out.numBytes()));
  return Status::ok();
}

Expected<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  Expected<MappedFile> mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.takeError();
  return open(std::move(*mapped));
}

Expected<SafetensorsFile> SafetensorsFile::open(MappedFile file) {
  const std::string path = file.path();
  SafetensorsFile st;
  st.file_ = std::move(file);
  const uint64_t size = st.file_.size();
  if (size < 8)
    return Error() << path << ": truncated safetensors file: " << size
                   << " bytes, expected at least the 8-byte header length";
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = headerLen << 8 | st.file_.data()[i];
  if (headerLen > kMaxHeaderBytes)
    return Error() << path << ": header length " << headerLen
                   << " exceeds the safetensors limit of " << kMaxHeaderBytes
                   << " bytes";
  if (headerLen > size - 8)
    return Error() << path << ": header length " << headerLen
                   << " runs past the end of the file (" << size << " bytes)";
  st.dataOffset_ = 8 + headerLen;
  std::string_view header(reinterpret_cast<const char *>(st.file_.data() + 8),
                          headerLen);
  Expected<json::Value> parsed = json::parse(header);
  if (!parsed)
    return Error() << path << ": malformed header: " << parsed.message();
  if (!parsed->isObject())
    return Error() << path << ": header is not a JSON object";

  const uint64_t dataBytes = size - st.dataOffset_;
  for (const json::Member &member : parsed->getObject()) {
    if (member.first == "__metadata__") {
      if (!member.second.isObject())
        return Error() << path << ": __metadata__ must be an object";
      for (const json::Member &m : member.second.getObject()) {
        if (!m.second.isString())
          return Error() << path << ": __metadata__ value '" << m.first
                         << "' must be a string";
        st.metadata_.emplace_back(m.first, m.second.getString());
      }
      continue;
    }
    TensorInfo info;
    MLRT_RETURN_IF_ERROR(parseEntry(path, member.first, member.second, info));
    st.tensors_.push_back(std::move(info));
  }

  // The data section is the tensors back to back, in offset order, with no
  // hole, overlap or trailing byte.
  std::vector<const TensorInfo *> byOffset;
  for (const TensorInfo &t : st.tensors_)
    byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorInfo *a, const TensorInfo *b) {
              return a->begin != b->begin ? a->begin < b->begin
                                          : a->end < b->end;
            });
  uint64_t expected = 0;
  for (const TensorInfo *t : byOffset) {
    if (t->begin != expected)
      return Error() << path << ": tensor '" << t->name << "' starts at byte "
                     << t->begin << " of the data section, expected "
                     << expected << " ("
                     << (t->begin < expected ? "it overlaps the previous tensor"
                                             : "there is a gap before it")
                     << ")";
    expected = t->end;
  }
  if (expected != dataBytes)
    return Error() << path << ": the tensors cover " << expected
                   << " bytes of data but the file holds " << dataBytes
                   << (expected > dataBytes ? " (truncated file?)" : "");
  // Kernels read elements in place: each tensor must start at a multiple
  // of its element size in the file (writers pad the header to 8 bytes).
  for (const TensorInfo &t : st.tensors_)
    if ((st.dataOffset_ + t.begin) % dtypeSize(t.dtype) != 0)
      return Error() << path << ": tensor '" << t.name << "' starts at byte "
                     << st.dataOffset_ + t.begin << " of the file, not a "
                     << "multiple of its " << dtypeSize(t.dtype)
                     << "-byte elements";
  for (size_t i = 0; i < st.tensors_.size(); ++i)
    st.byName_.emplace(st.tensors_[i].name, i);
  return st;
}

const TensorInfo *SafetensorsFile::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : &tensors_[it->second];
}

static bool isDirectory(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static bool fileExists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

static std::string dirName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

static bool endsWith(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Expected<WeightStore> WeightStore::open(const std::string &path) {
  std::string target = path;
  if (isDirectory(path)) {
    std::string single = path + "/model.safetensors";
    std::string index = path + "/model.safetensors.index.json";
    if (fileExists(index))
      target = index;
    else if (fileExists(single))
      target = single;
    else
      return Error() << path << ": no model.safetensors or "
                     << "model.safetensors.index.json in this directory";
  }

  WeightStore store;
  auto addFile = [&](const std::string &file) -> Status {
    Expected<SafetensorsFile> st = SafetensorsFile::open(file);
    if (!st)
      return st.takeError();
    store.files_.push_back(std::make_unique<SafetensorsFile>(std::move(*st)));
    store.paths_.push_back(file);
    const SafetensorsFile *f = store.files_.back().get();
    for (const TensorInfo &t : f->tensors()) {
      auto [it, inserted] = store.byName_.emplace(t.name, Entry{f, &t});
      if (!inserted)
        return Error() << file << ": tensor '" << t.name << "' is also in "
                       << it->second.file->path();
    }
    return Status::ok();
  };

  if (!endsWith(target, ".json")) {
    MLRT_RETURN_IF_ERROR(addFile(target));
    return store;
  }

  Expected<std::string> text = readFile(target);
  if (!text)
    return text.takeError();
  Expected<json::Value> index = json::parse(*text);
  if (!index)
    return Error() << target << ": " << index.message();
  const json::Value *weightMap = index->get("weight_map");
  if (!weightMap || !weightMap->isObject())
    return Error() << target << ": expected an object 'weight_map'";
  std::string dir = dirName(target);
  std::vector<std::string> shards;
  for (const json::Member &m : weightMap->getObject()) {
    if (!m.second.isString() || m.second.getString().empty() ||
        m.second.getString().find('/') != std::string::npos)
      return Error() << target << ": weight_map entry '" << m.first
                     << "' must name a file in the same directory";
    if (std::find(shards.begin(), shards.end(), m.second.getString()) ==
        shards.end())
      shards.push_back(m.second.getString());
  }
  for (const std::string &shard : shards)
    MLRT_RETURN_IF_ERROR(addFile(dir + "/" + shard));
  for (const json::Member &m : weightMap->getObject()) {
    Entry e = store.find(m.first);
    if (!e.file)
      return Error() << target << ": tensor '" << m.first << "' is mapped to "
                     << m.second.getString() << " but that file does not "
                     << "contain it";
    if (e.file->path() != dir + "/" + m.second.getString())
      return Error() << target << ": tensor '" << m.first << "' is mapped to "
                     << m.second.getString() << " but found in "
                     << e.file->path();
  }
  return store;
}

WeightStore::Entry WeightStore::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? Entry() : it->second;
}

std::vector<WeightStore::Entry> WeightStore::entries() const {
  std::vector<Entry> out;
  for (const auto &file : files_)
    for (const TensorInfo &t : file->tensors())
      out.push_back(Entry{file.get(), &t});
  return out;
}

uint64_t WeightStore::totalBytes() const {
  uint64_t total = 0;
  for (const auto &file : files_)
    for (const TensorInfo &t : file->tensors())
      total += t.numBytes();
  return total;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

static std::string headerFor(const std::vector<const TensorToWrite *> &tensors,
                             const Metadata &metadata) {
  json::Value header{json::Object()};
  if (!metadata.empty()) {
    json::Value meta{json::Object()};
    for (const auto &[k, v] : metadata)
      meta.set(k, v);
    header.set("__metadata__", std::move(meta));
  }
  uint64_t offset = 0;
  for (const TensorToWrite *t : tensors) {
    json::Array shape;
    for (int64_t d : t->shape)
      shape.push_back(json::Value(d));
    json::Value entry{json::Object()};
    entry.set("dtype", std::string(dtypeName(t->dtype)));
    entry.set("shape", std::move(shape));
    uint64_t end = offset + t->numBytes();
    entry.set("data_offsets",
              json::Array{json::Value(offset), json::Value(end)});
    header.set(t->name, std::move(entry));
    offset = end;
  }
  std::string text = json::serialize(header);
  // Pad with spaces so that the data section is 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

/// Writes one file to `tmpPath` (the caller renames it into place).
static Status writeFile(const std::string &tmpPath,
                        const std::string &finalPath,
                        const std::vector<const TensorToWrite *> &tensors,
                        const Metadata &metadata) {
  std::string header = headerFor(tensors, metadata);
  FILE *f = std::fopen(tmpPath.c_str(), "wb");
  if (!f)
    return Error() << tmpPath << ": cannot create: " << std::strerror(errno);
  auto fail = [&](Error error) {
    std::fclose(f);
    std::remove(tmpPath.c_str());
    return error;
  };
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] =
        static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  bool ok = std::fwrite(len, 1, 8, f) == 8 &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size();
  std::vector<uint8_t> buffer;
  for (const TensorToWrite *t : tensors) {
    if (!ok)
      break;
    const void *bytes = t->data;
    if (!bytes) {
      if (!t->fill)
        return fail(Error() << finalPath << ": tensor '" << t->name
                            << "' has neither data nor a fill function");
      buffer.assign(t->numBytes(), 0);
      Status filled = t->fill(buffer.data());
      if (filled.failed())
        return fail(filled.takeError());
      bytes = buffer.data();
    }
    ok = std::fwrite(bytes, 1, t->numBytes(), f) == t->numBytes();
  }
  ok = (std::fflush(f) == 0) && ok;
  if (!ok)
    return fail(Error() << finalPath
                        << ": write failed: " << std::strerror(errno));
  if (std::fclose(f) != 0) {
    std::remove(tmpPath.c_str());
    return Error() << finalPath << ": write failed: " << std::strerror(errno);
  }
  return Status::ok();
}

static std::string tempName(const std::string &path) {
  return path + ".tmp." + std::to_string(getpid());
}

static Status checkNames(const std::vector<TensorToWrite> &tensors) {
  std::unordered_map<std::string, int> seen;
  for (const TensorToWrite &t : tensors)
    if (seen[t.name]++)
      return Error() << "tensor '" << t.name << "' is written twice";
  return Status::ok();
}

Status mlrt::writeSafetensors(const std::string &path,
                              const std::vector<TensorToWrite> &tensors,
                              const Metadata &metadata) {
  MLRT_RETURN_IF_ERROR(checkNames(tensors));
  std::vector<const TensorToWrite *> all;
  for (const TensorToWrite &t : tensors)
    all.push_back(&t);
  std::string tmp = tempName(path);
  MLRT_RETURN_IF_ERROR(writeFile(tmp, path, all, metadata));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Error() << path
                   << ": cannot rename into place: " << std::strerror(errno);
  }
  return Status::ok();
}

Expected<std::vector<std::string>>
mlrt::writeSafetensorsShards(const std::string &dir,
                             const std::vector<TensorToWrite> &tensors,
                             uint64_t maxShardBytes, const Metadata &metadata) {
  MLRT_RETURN_IF_ERROR(checkNames(tensors));
  // Greedy packing in the given order, as transformers' shard_checkpoint.
  std::vector<std::vector<const TensorToWrite *>> shards(1);
  uint64_t current = 0, total = 0;
  for (const TensorToWrite &t : tensors) {
    if (current > 0 && current + t.numBytes() > maxShardBytes) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(&t);
    current += t.numBytes();
    total += t.numBytes();
  }
  std::vector<std::string> names;
  if (shards.size() == 1) {
    names.push_back("model.safetensors");
  } else {
    char buf[64];
    for (size_t i = 0; i < shards.size(); ++i) {
      std::snprintf(buf, sizeof(buf), "model-%05zu-of-%05zu.safetensors", i + 1,
                    shards.size());
      names.push_back(buf);
    }
  }

  std::vector<std::string> written; // temporaries, renamed once all exist
  auto cleanup = [&]() {
    for (const std::string &tmp : written)
      std::remove(tmp.c_str());
  };
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string path = dir + "/" + names[i];
    Status s = writeFile(tempName(path), path, shards[i], metadata);
    if (s.failed()) {
      cleanup();
      return s.takeError();
    }
    written.push_back(tempName(path));
  }
  std::string indexText;
  if (shards.size() > 1) {
    json::Value weightMap{json::Object()};
    for (size_t i = 0; i < shards.size(); ++i)
      for (const TensorToWrite *t : shards[i])
        weightMap.set(t->name, names[i]);
    json::Value index{json::Object()};
    json::Value meta{json::Object()};
    meta.set("total_size", json::Value(total));
    index.set("metadata", std::move(meta));
    index.set("weight_map", std::move(weightMap));
    indexText = json::serialize(index, 2) + "\n";
  }
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string path = dir + "/" + names[i];
    if (std::rename(written[i].c_str(), path.c_str()) != 0) {
      cleanup();
      return Error() << path
                     << ": cannot rename into place: " << std::strerror(errno);
    }
  }
  if (!indexText.empty()) {
    std::string indexPath = dir + "/model.safetensors.index.json";
    MLRT_RETURN_IF_ERROR(writeFileAtomically(indexPath, indexText));
    names.push_back("model.safetensors.index.json");
  }
  return names;
}
