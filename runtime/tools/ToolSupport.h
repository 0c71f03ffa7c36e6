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

#include "mlrt/Session.h"
#include "mlrt/Status.h"
#include "mlrt/cpu/Kernels.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
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

  /// The options every tool that runs a model takes: --device D (or
  /// --device=D) and -t/--threads N. Returns whether `option` was one.
  Expected<bool> backendOption(const std::string &option,
                               SessionOptions &session) {
    if (option.rfind("--device=", 0) == 0) {
      session.device = option.substr(9);
      return true;
    }
    if (option == "--device") {
      MLRT_RETURN_IF_ERROR(value(option, session.device));
      return true;
    }
    if (option == "-t" || option == "--threads") {
      int64_t n;
      MLRT_RETURN_IF_ERROR(integer(option, n, 1));
      cpu::setNumThreads(static_cast<int>(n));
      return true;
    }
    return false;
  }

  /// The rest of a tool's arguments: its one positional argument (the
  /// model's path) into `model`; anything else that starts with '-' is an
  /// unknown option, and a second positional argument is an error.
  Status positional(const std::string &argument, std::string &model) {
    if (!argument.empty() && argument[0] == '-')
      return Error() << "unknown option '" << argument << "'";
    if (!model.empty())
      return Error() << "unexpected argument '" << argument << "'";
    model = argument;
    return Status::ok();
  }

  /// The usage lines of backendOption's options.
  static constexpr const char *kBackendUsage =
      "  --device D          cpu, cuda or auto (default auto: the GPU when the\n"
      "                      artifact has CUDA code and a GPU is present)\n"
      "  -t, --threads N     CPU threads (default: all cores)\n";

private:
  int argc;
  char **argv;
  int index = 1;
};

/// main() of a runtime tool: parse(argc, argv, options) then run(options);
/// a bad command line exits 2 with the usage (a printf format taking the
/// backend options' lines), a failed run exits 1. Errors go to stderr as
/// "tool: error: ...".
template <typename Options, typename Parse, typename Run>
int toolMain(const char *tool, const char *usage, int argc, char **argv,
             Parse parse, Run run) {
  Options options;
  if (Status s = parse(argc, argv, options); s.failed()) {
    std::fprintf(stderr, "%s: error: %s\n", tool, s.message().c_str());
    std::fprintf(stderr, usage, ArgReader::kBackendUsage);
    return 2;
  }
  if (Status s = run(options); s.failed()) {
    std::fprintf(stderr, "%s: error: %s\n", tool, s.message().c_str());
    return 1;
  }
  return 0;
}

/// "1,2,3" or "1 2 3" -> ids.
inline Expected<std::vector<int32_t>> parseIdList(const std::string &text) {
  std::vector<int32_t> ids;
  const char *p = text.c_str();
  while (*p) {
    if (*p == ',' || std::isspace(static_cast<unsigned char>(*p))) {
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
