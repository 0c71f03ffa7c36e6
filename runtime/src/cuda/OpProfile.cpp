//===- OpProfile.cpp - Device time per op kind ----------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "OpProfile.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace mlrt;
using namespace mlrt::cuda;

bool OpProfile::wanted() {
  const char *env = std::getenv("MLRT_CUDA_PROFILE");
  return env && std::strcmp(env, "0") != 0;
}

OpProfile::~OpProfile() {
  std::fputs(report().c_str(), stderr);
  for (CUevent e : pool)
    device.driver().cuEventDestroy(e);
}

Status OpProfile::event(CUevent &out) {
  if (used == pool.size()) {
    CUevent e = nullptr;
    MLRT_RETURN_IF_ERROR(device.check(
        device.driver().cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate"));
    pool.push_back(e);
  }
  out = pool[used++];
  return Status::ok();
}

Status OpProfile::begin(const std::string &entry, OpKind kind) {
  CUevent start = nullptr;
  MLRT_RETURN_IF_ERROR(event(start));
  marks.emplace_back(start, nullptr);
  pending.emplace_back(entry, kind);
  return device.check(device.driver().cuEventRecord(start, device.stream()),
                      "cuEventRecord");
}

Status OpProfile::end() {
  MLRT_RETURN_IF_ERROR(event(marks.back().second));
  return device.check(
      device.driver().cuEventRecord(marks.back().second, device.stream()),
      "cuEventRecord");
}

Status OpProfile::collect() {
  for (size_t i = 0; i < marks.size(); ++i) {
    float ms = 0;
    MLRT_RETURN_IF_ERROR(device.check(
        device.driver().cuEventElapsedTime(&ms, marks[i].first,
                                           marks[i].second),
        "cuEventElapsedTime"));
    Totals &t = totals[pending[i].first][pending[i].second];
    ++t.calls;
    t.ms += ms;
  }
  marks.clear();
  pending.clear();
  used = 0;
  return Status::ok();
}

std::string OpProfile::report() const {
  std::string out;
  char line[160];
  for (const auto &[entry, kinds] : totals) {
    double all = 0;
    for (const auto &[kind, t] : kinds)
      all += t.ms;
    std::snprintf(line, sizeof line,
                  "cuda profile @%s: %.2f ms of device time in ops\n",
                  entry.c_str(), all);
    out += line;
    out += "  op               calls        ms      %   us/call\n";
    for (const auto &[kind, t] : kinds) {
      std::snprintf(line, sizeof line, "  %-14s %7lld %9.2f %6.1f %9.1f\n",
                    opKindName(kind), static_cast<long long>(t.calls), t.ms,
                    all > 0 ? 100 * t.ms / all : 0.0, 1e3 * t.ms / t.calls);
      out += line;
    }
  }
  return out;
}
