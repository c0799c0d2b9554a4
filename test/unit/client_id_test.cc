// Unit tests for client ids (include/ssebridge/client_id.h).

#include "ssebridge/client_id.h"

#include <gtest/gtest.h>

#include <set>

namespace ssebridge {
namespace {

TEST(ClientIdTest, NewIdsAre128RandomBitsInHexAndAcceptedByTheCheck) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewClientId();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_EQ(CheckClientId(id), "") << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ClientIdTest, ChecksLengthAndCharacters) {
  EXPECT_EQ(CheckClientId("abcdefghijklmnop"), "");                  // 16: the shortest.
  EXPECT_EQ(CheckClientId(std::string(64, 'Z')), "");                // 64: the longest.
  EXPECT_EQ(CheckClientId("A-b_c-D_e-F_g-H_0-9"), "");
  EXPECT_EQ(CheckClientId("abcdefghijklmno"), "client_id must be 16 to 64 characters long");
  EXPECT_EQ(CheckClientId(std::string(65, 'a')), "client_id must be 16 to 64 characters long");
  EXPECT_EQ(CheckClientId(""), "client_id must be 16 to 64 characters long");
  for (std::string bad : {"abcdefghijklmno/", "abcdefghijklmno ", "abcdefghijklmno:", "abcdefghijklmno%",
                          "abcdefghijklmno\xc3\xa9", "abcdefghijklmno*"}) {
    EXPECT_EQ(CheckClientId(bad), "client_id may contain only A-Z, a-z, 0-9, '-' and '_'") << bad;
  }
}

TEST(ClientIdTest, PrivateChannelIsPrefixed) {
  EXPECT_EQ(PrivateChannel("0123456789abcdef"), "client:0123456789abcdef");
}

}  // namespace
}  // namespace ssebridge
