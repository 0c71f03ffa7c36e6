//===- Sha256Test.cpp - SHA-256 against the FIPS 180-4 vectors ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Sha256.h"

#include <gtest/gtest.h>

using namespace mlrt;

namespace {

std::string digest(const std::string &s, size_t chunk = 0) {
  Sha256 h;
  if (chunk == 0) {
    h.update(s.data(), s.size());
  } else {
    for (size_t i = 0; i < s.size(); i += chunk)
      h.update(s.data() + i, std::min(chunk, s.size() - i));
  }
  return h.hexDigest();
}

TEST(Sha256, MatchesStandardVectors) {
  EXPECT_EQ(digest(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  EXPECT_EQ(digest(million),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Feeding the data in odd pieces gives the same digest.
  EXPECT_EQ(digest(million, 7), digest(million));
}

} // namespace
