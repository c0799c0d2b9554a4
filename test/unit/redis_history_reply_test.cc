// Unit tests for ParseFetchReply (include/ssebridge/redis_history_reply.h):
// replies are written as RESP bytes and turned into reply trees by hiredis's
// own reader, exactly as they arrive from Redis. The refused shapes are the
// regression cases of test/fuzz/fetch_reply_fuzz.cc's properties.
#include "ssebridge/redis_history_reply.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "fake_redis.h"

namespace ssebridge {
namespace {

using namespace fake_redis;  // RESP builders and ParseResp.
using testing::ElementsAre;

std::string Channel(const std::string& name, long long topic, const std::string& watermark, long long missing,
                    const std::vector<std::string>& flat) {
  std::vector<std::string> items;
  for (const std::string& text : flat) items.push_back(Bulk(text));
  return Array({Bulk(name), Integer(topic), Bulk(watermark), Integer(missing), Array(items)});
}

std::vector<uint64_t> Ids(const FetchResult& result) {
  std::vector<uint64_t> ids;
  for (const FetchedMessage& message : result.messages) ids.push_back(message.id);
  return ids;
}

TEST(ParseFetchReplyTest, DecodesChannelsAndMessages) {
  ReplyPtr reply = ParseResp(Array({Bulk("500"), Bulk("12"), Bulk("3"),
                               Channel("news", 0, "2", 0, {"10", Envelope(10, "a"), "12", Envelope(12, "b")})}));
  FetchResult result = ParseFetchReply(reply.get());
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.now_us, 500u);
  EXPECT_EQ(result.clock, 12u);
  EXPECT_EQ(result.epoch, 3u);
  ASSERT_EQ(result.channels.size(), 1u);
  EXPECT_EQ(result.channels[0].channel, "news");
  EXPECT_EQ(result.channels[0].watermark, 2u);
  EXPECT_FALSE(result.channels[0].missing);
  EXPECT_THAT(Ids(result), ElementsAre(10u, 12u));
  EXPECT_EQ(result.messages[1].frame->id(), 12u);
  EXPECT_NE(std::string(result.messages[1].frame->raw()).find("data: b\n"), std::string::npos);
}

TEST(ParseFetchReplyTest, MergesChannelsInIdOrderAndReplaysASharedMessageOnce) {
  ReplyPtr reply = ParseResp(Array({Bulk("500"), Bulk("9"), Bulk("0"),
                               Channel("a", 0, "0", 0, {"5", Envelope(5, "x"), "8", "plain"}),
                               Channel("b", 0, "0", 0, {"5", Envelope(5, "x"), "6", Envelope(6, "y")}),
                               Channel("gone", 1, "0", 1, {})}));
  FetchResult result = ParseFetchReply(reply.get());
  ASSERT_TRUE(result.ok);
  EXPECT_THAT(Ids(result), ElementsAre(5u, 6u, 8u));
  ASSERT_EQ(result.channels.size(), 3u);
  EXPECT_TRUE(result.channels[2].missing);
  // A payload that is not an envelope is the data, with the stream's id.
  EXPECT_NE(std::string(result.messages[2].frame->raw()).find("data: plain\n"), std::string::npos);
  EXPECT_EQ(result.messages[2].frame->id(), 8u);
}

TEST(ParseFetchReplyTest, ReadsTheNewestIdTheBoundLeftOut) {
  // The bounded script's reply: a fourth head element before the channels.
  ReplyPtr reply = ParseResp(Array({Bulk("500"), Bulk("30"), Bulk("0"), Bulk("26"),
                               Channel("a", 0, "0", 0, {"28", Envelope(28, "x")}),
                               Channel("b", 0, "0", 0, {"27", Envelope(27, "y"), "30", Envelope(30, "z")})}));
  FetchResult result = ParseFetchReply(reply.get());
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.omitted, 26u);
  EXPECT_THAT(Ids(result), ElementsAre(27u, 28u, 30u));
  ASSERT_EQ(result.channels.size(), 2u);
  EXPECT_EQ(result.messages[0].channel_index, 1u);

  // Per channel, the newest id the bound left out of it.
  ReplyPtr per_channel = ParseResp(Array({Bulk("500"), Bulk("30"), Bulk("0"), Bulk("26"),
                                     Array({Bulk("a"), Integer(0), Bulk("0"), Integer(0), Array({}), Bulk("26")}),
                                     Array({Bulk("b"), Integer(1), Bulk("0"), Integer(0),
                                            Array({Bulk("30"), Bulk(Envelope(30, "z"))}), Bulk("0")})}));
  FetchResult channels = ParseFetchReply(per_channel.get());
  ASSERT_TRUE(channels.ok);
  ASSERT_EQ(channels.channels.size(), 2u);
  EXPECT_EQ(channels.channels[0].omitted, 26u);
  EXPECT_EQ(channels.channels[1].omitted, 0u);
  ReplyPtr bad_channel = ParseResp(Array({Bulk("500"), Bulk("30"), Bulk("0"), Bulk("26"),
                                     Array({Bulk("a"), Integer(0), Bulk("0"), Integer(0), Array({}), Bulk("x")})}));
  EXPECT_FALSE(ParseFetchReply(bad_channel.get()).ok);

