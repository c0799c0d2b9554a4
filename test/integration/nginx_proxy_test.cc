// ssebridge behind a real nginx reverse proxy, configured as the README says:
// the default upstream protocol (HTTP/1.0, close-delimited stream) and the
// keep-alive HTTP/1.1 upstream, both with buffering off. Events must pass
// through immediately, not when a buffer fills.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.h"

using harness::Bridge;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

class NginxProxyTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (access(kNginx, X_OK) != 0) GTEST_SKIP() << "nginx is not installed (scripts/deps.sh installs it)";
    ASSERT_TRUE(bridge_.Start({"--base-path", "/sse"})) << bridge_.process().output();
    port_ = harness::FreePort();
    // nginx's workers run as an unprivileged user when started by root.
    chmod(dir_.path().c_str(), 0755);
    const bool http11_upstream = GetParam();
    std::string conf = dir_.path() + "/nginx.conf";
    std::ofstream out(conf);
    out << "daemon off;\nworker_processes 1;\npid " << dir_.path() << "/nginx.pid;\n"
        << "error_log " << dir_.path() << "/error.log warn;\n"
        << "events { worker_connections 256; }\n"
        << "http {\n  access_log off;\n"
        << "  client_body_temp_path " << dir_.path() << "/body;\n"
        << "  proxy_temp_path " << dir_.path() << "/proxy;\n"
        << "  fastcgi_temp_path " << dir_.path() << "/fastcgi;\n"
        << "  uwsgi_temp_path " << dir_.path() << "/uwsgi;\n"
        << "  scgi_temp_path " << dir_.path() << "/scgi;\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
        << "    location /sse/ {\n"
        << "      proxy_pass http://127.0.0.1:" << bridge_.port() << ";\n"
        << "      proxy_buffering off;\n      proxy_cache off;\n      proxy_read_timeout 1h;\n"
        << (http11_upstream ? "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n" : "")
        << "    }\n  }\n}\n";
    out.close();
    ASSERT_TRUE(nginx_.Start({kNginx, "-p", dir_.path(), "-c", conf, "-e", dir_.path() + "/error.log"}));
    // nginx logs nothing on a successful start; wait until it answers.
    ASSERT_TRUE(harness::Eventually(
        [&] {
          auto response = harness::HttpRequest(port_, "GET", "/sse/healthz");
          return response && response->status == 200;
        },
        Millis(10000)));
  }

  void TearDown() override {
    // SIGQUIT: the master stops its workers and exits (a SIGKILL would orphan them).
    if (nginx_.running()) nginx_.Stop(SIGQUIT, Millis(10000));
  }

  harness::TempDir dir_;
  Bridge bridge_;
  harness::Subprocess nginx_;
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
