// Unit tests for Redis URL parsing (include/ssebridge/redis_address.h).

#include "ssebridge/redis_address.h"

#include <string>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

RedisAddress ParseOk(const std::string& url) {
  RedisAddress address;
  EXPECT_EQ(ParseRedisAddress(url, &address), "") << url;
  return address;
}

TEST(RedisAddressTest, HostOnlyUsesDefaults) {
  RedisAddress a = ParseOk("redis://cache.internal");
  EXPECT_FALSE(a.is_unix);
  EXPECT_EQ(a.host, "cache.internal");
  EXPECT_EQ(a.port, 6379);
  EXPECT_EQ(a.username, "");
  EXPECT_EQ(a.password, "");
  EXPECT_EQ(a.database, 0);
}

TEST(RedisAddressTest, HostAndPort) {
  RedisAddress a = ParseOk("redis://10.1.2.3:6380");
  EXPECT_EQ(a.host, "10.1.2.3");
  EXPECT_EQ(a.port, 6380);
}

TEST(RedisAddressTest, Database) {
  RedisAddress a = ParseOk("redis://localhost:6379/5");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.database, 5);
  EXPECT_EQ(ParseOk("redis://localhost/12").database, 12);
  EXPECT_EQ(ParseOk("redis://localhost/").database, 0);
}

TEST(RedisAddressTest, UserAndPassword) {
  RedisAddress a = ParseOk("redis://alice:s3cret@localhost:6390/1");
  EXPECT_EQ(a.username, "alice");
  EXPECT_EQ(a.password, "s3cret");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 6390);
  EXPECT_EQ(a.database, 1);
}

TEST(RedisAddressTest, EmptyUserMeansPasswordOnlyAuth) {
  RedisAddress a = ParseOk("redis://:hunter2@localhost");
  EXPECT_EQ(a.username, "");
  EXPECT_EQ(a.password, "hunter2");
  EXPECT_EQ(a.host, "localhost");
}

TEST(RedisAddressTest, LoneUserinfoIsThePassword) {
  // redis://secret@host: without ':' the userinfo is the password, as redis-cli reads it.
  RedisAddress a = ParseOk("redis://secret@localhost");
  EXPECT_EQ(a.username, "");
  EXPECT_EQ(a.password, "secret");
  EXPECT_EQ(a.host, "localhost");
}

TEST(RedisAddressTest, PercentEncodedCredentials) {
  // '@', ':' and '/' in a password must be percent-encoded in a URL.
  RedisAddress a = ParseOk("redis://us%65r:p%40ss%3Aw%2Frd@h");
  EXPECT_EQ(a.username, "user");
  EXPECT_EQ(a.password, "p@ss:w/rd");
  EXPECT_EQ(a.host, "h");
}

TEST(RedisAddressTest, PlusInPasswordIsNotASpace) {
  // URL userinfo is not form encoding.
  EXPECT_EQ(ParseOk("redis://:a+b@h").password, "a+b");
}

TEST(RedisAddressTest, BadPercentEncodingInCredentialsIsAnError) {
  RedisAddress a;
  EXPECT_NE(ParseRedisAddress("redis://:bad%zz@h", &a), "");
  EXPECT_NE(ParseRedisAddress("redis://us%4@h", &a), "");
}

TEST(RedisAddressTest, BracketedIpv6) {
  RedisAddress a = ParseOk("redis://[::1]:6380");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 6380);
  RedisAddress b = ParseOk("redis://[fe80::1]/3");
  EXPECT_EQ(b.host, "fe80::1");
  EXPECT_EQ(b.port, 6379);
  EXPECT_EQ(b.database, 3);
}

TEST(RedisAddressTest, UnixSocket) {
  RedisAddress a = ParseOk("unix:///var/run/redis/redis.sock");
  EXPECT_TRUE(a.is_unix);
  EXPECT_EQ(a.host, "/var/run/redis/redis.sock");
  EXPECT_EQ(a.database, 0);
}

TEST(RedisAddressTest, UnixSocketWithDatabase) {
  RedisAddress a = ParseOk("unix:///tmp/r.sock?db=4");
  EXPECT_TRUE(a.is_unix);
  EXPECT_EQ(a.host, "/tmp/r.sock");
  EXPECT_EQ(a.database, 4);
}

TEST(RedisAddressTest, ErrorsLeaveTheOutputUntouched) {
  RedisAddress a;
  a.host = "sentinel";
  a.port = 1;
  EXPECT_NE(ParseRedisAddress("redis://h:notaport", &a), "");
  EXPECT_EQ(a.host, "sentinel");
  EXPECT_EQ(a.port, 1);
}

TEST(RedisAddressTest, Errors) {
  const char* bad[] = {
      "",                        // Empty.
      "localhost:6379",          // No scheme.
      "http://localhost",        // Wrong scheme.
      "rediss://localhost",      // TLS is not supported.
      "redis://",                // No host.
      "redis://:6379",           // No host, port only.
      "redis://user:pw@",        // Credentials but no host.
      "redis://h:0",             // Port 0.
      "redis://h:65536",         // Port out of range.
      "redis://h:-1",            // Negative port.
      "redis://h:63a",           // Non-numeric port.
      "redis://h/db",            // Non-numeric database.
      "redis://h/-1",            // Negative database.
      "redis://[::1",            // Unterminated IPv6 literal.
      "redis://[::1]x",          // Junk after IPv6 literal.
      "unix://relative/path",    // Unix socket path must be absolute.
      "unix://",                 // No path.
      "unix:///tmp/r.sock?db=x", // Non-numeric database.
  };
  for (const char* url : bad) {
    RedisAddress a;
    EXPECT_NE(ParseRedisAddress(url, &a), "") << "'" << url << "'";
  }
}

}  // namespace
}  // namespace ssebridge