  ReplyPtr none = ParseResp(Array({Bulk("500"), Bulk("30"), Bulk("0"), Bulk("0")}));
  FetchResult empty = ParseFetchReply(none.get());
  ASSERT_TRUE(empty.ok);
  EXPECT_EQ(empty.omitted, 0u);
  EXPECT_TRUE(empty.channels.empty());
  // Anything but a decimal id there is not our script.
  for (const std::string& bad : {Bulk("x"), Bulk("-1"), Integer(26), kNil}) {
    ReplyPtr refused = ParseResp(Array({Bulk("500"), Bulk("30"), Bulk("0"), bad}));
    EXPECT_FALSE(ParseFetchReply(refused.get()).ok) << bad;
  }
}

TEST(ParseFetchReplyTest, NoChannelsIsAValidEmptyRead) {
  ReplyPtr reply = ParseResp(Array({Bulk("500"), Bulk("0"), Bulk("0")}));
  FetchResult result = ParseFetchReply(reply.get());
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.messages.empty());
}

TEST(ParseFetchReplyTest, RefusesEveryOtherShapeAsAWhole) {
  const std::string head = Bulk("500") + Bulk("9") + Bulk("0");
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"an error", "-ERR Error running script\r\n"},
      {"a string", Bulk("hello")},
      {"too short", Array({Bulk("500"), Bulk("9")})},
      {"a channel that is not an array", "*4\r\n" + head + Bulk("x")},
      {"a channel with four elements", "*4\r\n" + head + Array({Bulk("c"), Integer(0), Bulk("0"), Integer(0)})},
      {"a nil channel name", "*4\r\n" + head + Array({kNil, Integer(0), Bulk("0"), Integer(0), Array({})})},
      {"a nil message list", "*4\r\n" + head + Array({Bulk("c"), Integer(0), Bulk("0"), Integer(0), kNil})},
      {"an odd id/envelope list", "*4\r\n" + head + Channel("c", 0, "0", 0, {"5", Envelope(5, "x"), "6"})},
      {"an id that is not decimal", "*4\r\n" + head + Channel("c", 0, "0", 0, {"5-0", Envelope(5, "x")})},
      {"an id of 0", "*4\r\n" + head + Channel("c", 0, "0", 0, {"0", Envelope(0, "x")})},
      {"an integer id", "*4\r\n" + head +
                            Array({Bulk("c"), Integer(0), Bulk("0"), Integer(0), Array({Integer(5), Bulk("x")})})},
      {"a nil envelope", "*4\r\n" + head +
                             Array({Bulk("c"), Integer(0), Bulk("0"), Integer(0), Array({Bulk("5"), kNil})})},
      {"a bad channel after a good one", "*5\r\n" + head + Channel("a", 0, "0", 0, {"5", Envelope(5, "x")}) + Bulk("x")},
  };
  for (const auto& [what, resp] : cases) {
    ReplyPtr reply = ParseResp(resp);
    FetchResult result = ParseFetchReply(reply.get());
    EXPECT_FALSE(result.ok) << what;
    EXPECT_TRUE(result.messages.empty()) << what;
    EXPECT_TRUE(result.channels.empty()) << what;
  }
  EXPECT_FALSE(ParseFetchReply(nullptr).ok);
}

TEST(ReplyAccessorsTest, TextAndNumbers) {
  EXPECT_EQ(ReplyText(nullptr), "");
  EXPECT_EQ(ReplyNumber(nullptr), 0u);
  EXPECT_EQ(ReplyNumber(ParseResp(Integer(-4)).get()), 0u);
  EXPECT_EQ(ReplyNumber(ParseResp(Integer(42)).get()), 42u);
  EXPECT_EQ(ReplyNumber(ParseResp(Bulk("1700000000000001")).get()), 1700000000000001u);
  EXPECT_EQ(ReplyNumber(ParseResp(Bulk("12x")).get()), 0u);
  EXPECT_EQ(ReplyText(ParseResp("-NOSCRIPT nope\r\n").get()), "NOSCRIPT nope");
  EXPECT_EQ(ReplyText(ParseResp(Integer(3)).get()), "");
}

}  // namespace
}  // namespace ssebridge
