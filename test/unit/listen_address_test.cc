#include "ssebridge/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using testing::HasSubstr;

ListenAddress ParseOk(const std::string& text) {
  ListenAddress address;
  EXPECT_EQ(ParseListenAddress(text, &address), "") << text;
  return address;
}

std::string ParseError(const std::string& text) {
  ListenAddress address;
  address.host = "untouched";
  std::string error = ParseListenAddress(text, &address);
  EXPECT_EQ(address.host, "untouched") << "a refused value leaves the output alone";
  return error;
}

TEST(ListenAddressTest, TcpForms) {
  ListenAddress v4 = ParseOk("10.1.2.3:8080");
  EXPECT_FALSE(v4.is_unix());
  EXPECT_EQ(v4.host, "10.1.2.3");
  EXPECT_EQ(v4.port, 8080);
  EXPECT_EQ(v4.ToString(), "10.1.2.3:8080");

  ListenAddress v6 = ParseOk("[::1]:0");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 0);
  EXPECT_EQ(v6.ToString(4321), "[::1]:4321") << "the bound port replaces 0";

  EXPECT_EQ(ParseOk(":9000").host, "0.0.0.0");
  EXPECT_EQ(ParseOk("localhost:1").host, "localhost");
}

TEST(ListenAddressTest, UnixForm) {
  ListenAddress address = ParseOk("unix:/run/ssebridge/1.sock");
  EXPECT_TRUE(address.is_unix());
  EXPECT_EQ(address.path, "/run/ssebridge/1.sock");
  EXPECT_EQ(address.ToString(), "unix:/run/ssebridge/1.sock");
  EXPECT_EQ(ParseOk("unix:relative.sock").path, "relative.sock");
}

TEST(ListenAddressTest, TlsPrefixMarksEitherForm) {
  ListenAddress tcp = ParseOk("tls:127.0.0.1:8443");
  EXPECT_TRUE(tcp.tls);
  EXPECT_FALSE(tcp.is_unix());
  EXPECT_EQ(tcp.host, "127.0.0.1");
  EXPECT_EQ(tcp.port, 8443);
  EXPECT_EQ(tcp.ToString(), "tls:127.0.0.1:8443");
  EXPECT_EQ(ParseOk("tls:[::1]:0").ToString(443), "tls:[::1]:443");

  ListenAddress unix_socket = ParseOk("tls:unix:/run/s.sock");
  EXPECT_TRUE(unix_socket.tls);
  EXPECT_TRUE(unix_socket.is_unix());
  EXPECT_EQ(unix_socket.path, "/run/s.sock");
  EXPECT_EQ(unix_socket.ToString(), "tls:unix:/run/s.sock");

  EXPECT_FALSE(ParseOk("127.0.0.1:8443").tls);
  // One socket cannot be both: the duplicate check sees the same place.
  EXPECT_TRUE(ParseOk("tls:127.0.0.1:8443") == ParseOk("127.0.0.1:8443"));
  EXPECT_THAT(ParseError("tls:"), HasSubstr("HOST:PORT"));
  EXPECT_THAT(ParseError("tls:unix:"), HasSubstr("unix:/PATH"));
}

TEST(ListenAddressTest, BadValuesSayWhy) {
  EXPECT_THAT(ParseError("8080"), HasSubstr("HOST:PORT"));
  EXPECT_THAT(ParseError("127.0.0.1:65536"), HasSubstr("bad port"));
  EXPECT_THAT(ParseError("127.0.0.1:"), HasSubstr("bad port"));
  EXPECT_THAT(ParseError("127.0.0.1:-1"), HasSubstr("bad port"));
  EXPECT_THAT(ParseError("[::1]8080"), HasSubstr("[IPV6]:PORT"));
  EXPECT_THAT(ParseError("unix:"), HasSubstr("unix:/PATH"));
  EXPECT_THAT(ParseError("unix:@abstract"), HasSubstr("abstract"));
  EXPECT_THAT(ParseError("unix:/" + std::string(200, 'a')), HasSubstr("longer than 107"));
}

TEST(ListenAddressTest, ResolvesLiteralsAndNames) {
  sockaddr_storage address{};
  socklen_t length = 0;
  ListenAddress v4 = ParseOk("127.0.0.1:8080");
  ASSERT_EQ(ResolveTcpAddress(v4, &address, &length), "");
  ASSERT_EQ(address.ss_family, AF_INET);
  EXPECT_EQ(length, sizeof(sockaddr_in));
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port), 8080);

  ASSERT_EQ(ResolveTcpAddress(ParseOk("[::1]:81"), &address, &length), "");
  ASSERT_EQ(address.ss_family, AF_INET6);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port), 81);

  ASSERT_EQ(ResolveTcpAddress(ParseOk("localhost:82"), &address, &length), "");
  const uint16_t port = address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                                      : reinterpret_cast<sockaddr_in*>(&address)->sin_port;
  EXPECT_EQ(ntohs(port), 82);

}

TEST(ListenAddressTest, SocketMode) {
  uint32_t mode = 1;
  EXPECT_EQ(ParseSocketMode("0660", &mode), "");
  EXPECT_EQ(mode, 0660u);
  EXPECT_EQ(ParseSocketMode("777", &mode), "");
  EXPECT_EQ(mode, 0777u);
  EXPECT_EQ(ParseSocketMode("0", &mode), "");
  EXPECT_EQ(mode, 0u);
  EXPECT_NE(ParseSocketMode("", &mode), "");
  EXPECT_NE(ParseSocketMode("0680", &mode), "");
  EXPECT_NE(ParseSocketMode("rw-rw----", &mode), "");
  EXPECT_NE(ParseSocketMode("4755", &mode), "") << "no setuid or sticky bits on a socket";
  EXPECT_NE(ParseSocketMode("00660", &mode), "");
}

TEST(ListenAddressTest, SocketOwner) {
  int64_t uid = 5;
  int64_t gid = 5;
  EXPECT_EQ(ParseSocketOwner("root", &uid, &gid), "");
  EXPECT_EQ(uid, 0);
  EXPECT_EQ(gid, -1) << "a user alone leaves the group";
  EXPECT_EQ(ParseSocketOwner("root:root", &uid, &gid), "");
  EXPECT_EQ(uid, 0);
  EXPECT_EQ(gid, 0);
  EXPECT_EQ(ParseSocketOwner(":0", &uid, &gid), "");
  EXPECT_EQ(uid, -1);
  EXPECT_EQ(gid, 0);
  EXPECT_EQ(ParseSocketOwner("1234:5678", &uid, &gid), "");
  EXPECT_EQ(uid, 1234);
  EXPECT_EQ(gid, 5678);
  EXPECT_THAT(ParseSocketOwner("no-such-user-ssebridge", &uid, &gid), HasSubstr("no such user"));
  EXPECT_THAT(ParseSocketOwner("root:no-such-group-ssebridge", &uid, &gid), HasSubstr("no such group"));
  EXPECT_NE(ParseSocketOwner("root:", &uid, &gid), "");
  EXPECT_NE(ParseSocketOwner("", &uid, &gid), "");
  EXPECT_NE(ParseSocketOwner("99999999999", &uid, &gid), "");
}

}  // namespace
}  // namespace ssebridge
