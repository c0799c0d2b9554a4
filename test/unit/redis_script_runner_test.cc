// Unit tests for RedisScriptRunner (include/ssebridge/redis_script_runner.h):
// EVAL until the hash is known, EVALSHA after, one EVAL retry on NOSCRIPT,
// and a callback exactly once, never inside Run().

#include "ssebridge/redis_script_runner.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_redis.h"

namespace ssebridge {
namespace {

using namespace fake_redis;  // RESP builders and FakeRedis.
using testing::ElementsAre;

constexpr const char* kSource = "return 1";
const std::string kSha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";

class RedisScriptRunnerTest : public testing::Test {
 protected:
  // Runs the script with two arguments; counts the callbacks.
  void Run() {
    runner_.Run({"0", "x"}, [this](const redisReply* reply) {
      ++calls_;
      got_reply_ = reply != nullptr;
      if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER) integer_ = reply->integer;
    });
  }

  FakeRedis redis_;
  CompletionQueue completions_;
  RedisScriptRunner runner_{&redis_, &completions_, kSource};
  int calls_ = 0;
  bool got_reply_ = false;
  long long integer_ = -1;
};

TEST_F(RedisScriptRunnerTest, SendsTheSourceUntilLoadedThenTheHash) {
  Run();
  EXPECT_THAT(redis_.Answer(Integer(1)), ElementsAre("EVAL", kSource, "0", "x"));
  runner_.Load();
  EXPECT_THAT(redis_.Answer(Bulk(kSha)), ElementsAre("SCRIPT", "LOAD", kSource));
  EXPECT_EQ(runner_.sha(), kSha);
  Run();
  EXPECT_THAT(redis_.Answer(Integer(2)), ElementsAre("EVALSHA", kSha, "0", "x"));
  EXPECT_EQ(calls_, 2);
  EXPECT_EQ(integer_, 2);
}

TEST_F(RedisScriptRunnerTest, NoScriptIsRetriedOnceWithTheSource) {
  runner_.Load();
  redis_.Answer(Bulk(kSha));
  Run();
  EXPECT_THAT(redis_.Answer(Error("NOSCRIPT No matching script. Please use EVAL.")),
              ElementsAre("EVALSHA", kSha, "0", "x"));
  EXPECT_EQ(calls_, 0);  // The caller never sees NOSCRIPT.
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(redis_.Answer(Integer(7)), ElementsAre("EVAL", kSource, "0", "x"));
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(integer_, 7);
}

TEST_F(RedisScriptRunnerTest, AnEvalErrorIsNotRetried) {
  Run();
  redis_.Answer(Error("NOSCRIPT strange"));
  EXPECT_TRUE(redis_.sent.empty());
  EXPECT_EQ(calls_, 1);
  EXPECT_TRUE(got_reply_);
}

TEST_F(RedisScriptRunnerTest, NotSentIsAnsweredFromTheCompletionQueue) {
  redis_.connected = false;
  Run();
  EXPECT_EQ(calls_, 0);  // Never inside Run().
  EXPECT_EQ(completions_.RunAll(), 1u);
  EXPECT_EQ(calls_, 1);
  EXPECT_FALSE(got_reply_);
}

TEST_F(RedisScriptRunnerTest, ALostConnectionDuringTheRetryAnswersOnce) {
  runner_.Load();
  redis_.Answer(Bulk(kSha));
  Run();
  redis_.connected = false;  // The retry cannot be sent.
  redis_.Answer(Error("NOSCRIPT gone"));
  EXPECT_EQ(calls_, 0);
  completions_.RunAll();
  EXPECT_EQ(calls_, 1);
  EXPECT_FALSE(got_reply_);
}

}  // namespace
}  // namespace ssebridge
