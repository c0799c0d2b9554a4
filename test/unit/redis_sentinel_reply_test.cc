// The Sentinel protocol's replies and texts, parsed without a server: the
// --redis-sentinel list, get-master-addr-by-name, +switch-master and ROLE.
#include "ssebridge/redis_sentinel_reply.h"

#include <gtest/gtest.h>

#include "fake_redis.h"

namespace ssebridge {
namespace {

using fake_redis::Array;
using fake_redis::Bulk;
using fake_redis::Integer;
using fake_redis::ParseResp;

TEST(RedisSentinelReplyTest, SentinelListTakesHostsPortsAndBracketedV6) {
  std::vector<RedisAddress> sentinels;
  ASSERT_EQ(ParseSentinelList("10.0.0.1:26379,sentinel-b:26380,[::1]:26381", "pw", &sentinels), "");
  ASSERT_EQ(sentinels.size(), 3u);
  EXPECT_EQ(sentinels[0].host, "10.0.0.1");
  EXPECT_EQ(sentinels[0].port, 26379);
  EXPECT_EQ(sentinels[1].host, "sentinel-b");
  EXPECT_EQ(sentinels[1].port, 26380);
  EXPECT_EQ(sentinels[2].host, "::1");
  EXPECT_EQ(sentinels[2].port, 26381);
  for (const RedisAddress& sentinel : sentinels) {
    EXPECT_EQ(sentinel.password, "pw");
    EXPECT_FALSE(sentinel.is_unix);
  }
  EXPECT_EQ(EndpointText(sentinels[2]), "[::1]:26381");
  EXPECT_EQ(EndpointText(sentinels[0]), "10.0.0.1:26379");
}

TEST(RedisSentinelReplyTest, SentinelListRefusesWhatItCannotConnectTo) {
  for (const char* bad : {"", "host", "host:", ":26379", "host:0", "host:65536", "host:26379,", ",host:1",
                          "::1:26379", "[::1]26379", "[::1]", "host:12a", "a b:1"}) {
    std::vector<RedisAddress> sentinels;
    EXPECT_NE(ParseSentinelList(bad, "", &sentinels), "") << bad;
    EXPECT_TRUE(sentinels.empty()) << bad;  // Nothing half-parsed is kept.
  }
}

TEST(RedisSentinelReplyTest, MasterAddressReplyIsAnAddressAndAPort) {
  RedisAddress master;
  master.password = "kept";
  ASSERT_TRUE(ParseMasterAddressReply(ParseResp(Array({Bulk("127.0.0.1"), Bulk("6380")})).get(), &master));
  EXPECT_EQ(master.host, "127.0.0.1");
  EXPECT_EQ(master.port, 6380);
  EXPECT_EQ(master.password, "kept");  // The master's credentials are not Sentinel's to change.

  RedisAddress untouched;
  // Sentinel's answer for a master name it does not monitor.
  EXPECT_FALSE(ParseMasterAddressReply(ParseResp(fake_redis::kNil).get(), &untouched));
  EXPECT_FALSE(ParseMasterAddressReply(ParseResp(fake_redis::Error("ERR unknown")).get(), &untouched));
  EXPECT_FALSE(ParseMasterAddressReply(ParseResp(Array({Bulk("127.0.0.1")})).get(), &untouched));
  EXPECT_FALSE(ParseMasterAddressReply(ParseResp(Array({Bulk("127.0.0.1"), Bulk("x")})).get(), &untouched));
  EXPECT_FALSE(ParseMasterAddressReply(ParseResp(Array({Bulk(""), Bulk("6379")})).get(), &untouched));
  EXPECT_FALSE(ParseMasterAddressReply(ParseResp(Array({Bulk("h"), Integer(6379)})).get(), &untouched));
  EXPECT_FALSE(ParseMasterAddressReply(nullptr, &untouched));
  EXPECT_EQ(untouched.host, RedisAddress().host);
}

TEST(RedisSentinelReplyTest, SwitchMasterNamesTheMasterAndItsNewAddress) {
  std::string name;
  RedisAddress to;
  ASSERT_TRUE(ParseSwitchMaster("mymaster 127.0.0.1 6379 127.0.0.1 6380", &name, &to));
  EXPECT_EQ(name, "mymaster");
  EXPECT_EQ(to.host, "127.0.0.1");
  EXPECT_EQ(to.port, 6380);
  for (const char* bad : {"", "mymaster", "mymaster 127.0.0.1 6379 127.0.0.1", "m a 1 b 0", "m a 1 b 6380 extra",
                          "m a 1 b port"}) {
    EXPECT_FALSE(ParseSwitchMaster(bad, &name, &to)) << bad;
  }
}

TEST(RedisSentinelReplyTest, OnlyAMasterRoleIsAMaster) {
  EXPECT_TRUE(IsMasterRoleReply(ParseResp(Array({Bulk("master"), Integer(3129), Array({})})).get()));
  EXPECT_FALSE(IsMasterRoleReply(
      ParseResp(Array({Bulk("slave"), Bulk("127.0.0.1"), Integer(6380), Bulk("connected"), Integer(1)})).get()));
  EXPECT_FALSE(IsMasterRoleReply(ParseResp(Array({Bulk("sentinel"), Array({Bulk("mymaster")})})).get()));
  EXPECT_FALSE(IsMasterRoleReply(ParseResp(fake_redis::Error("NOPERM")).get()));
  EXPECT_FALSE(IsMasterRoleReply(ParseResp(Array({})).get()));
  EXPECT_FALSE(IsMasterRoleReply(nullptr));
}

}  // namespace
}  // namespace ssebridge
