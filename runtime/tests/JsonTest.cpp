//===- JsonTest.cpp - The JSON reader and writer --------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Json.h"

#include <gtest/gtest.h>

using namespace mlrt;

namespace {

TEST(Json, ParsesEveryKind) {
  Expected<json::Value> v = json::parse(
      R"({"a": 1, "b": -2.5e3, "c": "x\ny\u00e9\ud83d\ude00", "d": [true, false, null],
          "e": {"nested": 9007199254740993}, "f": 1.0})");
  ASSERT_TRUE(v) << v.message();
  EXPECT_TRUE(v->get("a")->isInt());
  EXPECT_EQ(v->get("a")->getInt(), 1);
  EXPECT_EQ(v->get("b")->getNumber(), -2500.0);
  EXPECT_FALSE(v->get("b")->isInt());
  EXPECT_EQ(v->get("c")->getString(), "x\ny\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v->get("d")->getArray().size(), 3u);
  EXPECT_TRUE(v->get("d")->getArray()[2].isNull());
  // Integers beyond 2^53 stay exact.
  EXPECT_EQ(v->get("e")->get("nested")->getInt(), 9007199254740993LL);
  EXPECT_FALSE(v->get("f")->isInt());
  EXPECT_EQ(v->get("missing"), nullptr);
}

TEST(Json, KeepsKeyOrderAndRoundTrips) {
  const char *text = R"({"z": 1, "a": [1, 2.5, "s"], "m": {"k": null}})";
  Expected<json::Value> v = json::parse(text);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->getObject()[0].first, "z");
  EXPECT_EQ(json::serialize(*v), text);
  Expected<json::Value> again = json::parse(json::serialize(*v, 2));
  ASSERT_TRUE(again);
  EXPECT_EQ(json::serialize(*again), text);
}

TEST(Json, WritesFloatsThatReadBackExactly) {
  for (double d : {1e-5, 0.1, 1.0 / 3.0, 500000.0, 1e300, -0.0}) {
    json::Value v(d);
    Expected<json::Value> back = json::parse(json::serialize(v));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->getNumber(), d) << json::serialize(v);
    EXPECT_FALSE(back->isInt()) << json::serialize(v);
  }
}

TEST(Json, ReportsErrorsWithLineAndColumn) {
  struct Case {
    const char *text, *message;
  } cases[] = {
      {"{\"a\": 1,\n \"a\": 2}",
       "JSON error at line 2, column 9: duplicate key \"a\" in an object"},
      {"[1, 2",
       "JSON error at line 1, column 6: expected ',' or ']' in an array"},
      {"{\"a\" 1}",
       "JSON error at line 1, column 6: expected ':' after an object key"},
      {"\"abc", "JSON error at line 1, column 5: unterminated string"},
      {"\"\\ud800\"", "JSON error at line 1, column 8: unpaired UTF-16 "
                      "surrogate in a \\u escape"},
      {"0x",
       "JSON error at line 1, column 2: unexpected text after the JSON value"},
      {"-", "JSON error at line 1, column 2: expected digits in a number"},
      {"", "JSON error at line 1, column 1: unexpected end of input, expected "
           "a value"},
      {"[1] [2]",
       "JSON error at line 1, column 5: unexpected text after the JSON value"},
  };
  for (const Case &c : cases) {
    Expected<json::Value> v = json::parse(c.text);
    ASSERT_FALSE(v) << c.text;
    EXPECT_EQ(v.message(), c.message) << c.text;
  }
}

TEST(Json, BoundsNesting) {
  std::string deep(300, '[');
  deep += std::string(300, ']');
  Expected<json::Value> v = json::parse(deep);
  ASSERT_FALSE(v);
  EXPECT_NE(v.message().find("nesting deeper than 256 levels"),
            std::string::npos);
  std::string ok(200, '[');
  ok += std::string(200, ']');
  EXPECT_TRUE(json::parse(ok));
}

} // namespace
