//===- LLMDialectTest.cpp - Unit tests of the llm dialect's C++ API -------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Tests the builder API the importers use: a model built op by op verifies,
// a wrong weight shape is reported with the expected diagnostic, and float
// parameters survive print -> parse bit for bit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::llm;

namespace {

class LLMDialectTest : public ::testing::Test {
protected:
  LLMDialectTest() : builder(&context) { context.loadDialect<LLMDialect>(); }

  ConfigAttr makeConfig(bool tie = false) {
    return ConfigAttr::get(&context, Arch::Llama, /*vocab=*/32, /*hidden=*/8,
                           /*intermediate=*/16, /*layers=*/1, /*heads=*/2,
                           /*kvHeads=*/1, /*headDim=*/4, /*maxPosition=*/64,
                           /*ropeTheta=*/10000.0, RopeScalingAttr(),
                           /*rmsEps=*/1e-5, tie, std::nullopt, 1, {2});
  }

  Value weight(StringRef name, ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, builder.getBF16Type());
    return WeightOp::create(builder, loc, type, name, nullptr, nullptr,
                            nullptr);
  }

  /// Builds embed -> attention(layer 0) -> lm_head with a k projection of
  /// `kRows` rows.
  OwningOpRef<ModuleOp> buildModel(int64_t kRows) {
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
    auto model = ModelOp::create(builder, loc, "m", makeConfig(), nullptr,
                                 nullptr);
    Block *body = builder.createBlock(&model.getBody());
    auto tokensType = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, builder.getI32Type());
    Value tokens = body->addArgument(tokensType, loc);
    auto hidden = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, 8}, builder.getF32Type());
    auto logitsType = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, 32}, builder.getF32Type());

    Value h = EmbedOp::create(builder, loc, hidden, tokens,
                              weight("model.embed_tokens.weight", {32, 8}));
    Value q = weight("q", {8, 8}), k = weight("k", {kRows, 8}),
          v = weight("v", {4, 8}), o = weight("o", {8, 8});
    Value a =
        AttentionOp::create(builder, loc, hidden, h, /*layer=*/0, q, k, v, o,
                            Value(), Value(), Value(), Value(), std::nullopt);
    Value logits = LMHeadOp::create(builder, loc, logitsType, a,
                                    weight("lm_head.weight", {32, 8}));
    ReturnOp::create(builder, loc, logits);
    return module;
  }

  MLIRContext context;
  OpBuilder builder;
  Location loc = UnknownLoc::get(&context);
};

TEST_F(LLMDialectTest, BuiltModelVerifies) {
  OwningOpRef<ModuleOp> module = buildModel(/*kRows=*/4);
  EXPECT_TRUE(succeeded(verify(*module)));
  auto model = *module->getBody()->getOps<ModelOp>().begin();
  EXPECT_EQ(model.getConfig().getKvGroupSize(), 2);
  EXPECT_EQ(model.getConfig().getQueryDim(), 8);
  EXPECT_EQ(model.getConfig().getKvDim(), 4);
  EXPECT_EQ(
      model.getReturn().getLogits().getDefiningOp()->getName().getStringRef(),
      "llm.lm_head");
}

TEST_F(LLMDialectTest, WrongKProjectionIsReported) {
  OwningOpRef<ModuleOp> module = buildModel(/*kRows=*/6);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (message.empty())
      message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_EQ(message, "'llm.attention' op expects k weight of shape 4x8 "
                     "(kv_heads 1 x head_dim 4 by hidden 8) but found 6x8");
}

TEST_F(LLMDialectTest, ConfigRejectsUnevenHeadGroups) {
  std::string message;
  auto emitError = [&]() { return mlir::emitError(loc); };
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  ConfigAttr bad = ConfigAttr::getChecked(
      emitError, &context, Arch::Llama, 32, 8, 16, 1, /*heads=*/9,
      /*kvHeads=*/4, 4, 64, 10000.0, RopeScalingAttr(), 1e-5, false,
      std::nullopt, std::nullopt, {});
  EXPECT_FALSE(bad);
  EXPECT_NE(message.find("expects heads (9) to be a multiple of kv_heads (4)"),
            std::string::npos);
}

TEST_F(LLMDialectTest, InitRejectsNonFiniteParameters) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  InitAttr bad = InitAttr::getChecked(
      [&]() { return mlir::emitError(loc); }, &context, InitKind::Constant,
      {F64(std::numeric_limits<double>::quiet_NaN())});
  EXPECT_FALSE(bad);
  EXPECT_EQ(message, "init rule 'constant' has a non-finite parameter");
}

// The dialect's init kinds and the runtime's rules must stay one list.
TEST_F(LLMDialectTest, EveryInitKindHasARuntimeRule) {
  for (uint32_t i = 0; i <= getMaxEnumValForInitKind(); ++i) {
    std::optional<InitKind> kind = symbolizeInitKind(i);
    ASSERT_TRUE(kind.has_value());
    std::vector<F64> params(InitAttr::getNumParams(*kind), F64(1.0));
    if (*kind == InitKind::Uniform || *kind == InitKind::LogUniform)
      params = {F64(1.0), F64(2.0)};
    if (*kind == InitKind::DtBias)
      params = {F64(0.001), F64(0.1), F64(0.0001)};
    EXPECT_TRUE(InitAttr::getChecked([&] { return mlir::emitError(loc); },
                                     &context, *kind, ArrayRef<F64>(params)))
        << stringifyInitKind(*kind).str();
  }
}

TEST_F(LLMDialectTest, FloatParametersAreUniquedByBits) {
  auto zero = InitAttr::get(&context, InitKind::Constant, {F64(0.0)});
  auto negZero = InitAttr::get(&context, InitKind::Constant, {F64(-0.0)});
  auto zeroAgain = InitAttr::get(&context, InitKind::Constant, {F64(0.0)});
  EXPECT_NE(zero, negZero);
  EXPECT_EQ(zero, zeroAgain);
}

// The printed form of a float parameter must parse back, through MLIR's own
// parser, to the same bits: configs and init rules are compared bit for bit
// when a conversion is reproduced.
TEST_F(LLMDialectTest, FloatParametersRoundTripThroughText) {
  std::mt19937_64 rng(7);
  std::vector<double> values = {
      0.0,   -0.0,   1e-5,    1e-6,     0.0001,    0.1,
      0.5,   1.0,    10000.0, 500000.0, 1e16,      1e-300,
      1e300, 0.0625, -3.25,   0.015625, 1.0 / 3.0, std::sqrt(2.0)};
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-40, 40);
  for (int i = 0; i < 2000; ++i)
    values.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  for (double value : values) {
    auto attr = InitAttr::get(&context, InitKind::Constant, {F64(value)});
    std::string text;
    llvm::raw_string_ostream os(text);
    Attribute(attr).print(os);
    auto parsed = dyn_cast_or_null<InitAttr>(parseAttribute(text, &context));
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed, attr) << text << " from " << value;
  }
}

} // namespace
