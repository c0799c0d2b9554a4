// Unit tests for user channels (include/ssebridge/user_channel.h): naming,
// the `user:me` alias and the rule that keeps user channels out of every
// pattern that does not itself start with "user:".

#include "ssebridge/user_channel.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

TEST(UserChannelTest, NamesAndTheOwnAlias) {
  EXPECT_EQ(UserChannel("alice"), "user:alice");
  EXPECT_TRUE(IsUserChannel("user:alice"));
  EXPECT_TRUE(IsUserChannel("user:*"));
  EXPECT_FALSE(IsUserChannel("users"));
  EXPECT_FALSE(IsUserChannel("User:alice"));
  EXPECT_FALSE(IsUserChannel("news"));
  EXPECT_TRUE(IsOwnUserAlias("user:me"));
  EXPECT_FALSE(IsOwnUserAlias("user:meg"));
  EXPECT_FALSE(IsOwnUserAlias("user:m"));
  EXPECT_FALSE(IsOwnUserAlias("me"));
}

TEST(UserChannelTest, OnlyUserPatternsCoverUserChannels) {
  // A shared pattern still matches shared channels...
  EXPECT_TRUE(PatternCovers("*", "news"));
  EXPECT_TRUE(PatternCovers("u*", "users"));
  // ...but never a user's channel, however it is spelled.
  EXPECT_FALSE(PatternCovers("*", "user:alice"));
  EXPECT_FALSE(PatternCovers("u*", "user:alice"));
  EXPECT_FALSE(PatternCovers("[u]ser:*", "user:alice"));
  EXPECT_FALSE(PatternCovers("?ser:alice", "user:alice"));
  // A pattern that names user channels does, by glob.
  EXPECT_TRUE(PatternCovers("user:*", "user:alice"));
  EXPECT_TRUE(PatternCovers("user:a*", "user:alice"));
  EXPECT_FALSE(PatternCovers("user:b*", "user:alice"));
  // The Redis relay's half of the rule: Redis matched already.
  EXPECT_FALSE(PatternMayReach("*", "user:alice"));
  EXPECT_TRUE(PatternMayReach("user:*", "user:alice"));
  EXPECT_TRUE(PatternMayReach("*", "news"));
}

}  // namespace
}  // namespace ssebridge
