//===- LLMAttrs.cpp - llm attribute syntax and verifiers ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// This file implements the custom parameter syntax shared by the llm
// attributes and the verifiers of #llm.config, #llm.rope_scaling and
// #llm.init.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMAttrs.h"
#include "mlrt/Init.h"

#include <charconv>
#include <cmath>

using namespace mlir;
using namespace mlir::llm;

//===----------------------------------------------------------------------===//
// Parameter syntax
//===----------------------------------------------------------------------===//

FailureOr<F64> mlir::llm::parseF64(AsmParser &parser) {
  double value;
  if (parser.parseFloat(value))
    return failure();
  return F64(value);
}

std::string mlir::llm::formatF64(double value) {
  // MLIR's lexer needs a '.' to see a float literal.
  // Plain digits read best for the magnitudes configs use (rope_theta
  // 500000.0, factor 8.0); exponents only for the very small or large.
  double magnitude = std::fabs(value);
  std::chars_format format =
      value == 0 || (magnitude >= 1e-4 && magnitude < 1e16)
          ? std::chars_format::fixed
          : std::chars_format::scientific;
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, format);
  std::string text(buf, ec == std::errc() ? end : buf);
  if (std::isfinite(value) && text.find('.') == std::string::npos) {
    size_t exponent = text.find('e');
    text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
  }
  return text;
}

void mlir::llm::printF64(AsmPrinter &printer, double value) {
  printer << formatF64(value);
}

FailureOr<bool> mlir::llm::parseBool(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(),
                          "expected 'true' or 'false'");
}

FailureOr<SmallVector<int64_t>> mlir::llm::parseI64List(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        return parser.parseInteger(values.emplace_back());
      }))
    return failure();
  return values;
}

void mlir::llm::printI64List(AsmPrinter &printer, ArrayRef<int64_t> values) {
  printer << '[';
  llvm::interleaveComma(values, printer);
  printer << ']';
}

FailureOr<SmallVector<F64>> mlir::llm::parseF64List(AsmParser &parser) {
  SmallVector<F64> values;
  if (parser.parseCommaSeparatedList(
          [&] { return parser.parseFloat(values.emplace_back().value); }))
    return failure();
  return values;
}

void mlir::llm::printF64List(AsmPrinter &printer, ArrayRef<F64> values) {
  llvm::interleaveComma(values, printer, [&](F64 v) { printF64(printer, v); });
}

//===----------------------------------------------------------------------===//
// ConfigAttr
//===----------------------------------------------------------------------===//

