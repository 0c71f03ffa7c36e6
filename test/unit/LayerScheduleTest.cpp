//===- LayerScheduleTest.cpp - The paper's layer choices ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Against the lists in paper_spec.md section 2 (MambaInLlama's configs).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Passes/LayerSchedule.h"

#include <gtest/gtest.h>

using namespace mlopt;

namespace {

std::vector<int64_t> kept(int64_t n, double ratio) {
  std::vector<int64_t> out;
  int64_t period = *attentionPeriod(ratio);
  for (int64_t i = 0; i < n; ++i)
    if (keepsAttention(i, period))
      out.push_back(i);
  return out;
}

TEST(LayerSchedule, MatchesThePapersConfigs) {
  std::vector<int64_t> odd;
  for (int64_t i = 1; i < 32; i += 2)
    odd.push_back(i);
  EXPECT_EQ(kept(32, 0.5), odd);
  EXPECT_EQ(kept(32, 0.25),
            (std::vector<int64_t>{3, 7, 11, 15, 19, 23, 27, 31}));
  EXPECT_EQ(kept(32, 0.125), (std::vector<int64_t>{7, 15, 23, 31}));
  EXPECT_TRUE(kept(32, 0).empty());
  // Llama-3.2-3B (28 layers) at 50%: Mamba at even layers 0..26.
  std::vector<int64_t> odd28;
  for (int64_t i = 1; i < 28; i += 2)
    odd28.push_back(i);
  EXPECT_EQ(kept(28, 0.5), odd28);
}

TEST(LayerSchedule, RatiosMustBeReciprocals) {
  EXPECT_EQ(attentionPeriod(0.5), 2);
  EXPECT_EQ(attentionPeriod(1.0 / 3.0), 3);
  EXPECT_EQ(attentionPeriod(0.0625), 16);
  EXPECT_EQ(attentionPeriod(1.0), 1);
  EXPECT_FALSE(attentionPeriod(0.3).has_value());
  EXPECT_FALSE(attentionPeriod(-0.5).has_value());
  EXPECT_FALSE(attentionPeriod(2.0).has_value());
}

TEST(LayerSchedule, StepwiseOrderIsMambaInLlamas) {
  std::vector<int64_t> expected;
  for (int64_t i = 0; i < 32; i += 2)
    expected.push_back(i);
  for (int64_t i = 1; i < 32; i += 4)
    expected.push_back(i);
  for (int64_t i : {3, 11, 19, 27, 7, 23, 15, 31})
    expected.push_back(i);
  llvm::SmallVector<int64_t> order = stepwiseOrder(32);
  EXPECT_EQ(std::vector<int64_t>(order.begin(), order.end()), expected);
  // Every layer once, for any depth.
  for (int64_t n : {1, 2, 7, 28, 30, 80}) {
    llvm::SmallVector<int64_t> o = stepwiseOrder(n);
    std::vector<int64_t> sorted(o.begin(), o.end());
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(static_cast<int64_t>(sorted.size()), n);
    for (int64_t i = 0; i < n; ++i)
      EXPECT_EQ(sorted[i], i);
  }
}

} // namespace
