// Unit tests for client identification and per-client limits
// (include/ssebridge/client_limits.h) and the log rate limiter.

#include "ssebridge/client_limits.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include "ssebridge/log.h"

namespace ssebridge {
namespace {

IpAddress Ip(const char* text) {
  IpAddress address;
  EXPECT_TRUE(ParseIpAddress(text, &address)) << text;
  return address;
}

CidrRange Range(const char* text) {
  CidrRange range;
  EXPECT_EQ(ParseCidrRange(text, &range), "") << text;
  return range;
}

TEST(IpAddressTest, ParsesBothFamiliesAndMapsIpv4) {
  EXPECT_EQ(Ip("10.1.2.3").ToString(), "10.1.2.3");
  EXPECT_TRUE(Ip("10.1.2.3").is_v4());
  EXPECT_EQ(Ip("::ffff:10.1.2.3"), Ip("10.1.2.3"));
  EXPECT_EQ(Ip("2001:DB8::1").ToString(), "2001:db8::1");
  EXPECT_EQ(Ip("[::1]").ToString(), "::1");
  EXPECT_FALSE(Ip("::1").is_v4());
  IpAddress ignored;
  for (const char* bad : {"", "localhost", "10.1.2", "10.1.2.3.4", "10.1.2.256", "10.1.2.3:80", "fe80::1%eth0",
                          " 10.1.2.3", "::g", "[::1", "unknown"}) {
    EXPECT_FALSE(ParseIpAddress(bad, &ignored)) << bad;
  }
}

TEST(IpAddressTest, AUnixSocketPeerIsLoopbackAndTrustedAsSuchBehindAProxy) {
  sockaddr_un unix_peer{};
  unix_peer.sun_family = AF_UNIX;  // Clients of a Unix socket are unnamed.
  IpAddress address;
  ASSERT_TRUE(IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&unix_peer), &address));
  EXPECT_EQ(address, Ip("127.0.0.1"));
  // nginx on the socket is a trusted proxy when 127.0.0.1 is: its
  // X-Forwarded-For then names the client the limits key on.
  EXPECT_EQ(SelectClientAddress(address, {"203.0.113.9"}, {Range("127.0.0.1")}), Ip("203.0.113.9"));
  EXPECT_EQ(SelectClientAddress(address, {"203.0.113.9"}, {}), Ip("127.0.0.1"));

  sockaddr unknown{};
  unknown.sa_family = AF_UNSPEC;
  EXPECT_FALSE(IpAddressFromSockaddr(&unknown, &address));
}

TEST(CidrRangeTest, MatchesPrefixesOfBothFamilies) {
  CidrRange private10 = Range("10.0.0.0/8");
  EXPECT_TRUE(private10.Contains(Ip("10.255.0.1")));
  EXPECT_FALSE(private10.Contains(Ip("11.0.0.1")));
  // An IPv4 range matches no IPv6 client, even one with the same low bits.
  EXPECT_FALSE(private10.Contains(Ip("::a00:1")));
  CidrRange odd = Range("192.168.1.128/25");
  EXPECT_TRUE(odd.Contains(Ip("192.168.1.200")));
  EXPECT_FALSE(odd.Contains(Ip("192.168.1.127")));
  CidrRange host = Range("127.0.0.2");
  EXPECT_TRUE(host.Contains(Ip("127.0.0.2")));
  EXPECT_FALSE(host.Contains(Ip("127.0.0.3")));
  CidrRange v6 = Range("fd00::/8");
  EXPECT_TRUE(v6.Contains(Ip("fd12:3456::1")));
  EXPECT_FALSE(v6.Contains(Ip("fe80::1")));
  EXPECT_TRUE(Range("0.0.0.0/0").Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(Range("0.0.0.0/0").Contains(Ip("::1")));
  EXPECT_TRUE(Range("::/0").Contains(Ip("::1")));
  // Host bits in the network are ignored.
  EXPECT_TRUE(Range("10.1.2.3/8").Contains(Ip("10.9.9.9")));
  EXPECT_TRUE(Range("::ffff:10.0.0.0/104").Contains(Ip("10.3.3.3")));
}

TEST(CidrRangeTest, RejectsMalformedRanges) {
  CidrRange range;
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "/8", "host/8", "10.0.0.0/-1",
                          "10.0.0.0/8/8"}) {
    EXPECT_NE(ParseCidrRange(bad, &range), "") << bad;
  }
}