LogicalResult
ConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError, Arch arch,
                   int64_t vocab, int64_t hidden, int64_t intermediate,
                   int64_t layers, int64_t heads, int64_t kvHeads,
                   int64_t headDim, int64_t maxPosition, F64 ropeThetaParam,
                   RopeScalingAttr ropeScaling, F64 rmsEpsParam,
                   bool tieEmbeddings, std::optional<int64_t> slidingWindow,
                   std::optional<int64_t> bos, ArrayRef<int64_t> eos) {
  double ropeTheta = ropeThetaParam, rmsEps = rmsEpsParam;
  std::pair<StringRef, int64_t> sizes[] = {{"vocab", vocab},
                                           {"hidden", hidden},
                                           {"intermediate", intermediate},
                                           {"layers", layers},
                                           {"heads", heads},
                                           {"kv_heads", kvHeads},
                                           {"head_dim", headDim},
                                           {"max_position", maxPosition}};
  for (auto [name, value] : sizes)
    if (value <= 0)
      return emitError() << "expects " << name << " to be positive, found "
                         << value;
  if (heads % kvHeads != 0)
    return emitError() << "expects heads (" << heads
                       << ") to be a multiple of kv_heads (" << kvHeads
                       << ") so that query heads share key/value heads evenly";
  if (!(ropeTheta > 0) || !std::isfinite(ropeTheta))
    return emitError() << "expects rope_theta to be a positive number, found "
                       << formatF64(ropeTheta);
  if (!(rmsEps > 0) || !std::isfinite(rmsEps))
    return emitError() << "expects rms_eps to be a positive number, found "
                       << formatF64(rmsEps);
  if (ropeScaling && failed(ropeScaling.verifyParams(emitError)))
    return failure();
  if (slidingWindow && *slidingWindow <= 0)
    return emitError() << "expects sliding_window to be positive, found "
                       << *slidingWindow;
  if (bos && (*bos < 0 || *bos >= vocab))
    return emitError() << "expects bos token id " << *bos
                       << " to be in [0, vocab = " << vocab << ")";
  for (int64_t id : eos)
    if (id < 0 || id >= vocab)
      return emitError() << "expects eos token id " << id
                         << " to be in [0, vocab = " << vocab << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// RopeScalingAttr
//===----------------------------------------------------------------------===//

LogicalResult RopeScalingAttr::verifyParams(
    function_ref<InFlightDiagnostic()> emitError) const {
  RopeScalingKind kind = getKind();
  std::optional<int64_t> originalMaxPosition = getOriginalMaxPosition();
  double factor = getFactor(), lowFreqFactor = getLowFreqFactor(),
         highFreqFactor = getHighFreqFactor(), betaFast = getBetaFast(),
         betaSlow = getBetaSlow(), attentionFactor = getAttentionFactor();
  if (!(factor > 0))
    return emitError() << "expects a positive RoPE scaling factor, found "
                       << formatF64(factor);
  bool needsOriginal =
      kind == RopeScalingKind::Llama3 || kind == RopeScalingKind::Yarn;
  if (needsOriginal && (!originalMaxPosition || *originalMaxPosition <= 0))
    return emitError() << "expects '" << stringifyRopeScalingKind(kind)
                       << "' RoPE scaling to give a positive "
                          "original_max_position";
  if (kind == RopeScalingKind::Llama3 &&
      !(highFreqFactor > lowFreqFactor && lowFreqFactor > 0))
    return emitError() << "expects llama3 RoPE scaling with 0 < "
                          "low_freq_factor < high_freq_factor, found "
                       << formatF64(lowFreqFactor) << " and "
                       << formatF64(highFreqFactor);
  if (kind == RopeScalingKind::Yarn && !(betaFast > betaSlow))
    return emitError() << "expects yarn RoPE scaling with beta_fast > "
                          "beta_slow, found "
                       << formatF64(betaFast) << " and " << formatF64(betaSlow);
  if (attentionFactor < 0)
    return emitError() << "expects attention_factor >= 0, found "
                       << formatF64(attentionFactor);
  return success();
}

//===----------------------------------------------------------------------===//
// InitAttr
//===----------------------------------------------------------------------===//

/// The runtime's rule for `kind`: it owns the rules' definitions.
static mlrt::InitRule runtimeRule(InitKind kind) {
  return *mlrt::parseInitRule(stringifyInitKind(kind).str());
}

unsigned InitAttr::getNumParams(InitKind kind) {
  return mlrt::initParamCount(runtimeRule(kind));
}

bool InitAttr::isRandom() const {
  return mlrt::initIsRandom(runtimeRule(getKind()));
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, ArrayRef<F64> paramList) {
  SmallVector<double> params(paramList.begin(), paramList.end());
  unsigned expected = getNumParams(kind);
  if (params.size() != expected)
    return emitError() << "init rule '" << stringifyInitKind(kind) << "' takes "
                       << expected << " parameter(s), found " << params.size();
  for (double p : params)
    if (!std::isfinite(p))
      return emitError() << "init rule '" << stringifyInitKind(kind)
                         << "' has a non-finite parameter";
  switch (kind) {
  case InitKind::Uniform:
    if (!(params[0] < params[1]))
      return emitError() << "uniform init expects lo < hi, found "
                         << formatF64(params[0]) << " and "
                         << formatF64(params[1]);
    break;
  case InitKind::Normal:
    if (!(params[1] > 0))
      return emitError() << "normal init expects a positive std, found "
                         << formatF64(params[1]);
    break;
  case InitKind::LogUniform:
    if (!(params[0] > 0 && params[0] < params[1]))
      return emitError() << "log_uniform init expects 0 < lo < hi, found "
                         << formatF64(params[0]) << " and "
                         << formatF64(params[1]);
    break;
  case InitKind::DtBias:
    if (!(params[0] > 0 && params[0] < params[1] && params[2] > 0))
      return emitError() << "dt_bias init expects 0 < dt_min < dt_max and a "
                            "positive floor, found "
                         << formatF64(params[0]) << ", " << formatF64(params[1])
                         << ", " << formatF64(params[2]);
    break;
  default:
    break;
  }
  return success();
}
