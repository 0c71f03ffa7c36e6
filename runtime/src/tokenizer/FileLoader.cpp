//===- FileLoader.cpp - A tokenizer from the file a model names -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Gguf.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Tokenizer.h"

#include <sys/stat.h>

using namespace mlrt;

Expected<Tokenizer> Tokenizer::fromFile(const std::string &path) {
  auto endsWith = [&](const char *suffix) {
    size_t n = std::char_traits<char>::length(suffix);
    return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
  };
  if (endsWith(".gguf")) {
    Expected<GgufFile> file = GgufFile::open(path);
    if (!file)
      return file.takeError();
    Expected<GgufTokenizerData> data = GgufTokenizerData::read(*file);
    if (!data)
      return data.takeError();
    return fromGguf(*data);
  }
  Expected<std::string> json = readFile(path);
  if (!json)
    return json.takeError();
  size_t slash = path.find_last_of('/');
  std::string configPath =
      (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) +
      "tokenizer_config.json";
  std::string config;
  struct stat st;
  if (::stat(configPath.c_str(), &st) == 0) {
    Expected<std::string> text = readFile(configPath);
    if (!text)
      return text.takeError();
    config = std::move(*text);
  }
  return fromHuggingFace(*json, config);
}