TEST(SelectClientAddressTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  const std::vector<CidrRange> trusted = {Range("127.0.0.2"), Range("10.0.0.0/8")};
  // Untrusted peer: the header is the client's own claim and is ignored.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.3"), {"1.2.3.4"}, trusted), Ip("127.0.0.3"));
  // Trusted peer: the rightmost untrusted entry is the client.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"1.2.3.4"}, trusted), Ip("1.2.3.4"));
  // A forged entry on the left does not help: the proxy appended the real one.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"6.6.6.6, 1.2.3.4"}, trusted), Ip("1.2.3.4"));
  // Chains of trusted proxies are skipped, across header lines too.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"5.5.5.5, 1.2.3.4", "10.0.0.7"}, trusted), Ip("1.2.3.4"));
  // All trusted: the leftmost.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"10.0.0.9,10.0.0.7"}, trusted), Ip("10.0.0.9"));
  // No header: the peer.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {}, trusted), Ip("127.0.0.2"));
  // Garbage ends the walk at the last address to its right.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"1.2.3.4, junk"}, trusted), Ip("127.0.0.2"));
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"junk, 10.0.0.4"}, trusted), Ip("10.0.0.4"));
  // Empty entries and whitespace are tolerated; IPv6 entries work.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {" 2001:db8::5 ,, "}, trusted), Ip("2001:db8::5"));
  // Nothing is trusted: never believed.
  EXPECT_EQ(SelectClientAddress(Ip("127.0.0.2"), {"1.2.3.4"}, {}), Ip("127.0.0.2"));
}

TEST(TokenBucketTest, AllowsTheBurstThenTheRate) {
  const RateLimit limit{10, 5};  // 10 per second, bursts of 5.
  TokenBucket bucket = TokenBucket::Full(limit, 1000);
  uint64_t retry = 0;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.Take(limit, 1000, &retry)) << i;
  EXPECT_FALSE(bucket.Take(limit, 1000, &retry));
  EXPECT_EQ(retry, 100u);  // One token per 100 ms.
  EXPECT_FALSE(bucket.Take(limit, 1099, &retry));
  EXPECT_EQ(retry, 1u);
  EXPECT_TRUE(bucket.Take(limit, 1100, &retry));
  EXPECT_FALSE(bucket.IsFull(limit, 1100));
  // Refills up to the burst, never beyond.
  EXPECT_TRUE(bucket.IsFull(limit, 1600));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.Take(limit, 60000, &retry)) << i;
  EXPECT_FALSE(bucket.Take(limit, 60000, &retry));
}

TEST(TokenBucketTest, SlowRatesAndAClockThatDoesNotAdvance) {
  const RateLimit limit{1, 1};
  TokenBucket bucket = TokenBucket::Full(limit, 0);
  uint64_t retry = 0;
  EXPECT_TRUE(bucket.Take(limit, 0, &retry));
  EXPECT_FALSE(bucket.Take(limit, 0, &retry));
  EXPECT_EQ(retry, 1000u);
  EXPECT_FALSE(bucket.Take(limit, 500, &retry));
  EXPECT_EQ(retry, 500u);
  // A clock reading from the past changes nothing.
  EXPECT_FALSE(bucket.Take(limit, 100, &retry));
  EXPECT_TRUE(bucket.Take(limit, 1000, &retry));
}

