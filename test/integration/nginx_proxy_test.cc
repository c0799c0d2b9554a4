// ssebridge behind a real nginx reverse proxy, configured as the README says:
// the default upstream protocol (HTTP/1.0, close-delimited stream) and the
// keep-alive HTTP/1.1 upstream, both with buffering off. Events must pass
// through immediately, not when a buffer fills.
#include <gtest/gtest.h>


#include "harness.h"

using harness::Bridge;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

class NginxProxyTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bridge_.Start({"--base-path", "/sse"})) << bridge_.process().output();
    const bool http11_upstream = GetParam();
    std::string locations = "    location /sse/ {\n"
                            "      proxy_pass http://127.0.0.1:" + std::to_string(bridge_.port()) + ";\n"
                            "      proxy_buffering off;\n      proxy_cache off;\n      proxy_read_timeout 1h;\n";
    if (http11_upstream) locations += "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n";
    locations += "    }\n";
    ASSERT_TRUE(nginx_.Start(locations, "/sse/healthz")) << nginx_.error();
    port_ = nginx_.port();
  }

  Bridge bridge_;
  harness::Nginx nginx_;
  int port_ = 0;
};

TEST_P(NginxProxyTest, EventsPassThroughUnbuffered) {
  SseClient client;
  ASSERT_TRUE(client.Open(port_, "/sse/events/proxied"));
  ASSERT_EQ(client.head().status, 200);
  EXPECT_EQ(client.head().headers.at("content-type").substr(0, 17), "text/event-stream");
  for (int i = 0; i < 20; ++i) {
    std::string data = "message " + std::to_string(i) + " through nginx";
    auto response = harness::HttpRequest(port_, "POST", "/sse/publish",
                                         R"({"channel":"proxied","data":")" + data + "\"}",
                                         {{"Content-Type", "application/json"}});
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    // Each event must arrive before the next publish: nothing may sit in a buffer.
    std::optional<SseEvent> event = client.Next(Millis(3000));
    ASSERT_TRUE(event) << "event " << i << " was held back by the proxy";
    EXPECT_EQ(event->data, data);
  }
}

INSTANTIATE_TEST_SUITE_P(UpstreamProtocols, NginxProxyTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Http11Upstream") : std::string("Http10Upstream");
                         });

}  // namespace
