// Unit tests for Exchange (include/ssebridge/exchange.h): the client address
// behind trusted proxies, and DeferredAnswer::Complete() handing a built
// response to the connection registry by id.

#include "ssebridge/exchange.h"

#include <gtest/gtest.h>

#include <string>

#include "fake_exchange.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;
using testing_fakes::FakeOwner;
using testing_fakes::HandlerTest;

IpAddress Ip(const char* text) {
  IpAddress address;
  EXPECT_TRUE(ParseIpAddress(text, &address)) << text;
  return address;
}

class ExchangeTest : public HandlerTest {
 protected:
  void Trust(const char* range) {
    CidrRange parsed;
    ASSERT_EQ(ParseCidrRange(range, &parsed), "");
    trusted_.push_back(parsed);
  }
  IpAddress ClientOf(const char* peer, std::vector<std::string> forwarded) {
    HttpRequest request = Request("GET", "/events");
    request.headers.push_back({"host", "example"});
    for (auto& value : forwarded) request.headers.push_back({"x-forwarded-for", value});
    FakeExchange exchange(&context_, request, {}, {}, Ip(peer));
    return exchange.ClientAddress();
  }
};

TEST_F(ExchangeTest, ClientAddressIsThePeerWithoutTrustedProxies) {
  EXPECT_EQ(ClientOf("192.0.2.7", {}), Ip("192.0.2.7"));
  // X-Forwarded-For is ignored when nobody is trusted.
  EXPECT_EQ(ClientOf("192.0.2.7", {"203.0.113.9"}), Ip("192.0.2.7"));
}

TEST_F(ExchangeTest, ClientAddressIgnoresForwardedForFromAnUntrustedPeer) {
  Trust("10.0.0.0/8");
  EXPECT_EQ(ClientOf("192.0.2.7", {"203.0.113.9"}), Ip("192.0.2.7"));
}

TEST_F(ExchangeTest, ClientAddressBelievesATrustedProxy) {
  Trust("10.0.0.0/8");
  EXPECT_EQ(ClientOf("10.1.2.3", {"203.0.113.9"}), Ip("203.0.113.9"));
}

TEST_F(ExchangeTest, ClientAddressReadsForwardedForFromTheRightSkippingTrustedProxies) {
  Trust("10.0.0.0/8");
  EXPECT_EQ(ClientOf("10.1.2.3", {"198.51.100.1, 203.0.113.9, 10.9.9.9"}), Ip("203.0.113.9"));
  // Several header lines count as one list, in order.
  EXPECT_EQ(ClientOf("10.1.2.3", {"198.51.100.1", "203.0.113.9", "10.9.9.9"}), Ip("203.0.113.9"));
}

TEST_F(ExchangeTest, ClientAddressIsThePeerWhenATrustedProxySendsNoForwardedFor) {
  Trust("10.0.0.0/8");
  EXPECT_EQ(ClientOf("10.1.2.3", {}), Ip("10.1.2.3"));
}

TEST_F(ExchangeTest, ClientAddressStopsAtAMalformedEntry) {
  Trust("10.0.0.0/8");
  EXPECT_EQ(ClientOf("10.1.2.3", {"not-an-address"}), Ip("10.1.2.3"));
  EXPECT_EQ(ClientOf("10.1.2.3", {"203.0.113.9, junk, 10.9.9.9"}), Ip("10.9.9.9"));
}

TEST_F(ExchangeTest, ExposesRestQueryAndKeepAlive) {
  HttpRequest request = Request("GET", "/events/a/b?x=1");
  request.keep_alive = false;
  FakeExchange exchange(&context_, request, "a/b", "x=1");
  EXPECT_EQ(exchange.rest(), "a/b");
  EXPECT_EQ(exchange.query(), "x=1");
  EXPECT_FALSE(exchange.keep_alive());
  EXPECT_EQ(&exchange.request(), &request);
  EXPECT_EQ(&exchange.context(), &context_);
}

TEST_F(ExchangeTest, DeferredAnswerCompleteHandsTheBuiltResponseToItsSlot) {
  DeferredAnswer answer(&owner_, 42, 3, {{"access-control-allow-origin", "https://app.example"}}, 1, true);
  EXPECT_TRUE(answer.Complete(200, "application/json", R"({"id":"1"})"));
  ASSERT_EQ(owner_.completed.size(), 1u);
  const FakeOwner::Completed& done = owner_.completed[0];
  EXPECT_EQ(done.id, 42u);
  EXPECT_EQ(done.sequence, 3u);
  EXPECT_EQ(done.response, BuildResponse(200, "application/json", R"({"id":"1"})",
                                         {{"access-control-allow-origin", "https://app.example"}}, 1, true));
  EXPECT_EQ(done.response.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(done.response.find("https://app.example"), std::string::npos);
}

TEST_F(ExchangeTest, DeferredAnswerCompleteKeepsTheRequestsHttpVersionAndKeepAlive) {
  DeferredAnswer answer(&owner_, 1, 0, {}, 0, false);
  EXPECT_TRUE(answer.Complete(503, "application/json", "{}"));
  ASSERT_EQ(owner_.completed.size(), 1u);
  EXPECT_EQ(owner_.completed[0].response, BuildResponse(503, "application/json", "{}", {}, 0, false));
  EXPECT_EQ(owner_.completed[0].response.rfind("HTTP/1.0 503", 0), 0u);
}

TEST_F(ExchangeTest, DeferredAnswerCompleteIsFalseWhenTheClientHasGone) {
  owner_.gone = true;
  DeferredAnswer answer(&owner_, 9, 0, {}, 1, true);
  EXPECT_FALSE(answer.Complete(200, "application/json", "{}"));
  EXPECT_TRUE(owner_.completed.empty());
}

}  // namespace
}  // namespace ssebridge
