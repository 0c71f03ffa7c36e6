//===- ToolSupport.h - Command lines of the runtime tools -------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The runtime tools (ml-run, ml-eval) cannot use LLVM's CommandLine: this is
// the little they share to read options with checked values.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TOOLS_TOOLSUPPORT_H
#define MLRT_TOOLS_TOOLSUPPORT_H

#include "mlrt/Status.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace mlrt {

/// Walks argv; values are checked and errors name the option.
class ArgReader {
public:
  ArgReader(int argc, char **argv) : argc(argc), argv(argv) {}
  bool more() const { return index < argc; }
  std::string next() { return argv[index++]; }

  Status value(const std::string &option, std::string &out) {
    if (!more())
      return Error() << "option '" << option << "' expects a value";
    out = next();
    return Status::ok();
  }
  Status integer(const std::string &option, int64_t &out, int64_t min) {
    std::string text;
    MLRT_RETURN_IF_ERROR(value(option, text));
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end || errno || v < min)
      return Error() << "option '" << option << "' expects an integer >= "
                     << min << ", found '" << text << "'";
    out = v;
    return Status::ok();
  }
  Status number(const std::string &option, float &out, float min) {
    std::string text;
    MLRT_RETURN_IF_ERROR(value(option, text));
    char *end = nullptr;
    float v = std::strtof(text.c_str(), &end);
    if (text.empty() || *end || !(v >= min))
      return Error() << "option '" << option << "' expects a number >= "
                     << min << ", found '" << text << "'";
    out = v;
    return Status::ok();
  }

private:
  int argc;
  char **argv;
  int index = 1;
};

/// "1,2,3" or "1 2 3" -> ids.
inline Expected<std::vector<int32_t>> parseIdList(const std::string &text) {
  std::vector<int32_t> ids;
  const char *p = text.c_str();
  while (*p) {
    if (*p == ',' || *p == ' ') {
      ++p;
      continue;
    }
    char *end = nullptr;
    long long v = std::strtoll(p, &end, 10);
    if (end == p || v < 0 || v > INT32_MAX)
      return Error() << "expected token ids separated by commas, found '"
                     << text << "'";
    ids.push_back(static_cast<int32_t>(v));
    p = end;
  }
  if (ids.empty())
    return Error() << "expected at least one token id";
  return ids;
}

} // namespace mlrt

#endif // MLRT_TOOLS_TOOLSUPPORT_H