TEST(ClientLimitsTest, CountsStreamsPerClient) {
  ClientLimits limits({/*max_streams=*/2, RateLimit{}, 100});
  const IpAddress a = Ip("192.0.2.1");
  const IpAddress b = Ip("192.0.2.2");
  EXPECT_EQ(limits.OpenStream(a, 0), ClientLimits::StreamAdmission::kAdmitted);
  EXPECT_EQ(limits.OpenStream(a, 0), ClientLimits::StreamAdmission::kAdmitted);
  EXPECT_EQ(limits.OpenStream(a, 0), ClientLimits::StreamAdmission::kRefused);
  EXPECT_EQ(limits.OpenStream(b, 0), ClientLimits::StreamAdmission::kAdmitted);
  limits.CloseStream(a, 0);
  EXPECT_EQ(limits.OpenStream(a, 0), ClientLimits::StreamAdmission::kAdmitted);
  EXPECT_EQ(limits.open_streams(a), 2u);
  // Entries with open streams survive a sweep; idle ones go.
  limits.CloseStream(b, 0);
  limits.Sweep(0);
  EXPECT_EQ(limits.size(), 1u);
  limits.CloseStream(a, 0);
  limits.CloseStream(a, 0);
  limits.Sweep(0);
  EXPECT_EQ(limits.size(), 0u);
  // Closing more than was opened never underflows.
  limits.CloseStream(a, 0);
  EXPECT_EQ(limits.open_streams(a), 0u);
}

TEST(ClientLimitsTest, Ipv6ClientsAreCountedPerSlash64) {
  ClientLimits limits({1, RateLimit{}, 100});
  EXPECT_EQ(limits.OpenStream(Ip("2001:db8:1:2::1"), 0), ClientLimits::StreamAdmission::kAdmitted);
  EXPECT_EQ(limits.OpenStream(Ip("2001:db8:1:2:ffff::9"), 0), ClientLimits::StreamAdmission::kRefused);
  EXPECT_EQ(limits.OpenStream(Ip("2001:db8:1:3::1"), 0), ClientLimits::StreamAdmission::kAdmitted);
}

TEST(ClientLimitsTest, PublishRatePerClientAndIdleEntriesAreDropped) {
  ClientLimits limits({0, RateLimit{2, 2}, 100});
  const IpAddress a = Ip("198.51.100.1");
  uint64_t retry = 0;
  EXPECT_TRUE(limits.TakePublish(a, 0, &retry));
  EXPECT_TRUE(limits.TakePublish(a, 0, &retry));
  EXPECT_FALSE(limits.TakePublish(a, 0, &retry));
  EXPECT_EQ(retry, 500u);
  // Another client has its own bucket.
  EXPECT_TRUE(limits.TakePublish(Ip("198.51.100.2"), 0, &retry));
  limits.Sweep(100);
  EXPECT_EQ(limits.size(), 2u);  // Neither bucket is full yet.
  limits.Sweep(1000);
  EXPECT_EQ(limits.size(), 0u);
  EXPECT_TRUE(limits.TakePublish(a, 1000, &retry));
}

TEST(ClientLimitsTest, AFullTableLetsNewClientsThroughUntracked) {
  ClientLimits limits({1, RateLimit{1, 1}, 2});
  EXPECT_EQ(limits.OpenStream(Ip("203.0.113.1"), 0), ClientLimits::StreamAdmission::kAdmitted);
  EXPECT_EQ(limits.OpenStream(Ip("203.0.113.2"), 0), ClientLimits::StreamAdmission::kAdmitted);
  EXPECT_EQ(limits.OpenStream(Ip("203.0.113.3"), 0), ClientLimits::StreamAdmission::kUntracked);
  uint64_t retry = 0;
  EXPECT_TRUE(limits.TakePublish(Ip("203.0.113.3"), 0, &retry));
  EXPECT_TRUE(limits.TakePublish(Ip("203.0.113.3"), 0, &retry));
  EXPECT_EQ(limits.size(), 2u);
}

TEST(ClientLimitsTest, NoLimitsConfiguredTracksNothing) {
  ClientLimits limits({0, RateLimit{}, 100});
  EXPECT_FALSE(limits.limits_streams());
  EXPECT_FALSE(limits.limits_publishes());
  EXPECT_EQ(limits.OpenStream(Ip("203.0.113.1"), 0), ClientLimits::StreamAdmission::kUntracked);
  uint64_t retry = 0;
  EXPECT_TRUE(limits.TakePublish(Ip("203.0.113.1"), 0, &retry));
  EXPECT_EQ(limits.size(), 0u);
}

}  // namespace
}  // namespace ssebridge
